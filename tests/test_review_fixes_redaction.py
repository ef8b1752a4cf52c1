"""A `command` backend's failing stderr is quoted without the secrets in its environment."""

from __future__ import annotations

import json
import os
from pathlib import Path

from lok_action.backends import create_backend
from lok_action.backends.redaction import failure_tail
from lok_action.config import BackendConfig
from tests.fakes.project import LokProject

SECRET = "sk-live-0123456789abcdef"
LEAKY = "echo key $MY_API_KEY >&2; exit 3"


def test_command_backend_error_is_redacted(tmp_path: Path) -> None:
    config = BackendConfig(
        name="leaky", kind="command", command=f"sh -c '{LEAKY}'", env={"MY_API_KEY": SECRET}
    )
    reply = create_backend(config, env=os.environ).query("q", tmp_path, 10)
    assert reply.error == "exit 3: key ***"


def test_api_key_env_with_an_ordinary_name_is_redacted(tmp_path: Path) -> None:
    config = BackendConfig(
        name="leaky",
        kind="command",
        command="sh -c 'echo using $VENDOR_PASS_WORDLESS; exit 4'",
        env={"VENDOR_PASS_WORDLESS": SECRET},
        api_key_env="VENDOR_PASS_WORDLESS",
    )
    reply = create_backend(config, env=os.environ).query("q", tmp_path, 10)
    assert reply.error == "exit 4: using ***"


def test_failure_tail_redacts_before_cutting() -> None:
    env = {"A_TOKEN": SECRET}
    text = "x" * 600 + SECRET
    assert failure_tail(text, "", env, limit=10) == "xxxxxxx***"
    assert failure_tail("", f"out {SECRET}", env) == "out ***"  # stdout when stderr is empty
    assert failure_tail(" ", "", env) == ""


def test_lok_ask_json_and_text_never_show_the_key(lok_project: LokProject) -> None:
    lok_project.write_toml(
        f'[backends.leaky]\nkind = "command"\ncommand = {json.dumps(f"sh -c {json.dumps(LEAKY)}")}\n'
        "[cache]\nenabled = false\n"
    )
    for extra in (["--json"], []):
        done = lok_project.lok("ask", "-b", "leaky", *extra, "hi", env={"MY_API_KEY": SECRET}, timeout=60)
        assert done.returncode == 1, done.stderr
        assert SECRET not in done.stdout + done.stderr
        assert "key ***" in done.stdout
