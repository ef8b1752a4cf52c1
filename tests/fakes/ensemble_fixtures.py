"""Fixtures for debate/spawn/conduct/init tests: a tmp project whose lok.toml runs the ensemble_* fakes
as `command` backends, and the real `lok` CLI run as a subprocess inside it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lok_action.backends.registry import builtin_backends, kind_spec

FAKES = Path(__file__).resolve().parent
REPO_ROOT = FAKES.parents[1]
STATE_PLACEHOLDER = "@ENSEMBLE_STATE_DIR@"
# every built-in backend that answers prompts off, so only the fakes a test configures are ready ones
BUILTINS_OFF = "".join(
    f"[backends.{name}]\nenabled = false\n"
    for name, table in builtin_backends().items()
    if kind_spec(table["kind"]).answers_prompts
)


def fake_backend(
    name: str,
    script: str,
    *args: str,
    timeout: float | None = None,
    kind: str = "command",
    env: dict[str, str] | None = None,
) -> str:
    """A [backends.NAME] table running tests/fakes/SCRIPT with ARGS. Its `env` table carries the state
    dir (filled in by write_config) and ``env``, the way a user passes settings to a backend."""
    command = " ".join(shlex.quote(part) for part in (sys.executable, str(FAKES / script), *args))
    lines = [f"[backends.{name}]", f"kind = {json.dumps(kind)}", f"command = {json.dumps(command)}"]
    if timeout is not None:
        lines.append(f"timeout = {timeout}")
    # a fake of a vendor kind comes logged in: vendor CLIs are ready only with credentials
    rule = kind_spec(kind).credentials
    login = {rule.env_vars[0]: f"test-key-{name}"} if rule is not None else {}
    pairs = {"ENSEMBLE_STATE_DIR": STATE_PLACEHOLDER, **login, **(env or {})}
    lines.append(
        "env = { " + ", ".join(f"{key} = {json.dumps(value)}" for key, value in pairs.items()) + " }"
    )
    return "\n".join(lines) + "\n"


@dataclass
class EnsembleProject:
    root: Path
    state: Path  # where fake backends keep call counts and prompts
    env: dict[str, str] = field(default_factory=dict)

    def write_config(self, *tables: str, defaults: str = "") -> Path:
        text = (f"[defaults]\n{defaults}\n" if defaults else "") + BUILTINS_OFF
        for table in tables:
            text += table.replace(STATE_PLACEHOLDER, str(self.state))
        path = self.root / "lok.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def lok(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """The real `lok` console script, as a subprocess, in the project directory."""
        return subprocess.run(
            [str(Path(sys.executable).with_name("lok")), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def timed_lok(self, *args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
        started = time.monotonic()
        result = self.lok(*args, timeout=timeout)
        return result, time.monotonic() - started

    def calls(self, name: str) -> int:
        path = self.state / f"{name}.calls"
        return int(path.read_text()) if path.exists() else 0

    def prompts(self, name: str) -> str:
        path = self.state / f"{name}.prompts"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def ensemble_project(tmp_path: Path) -> Iterator[EnsembleProject]:
    root = tmp_path / "project"
    state = tmp_path / "state"
    home = tmp_path / "home"
    for folder in (root, state, home):
        folder.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LOK_", "GITHUB_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PYTHONPATH=str(REPO_ROOT),
    )
    yield EnsembleProject(root=root, state=state, env=env)
