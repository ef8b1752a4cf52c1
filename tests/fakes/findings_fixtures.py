"""Fixtures for the analysis tests: a real git repository with a known bug, a lok.toml whose
`command` backends are tests/fakes/finding_backend.py (run it with `lok_project.lok(..., cwd=repo)`).
(SARIF checks: tests/fakes/sarif_fixtures.py.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.fakes.git_repos import make_repo

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


def make_analysis_repo(root: Path) -> Path:
    """ROOT/repo: a git repository with a known bug (src/stats.py), ignored, vendored and binary files,
    and the lok.toml above, committed."""
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
    make_repo(repo)
    return repo


@pytest.fixture
def analysis_repo(tmp_path: Path) -> Path:
    return make_analysis_repo(tmp_path)
