"""Read a TOML file into a dict, turning every failure into a one-line LokError."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from lok_action.errors import LokError


def is_present(path: Path) -> bool:
    """Something is at ``path``: a file, a directory, or a symbolic link (even a broken one)."""
    return path.exists() or path.is_symlink()


def load_toml(path: Path, error: type[LokError] = LokError) -> dict[str, Any]:
    if path.is_symlink() and not path.exists():
        raise error(f"{path}: broken symbolic link (to {os.readlink(path)})")
    if path.is_dir():
        raise error(f"{path}: is a directory, not a TOML file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    return parse_toml(text, str(path), error)


def parse_toml(text: str, source: str, error: type[LokError] = LokError) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: invalid TOML: {exc}") from None
    except ValueError as exc:  # int() refuses integers of more than 4300 digits
        raise error(f"{source}: invalid TOML: {str(exc).split(';')[0]}") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively: a few thousand levels
        # exhaust the stack (no real file nests that deep)
        raise error(f"{source}: invalid TOML: arrays or inline tables nested too deeply") from None
