"""Per-run folders: .lok/runs/<id>/ with id = UTC timestamp + short random part, never reused."""

from __future__ import annotations

import datetime
import secrets
from pathlib import Path


def new_run_id() -> str:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(3)}"


def new_run_dir(project_dir: Path) -> Path:
    """A fresh, empty run folder (mkdir without exist_ok, so two runs never share one)."""
    runs = project_dir / ".lok" / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    while True:
        folder = runs / new_run_id()
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
