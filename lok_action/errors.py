"""User-facing errors. The CLI prints ``str(error)`` on one line and exits 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class LokError(Exception):
    """An error the user can cause and fix: bad input, missing tool, bad config."""

    exit_code = 2


class ConfigError(LokError):
    """lok.toml is malformed or has an invalid value."""


class WorkflowError(LokError):
    """A workflow file is malformed or invalid."""


class BackendError(LokError):
    """A backend is unknown, disabled or misconfigured."""


class UsageError(LokError):
    """Bad command-line or action input."""


class GitHubError(LokError):
    """A GitHub operation cannot be done (missing token, repo, permissions)."""


class CassetteError(LokError):
    """A cassette folder (--record / --replay) cannot be used: not a folder, a damaged line."""


class CassetteMiss(CassetteError):
    """A replay was asked a question the cassette holds no answer to. It ends the run (exit 2) rather
    than failing one step: a replay that went on without the answer would report something else."""


class ContextError(LokError):
    """The target cannot be read as analysis context."""


class GitError(LokError):
    """A git command failed (the message names it), or git is not installed."""


class GitNotFound(GitError):
    """No git on PATH."""


def closest(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' hint, or '' when nothing is close."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
