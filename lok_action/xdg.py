"""lok's folders in the XDG base directories (config, cache): one rule for every module that keeps files."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def lok_dir(kind: str, env: Mapping[str, str] | None = None) -> Path:
    """lok's folder in the XDG base directory ``kind`` ("config" or "cache"): $XDG_<KIND>_HOME/lok,
    else ~/.<kind>/lok."""
    env = os.environ if env is None else env
    base = env.get(f"XDG_{kind.upper()}_HOME") or str(Path(env.get("HOME", str(Path.home()))) / f".{kind}")
    return Path(base) / "lok"
