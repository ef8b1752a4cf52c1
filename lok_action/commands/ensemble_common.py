"""What debate, spawn and conduct share: config from the common options, backends by name, progress."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from lok_action.backends.base import Backend
from lok_action.config import Config
from lok_action.errors import UsageError
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

    return resolve_backends(config, names, env=os.environ)


def default_names(config: Config) -> list[str]:
    """The backends a command uses when none is named (the backends helper's selection rule)."""
    from lok_action.backends.selection import default_backend_names

    return default_backend_names(config, env=os.environ)


def make_progress(args: argparse.Namespace) -> Progress:
    return Progress(quiet=bool(getattr(args, "quiet", False)))


def best_backend_for(task: str, names: list[str], config: Config) -> tuple[str, str]:
    """(backend, reason): the one `lok suggest` picks for ``task`` among ``names`` (by their kinds)."""
    from lok_action.suggest import pick_backend

    return pick_backend(task, {name: config.backends[name].kind for name in names})
