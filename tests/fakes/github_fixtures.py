"""Fixtures for the GitHub stand-in: a started server (checked for API violations at teardown) and a
real git repository with a pull-request branch."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github_server import GitHubStandIn, load_openapi

WRITE_TOKEN = "ghs_writetoken0000000000000000000000"
READ_TOKEN = "ghs_readtoken00000000000000000000000"
REPO = "lok-test/demo"

BASE_APP = """\
def load(path):
    with open(path) as handle:
        return handle.read()


def average(values):
    total = 0
    for value in values:
        total += value
    return total / len(values)


def greet(name):
    return "hello " + name
"""

HEAD_APP = """\
def load(path):
    with open(path) as handle:
        return handle.read()


def average(values):
    total = 0
    for value in values:
        total += value
    return total / len(values)


def first_item(items):
    return items[0]


def greet(name):
    return "hello " + name.upper()
"""


@pytest.fixture(scope="session")
def github_openapi() -> Any:
    return load_openapi()


@pytest.fixture
def github_stand_in(github_openapi: Any) -> Iterator[GitHubStandIn]:
    server = GitHubStandIn(github_openapi).start()
    server.add_token(WRITE_TOKEN, "write")
    server.add_token(READ_TOKEN, "read")
    server.state.sarif_polls_before_complete = 1
    try:
        yield server
    finally:
        server.stop()
    assert server.violations == [], "requests the real GitHub API would reject:\n" + "\n".join(
        server.violations
    )


def run_git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env
    ).stdout


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
    run_git(repo, "init", "-q", "-b", "main")
    for name, text in {"README.md": "# demo\n", **base_files}.items():
        (repo / name).write_text(text)
    run_git(repo, "add", ".")
    run_git(repo, "commit", "-q", "-m", "base")
    base = run_git(repo, "rev-parse", "HEAD").strip()
    run_git(repo, "checkout", "-q", "-b", "feature")
    for name, content in head_files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    run_git(repo, "add", ".")
    run_git(repo, "commit", "-q", "-m", message)
    head = run_git(repo, "rev-parse", "HEAD").strip()
    return PullRequestRepo(repo, base, head)


@pytest.fixture
def pr_git_repo(tmp_path: Path) -> PullRequestRepo:
    """main has app.py; branch `feature` adds first_item() (lines 13-14) and changes greet (line 18)."""
    pull = make_pr_repo(tmp_path, {"app.py": BASE_APP}, {"app.py": HEAD_APP})
    run_git(pull.path, "remote", "add", "origin", f"https://github.com/{REPO}.git")
    return pull
