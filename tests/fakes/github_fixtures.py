"""Fixtures for the GitHub stand-in: a started server (checked for API violations at teardown) and a
real git repository with a pull-request branch (made by tests/fakes/git_repos.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.git_repos import PullRequestRepo, make_pr_repo, run_git
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


@pytest.fixture
def pr_git_repo(tmp_path: Path) -> PullRequestRepo:
    """main has app.py; branch `feature` adds first_item() (lines 13-14) and changes greet (line 18)."""
    pull = make_pr_repo(tmp_path, {"app.py": BASE_APP}, {"app.py": HEAD_APP})
    run_git(pull.path, "remote", "add", "origin", f"https://github.com/{REPO}.git")
    return pull
