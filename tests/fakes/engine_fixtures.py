"""Engine test helpers: `command` backend tables running the fake LLM (tests/fakes/fake_llm.py) for a
`lok_project` (tests/fakes/project.py), and a RunContext for in-process runs against its lok.toml."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from tests.fakes.project import QUIET_BUILTINS, REPO_ROOT, LokProject

__all__ = ["FAKE_LLM", "QUIET_BUILTINS", "REPO_ROOT", "LokProject", "command_backend", "engine_context"]

FAKE_LLM = Path(__file__).with_name("fake_llm.py")


def command_backend(name: str, *fake_args: str, backend: str | None = None) -> str:
    """A [backends.X] table running tests/fakes/fake_llm.py as backend `backend or name`."""
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE_LLM))} {shlex.quote(name)}"
    # a JSON string list is a valid TOML array (same escapes)
    return f'[backends.{backend or name}]\nkind = "command"\ncommand = {json.dumps(command)}\nargs = {json.dumps(list(fake_args))}\n'


def engine_context(project: LokProject, **overrides: object):
    """A RunContext for in-process runs against the project's lok.toml (still real backend processes)."""
    from lok_action.config import load_config
    from lok_action.workflow.runner import RunContext

    config = load_config(project.root, None, project.env)
    values: dict[str, object] = {"env": project.env}
    values.update(overrides)
    return RunContext(config, project.root, **values)  # type: ignore[arg-type]
