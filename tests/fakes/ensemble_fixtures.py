"""Backend tables for the debate/spawn/conduct tests: the ensemble_* fakes as `command` (or vendor-kind)
backends, for `lok_project.write_config_only(...)` (tests/fakes/project.py), which fills in its state dir."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from lok_action.backends.registry import kind_spec
from tests.fakes.project import STATE_PLACEHOLDER

FAKES = Path(__file__).resolve().parent


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
