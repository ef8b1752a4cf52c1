"""Engine test helpers: a throw-away project with a lok.toml whose backends are real fake-LLM processes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lok_action.backends.registry import builtin_backends, kind_spec

FAKE_LLM = Path(__file__).with_name("fake_llm.py")
REPO_ROOT = Path(__file__).resolve().parents[2]


def command_backend(name: str, *fake_args: str, backend: str | None = None) -> str:
    """A [backends.X] table running tests/fakes/fake_llm.py as backend `backend or name`."""
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE_LLM))} {shlex.quote(name)}"
    # a JSON string list is a valid TOML array (same escapes)
    return f'[backends.{backend or name}]\nkind = "command"\ncommand = {json.dumps(command)}\nargs = {json.dumps(list(fake_args))}\n'


# the built-in backends that see only their prompt (HTTP servers, the embedded model) are turned off,
# so "default backends" means the fakes (the CLI agents are not ready without their programs)
QUIET_BUILTINS = "".join(
    f"[backends.{name}]\nenabled = false\n"
    for name, table in builtin_backends().items()
    if kind_spec(table["kind"]).answers_prompts and not kind_spec(table["kind"]).reads_workspace
)


@dataclass
class LokProject:
    root: Path
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def write_config(self, *tables: str, defaults: str = "") -> Path:
        text = ("[defaults]\n" + defaults + "\n" if defaults else "") + QUIET_BUILTINS + "\n".join(tables)
        path = self.root / "lok.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def write_workflow(self, name: str, text: str, local: bool = True) -> Path:
        folder = self.root / ".lok" / "workflows" if local else self.root
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def lok(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """The real `lok` CLI, as a subprocess, in the project directory."""
        return subprocess.run(
            [sys.executable, "-m", "lok_action", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture
def lok_project(tmp_path: Path) -> Iterator[LokProject]:
    root = tmp_path / "project"
    home = tmp_path / "home"
    root.mkdir()
    home.mkdir()
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        PYTHONPATH=str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    yield LokProject(root=root, home=home, env=env)


def engine_context(project: LokProject, **overrides: object):
    """A RunContext for in-process runs against the project's lok.toml (still real backend processes)."""
    from lok_action.config import load_config
    from lok_action.workflow.runner import RunContext

    config = load_config(project.root, None, project.env)
    values: dict[str, object] = {"env": project.env}
    values.update(overrides)
    return RunContext(config, project.root, **values)  # type: ignore[arg-type]
