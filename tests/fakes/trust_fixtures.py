"""Helpers for the evidence and challenge-round tests: a project whose backends are
tests/fakes/verdict_backend.py in named roles, its prompts logged, and `lok hunt` read back as JSON."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

from tests.fakes.project import LokProject

VERDICT_BACKEND = Path(__file__).with_name("verdict_backend.py")

STATS_PY = """import os


def average(values):
    total = sum(values)
    return total / len(values)


def spread(values):
    return max(values) - min(values)


def middle(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def total(values):
    result = 0
    for value in values:
        result += value
    return result


def count(values):
    return len(values)
"""


def trust_project(project: LokProject, roles: dict[str, str], defaults: str = "") -> Path:
    """``roles``: backend name -> verdict_backend role. Writes src/stats.py and the lok.toml; returns
    the prompt log every backend appends to."""
    log = project.root.parent / "prompts.jsonl"
    (project.root / "src").mkdir(exist_ok=True)
    (project.root / "src" / "stats.py").write_text(STATS_PY)
    tables = []
    for name, role in roles.items():
        command = " ".join(
            shlex.quote(part) for part in (sys.executable, str(VERDICT_BACKEND), role, str(log))
        )
        tables.append(f'[backends.{name}]\nkind = "command"\ncommand = {json.dumps(command)}\n')
    tables.append("[cache]\nenabled = false\n")
    project.write_config(*tables, defaults=defaults)
    return log


def hunt(project: LokProject, *args: str, out: str = "out.json") -> dict[str, Any]:
    done = project.lok("hunt", "src", "--format", "json", "-o", f"../{out}", *args, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads((project.root.parent / out).read_text())


def prompts(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
