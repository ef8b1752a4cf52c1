"""What debate, spawn and conduct share: config from the common options, backends by name, progress."""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lok_action.backends.base import Backend
from lok_action.config import Config
from lok_action.errors import LokError, UsageError
from lok_action.progress import Progress


def load_run_config(args: argparse.Namespace, project_dir: Path) -> Config:
    from lok_action.config import load_config

    return load_config(project_dir, Path(args.config) if args.config else None)


def split_names(value: str, option: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise UsageError(f"{option}: no backend names in {value!r}")
    return list(dict.fromkeys(names))


def pick_named_backends(config: Config, names: list[str]) -> list[Backend]:
    """Backends by name; unknown or disabled names are a one-line error naming them."""
    from lok_action.backends import resolve_backends

    return resolve_backends(config, names)


def ready_backend_names(config: Config) -> list[str]:
    """Enabled backends whose availability check passes, in config order (checked in parallel)."""
    from lok_action.backends import create_backend

    def ready(name: str) -> bool:
        try:
            return create_backend(config.backends[name]).available().ready
        except (LokError, ImportError):
            return False  # a misconfigured kind is simply not ready

    enabled = [name for name, backend in config.backends.items() if backend.enabled]
    if not enabled:
        return []
    with ThreadPoolExecutor(max_workers=len(enabled)) as pool:
        flags = list(pool.map(ready, enabled))
    return [name for name, flag in zip(enabled, flags, strict=True) if flag]


def make_progress(args: argparse.Namespace) -> Progress:
    return Progress(quiet=bool(getattr(args, "quiet", False)))
