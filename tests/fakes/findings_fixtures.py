"""Fixtures for the analysis tests: a real git repository with a known bug, a lok.toml whose
`command` backends are tests/fakes/finding_backend.py, and a runner for `lok` as a subprocess.
(SARIF checks: tests/fakes/sarif_fixtures.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FAKE_BACKEND = Path(__file__).resolve().parent / "finding_backend.py"
STYLES = ("a", "b", "c", "garbage", "malformed", "empty", "fail", "half")

STATS_PY = """import os


def average(values):
    total = sum(values)
    return total / len(values)


def spread(values):
    return max(values) - min(values)
"""


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com")
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def write_lok_toml(repo: Path, budget_chars: int | None = None) -> None:
    lines = []
    for style in STYLES:
        lines += [
            f"[backends.{style}]",
            'kind = "command"',
            f"command = {json.dumps(f'{sys.executable} {FAKE_BACKEND} {style}')}",
        ]
        if budget_chars:
            lines.append(f"budget_chars = {budget_chars}")
        lines.append("")
    lines += ["[backends.local]", "enabled = true", "", "[cache]", "enabled = false", ""]
    (repo / "lok.toml").write_text("\n".join(lines))


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "stats.py").write_text(STATS_PY)
    (repo / "src" / "names.py").write_text("def greet(name):\n    return 'hello ' + name\n")
    (repo / "README.md").write_text("# demo\n\nA tiny project.\n")
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0binary")
    (repo / "vendor").mkdir()
    (repo / "vendor" / "lib.js").write_text("function f() { return 1 }\n")
    (repo / "package-lock.json").write_text("{}\n")
    (repo / ".gitignore").write_text("build/\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.py").write_text("print('ignored')\n")
    write_lok_toml(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


@pytest.fixture
def analysis_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


LokRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_lok(tmp_path: Path) -> LokRunner:
    """Run `python -m lok_action ARGS` in a directory, with an isolated HOME and cache."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)

    def run(
        *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
        # no PYTHONPATH: the package (and its built-in workflows) comes from the installed copy
        full_env.update(XDG_CACHE_HOME=str(home / ".cache"))
        full_env.pop("JOB_COMPLETION_INDEX", None)
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "lok_action", *args],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
