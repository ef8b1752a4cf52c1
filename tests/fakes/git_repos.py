"""The tests' one git helper: real repositories in temp dirs, made and read with the real `git`.

Every call runs with a fixed identity and without the user's or the system's git config, so a signing,
hook or alias setting on the host cannot change what a test sees.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git_env() -> dict[str, str]:
    """The host's environment without its GIT_* settings, with the test identity and no global config."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(IDENTITY, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return env


class GitFailed(subprocess.CalledProcessError):
    """A git call that exited non-zero; its message carries git's stderr, so a failing test shows why."""

    def __str__(self) -> str:
        return f"{super().__str__()}\n{self.stderr}"


def run_git(repo: Path, *args: str, input_text: str | None = None) -> str:
    """`git ARGS` in REPO; its stdout. A failing git raises GitFailed (a CalledProcessError)."""
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env=git_env(),
        input=input_text,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    if done.returncode:
        raise GitFailed(done.returncode, done.args, done.stdout, done.stderr)
    return done.stdout


def write_files(repo: Path, files: Mapping[str, str | bytes]) -> None:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def commit(repo: Path, message: str = "more") -> str:
    """Stage everything in REPO and commit it; the new commit's sha."""
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", message)
    return head_sha(repo)


def head_sha(repo: Path) -> str:
    return run_git(repo, "rev-parse", "HEAD").strip()


def make_repo(repo: Path, files: Mapping[str, str | bytes] | None = None, message: str = "initial") -> str:
    """A repository at REPO (made if missing) on branch `main`, FILES (plus what is already there) committed;
    the commit's sha."""
    repo.mkdir(parents=True, exist_ok=True)
    run_git(repo, "init", "-q", "-b", "main")
    write_files(repo, files or {})
    return commit(repo, message)


@dataclass
class PullRequestRepo:
    path: Path
    base_sha: str
    head_sha: str


def make_pr_repo(
    root: Path, base_files: dict[str, str], head_files: dict[str, str | bytes], message: str = "feature"
) -> PullRequestRepo:
    """A real repository at ROOT/checkout: `main` with base_files, branch `feature` adding head_files."""
    repo = root / "checkout"
    repo.mkdir()
    base = make_repo(repo, {"README.md": "# demo\n", **base_files}, "base")
    run_git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, head_files)
    head = commit(repo, message)
    return PullRequestRepo(repo, base, head)


def git_succeeds(repo: Path, *args: str) -> bool:
    """Whether `git ARGS` exits 0 in REPO (for questions such as `cat-file -e`)."""
    done = subprocess.run(["git", *args], cwd=repo, env=git_env(), capture_output=True)
    return done.returncode == 0
