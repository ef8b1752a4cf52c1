"""What several commands read from their options the same way: the config (--config), lists of backend
names (-b a,b), progress (-q)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from lok_action.errors import UsageError

if TYPE_CHECKING:
    from lok_action.config import Config
    from lok_action.progress import Progress


def load_run_config(args: argparse.Namespace, project_dir: Path) -> Config:
    from lok_action.config import load_config

    return load_config(project_dir, Path(args.config) if args.config else None)


def split_names(value: str, option: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise UsageError(f"{option}: no backend names in {value!r}")
    return list(dict.fromkeys(names))


def make_progress(args: argparse.Namespace) -> Progress:
    from lok_action.progress import Progress

    return Progress(quiet=bool(getattr(args, "quiet", False)))
