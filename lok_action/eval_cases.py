"""What `lok eval` analyses of one case: a scratch copy of its tree/ (expected.toml never goes along),
or for a diff case a scratch git repository with base/ committed, then tree/ (eval/README.md).

The commits are made with a fixed author, committer and date and no user or system git config, so
the same case gives the same diff (and the same prompts: a recorded cassette replays) anywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lok_action.errors import LokError
from lok_action.eval_corpus import Case

DIFF_RANGE = "HEAD~1..HEAD"  # base/ -> tree/
GIT_ENV = {
    "GIT_AUTHOR_NAME": "lok eval",
    "GIT_AUTHOR_EMAIL": "eval@lok.invalid",
    "GIT_COMMITTER_NAME": "lok eval",
    "GIT_COMMITTER_EMAIL": "eval@lok.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+0000",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


class ScratchError(LokError):
    """A case's scratch copy or repository could not be made (disk full, git missing)."""


@dataclass(frozen=True)
class Scratch:
    target: Path  # what is analysed: the copy of tree/, or the repository
    revision_range: str | None  # a diff case's A..B; None for files


def prepare(case: Case, scratch_root: Path) -> Scratch:
    """The case laid out under ``scratch_root`` (a fresh folder of the caller's)."""
    folder = scratch_root / case.name
    try:
        if case.base is None:
            _copy(case.tree, folder)
            return Scratch(folder, None)
        folder.mkdir(parents=True)
        _git(folder, "init", "-q", "-b", "main")
        _copy(case.base, folder)
        _commit(folder, "base")
        for entry in folder.iterdir():  # the change: tree/ replaces base/ whole
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        _copy(case.tree, folder)
        _commit(folder, "change")
        return Scratch(folder, DIFF_RANGE)
    except OSError as error:
        raise ScratchError(f"{case.path}: cannot lay out the case: {error.strerror or error}") from None


def _copy(source: Path, destination: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "node_modules")
    shutil.copytree(source, destination, ignore=ignore, dirs_exist_ok=True)


def _commit(folder: Path, message: str) -> None:
    _git(folder, "add", "-A")
    _git(folder, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", message)


def _git(folder: Path, *args: str) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), **GIT_ENV}
    try:
        done = subprocess.run(["git", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ScratchError(f"git {args[0]} in {folder}: {error}") from None
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise ScratchError(f"git {args[0]} in {folder}: {detail}")
