"""The codex, claude and gemini backends driving the real npm CLIs against the local model server."""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path

import pytest

from lok_action.backends import create_backend
from lok_action.backends.base import Backend
from tests.fakes.backend_fixtures import CliHomes, backend_config, backend_tables
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.npm_clis import InstalledClis
from tests.fakes.procs import live_group_members

pytestmark = pytest.mark.realcli

CLIS = ("codex", "claude", "gemini")
PROTOCOL = {"codex": "responses", "claude": "anthropic", "gemini": "gemini"}


def make_backend(
    name: str, server: FakeLLMServer, homes: CliHomes, clis: InstalledClis, command: str | None = None
) -> Backend:
    tables = backend_tables(server.url, homes, {name: command or str(clis.path(name))})
    return create_backend(backend_config(name, tables[name]), env=os.environ)


def sent_text(server: FakeLLMServer, protocol: str) -> str:
    return " ".join(str(request.body) for request in server.requests(protocol))


@pytest.mark.parametrize("name", CLIS)
def test_real_cli_answers_through_the_local_server(name, llm_server, cli_homes, real_clis, tmp_path):
    llm_server.script(PROTOCOL[name], text=f"The answer from {name} is 42.")
    backend = make_backend(name, llm_server, cli_homes, real_clis)
    assert backend.available().ready

    reply = backend.query(f"What is six times seven? ({name} question)", tmp_path, timeout=60)

    assert reply.ok, reply.error
    assert reply.text == f"The answer from {name} is 42."
    assert reply.output_tokens == 7  # the usage the server streamed, as each CLI reports it
    assert reply.input_tokens is not None
    # the prompt went in on stdin and reached the model
    assert f"({name} question)" in sent_text(llm_server, PROTOCOL[name])


@pytest.mark.parametrize(
    ("name", "status", "retryable", "hint"),
    [
        ("claude", 401, False, "ANTHROPIC_API_KEY"),
        ("claude", 429, True, "429"),
        ("claude", 500, True, "500"),
        ("codex", 401, False, "codex login"),
        ("codex", 429, True, "429"),
        ("codex", 500, True, "temporary"),
        ("gemini", 401, False, "GEMINI_API_KEY"),
        ("gemini", 429, True, "HTTP 429"),
    ],
)
def test_api_error_statuses_map_to_retryable_or_fix_hints(
    name, status, retryable, hint, llm_server, cli_homes, real_clis, tmp_path
):
    llm_server.script(status=status)
    backend = make_backend(name, llm_server, cli_homes, real_clis)

    reply = backend.query("hello", tmp_path, timeout=60)

    assert not reply.ok
    assert reply.retryable is retryable, reply.error
    assert hint in (reply.error or "")
    assert "fake-" not in (reply.error or ""), "an API key from the environment leaked into the error"
    assert llm_server.requests(PROTOCOL[name]), "the CLI never reached the local server"


def test_gemini_server_error_is_retryable_http_500(llm_server, cli_homes, real_clis, tmp_path):
    # Gemini CLI exits with 500 & 255 = 244 after its own ~14 s of waiting: one case only.
    llm_server.script("gemini", status=500)
    backend = make_backend("gemini", llm_server, cli_homes, real_clis)

    reply = backend.query("hello", tmp_path, timeout=90)

    assert not reply.ok and reply.retryable
    assert (reply.error or "").startswith("HTTP 500")


def wrapped_command(program: Path, pid_file: Path) -> str:
    """A command that records its pid (= its process group id: run_process starts a new session)."""
    script = f'echo $$ > {shlex.quote(str(pid_file))}; exec {shlex.quote(str(program))} "$@"'
    return shlex.join(["sh", "-c", script, "sh"])


def group_gone(pgid: int, wait: float = 3.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        # only zombies left (reparented to an init that does not reap): nothing runs any more
        if not live_group_members(pgid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("name", CLIS)
def test_slow_answer_past_the_timeout_kills_the_whole_group(name, llm_server, cli_homes, real_clis, tmp_path):
    llm_server.script(PROTOCOL[name], delay=60)
    pid_file = tmp_path / "pid"
    backend = make_backend(
        name, llm_server, cli_homes, real_clis, command=wrapped_command(real_clis.path(name), pid_file)
    )
    started = time.monotonic()

    # long enough for a CLI's start-up on a loaded machine (Gemini's can take several seconds), far
    # shorter than the server's 60 s delay: the timeout must hit while the CLI waits on the answer
    reply = backend.query("take your time", tmp_path, timeout=15)

    elapsed = time.monotonic() - started
    assert not reply.ok and reply.retryable
    assert "timed out after 15s" in (reply.error or "")
    assert elapsed < 20
    assert llm_server.requests(PROTOCOL[name]), "the CLI never reached the server: the timeout hit start-up"
    pgid = int(pid_file.read_text())
    assert group_gone(pgid), f"processes left in group {pgid}: {live_group_members(pgid)}"


def test_codex_tool_call_is_refused_by_the_read_only_sandbox(llm_server, cli_homes, real_clis, tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    target = workspace / "pwned.txt"
    llm_server.script("responses", tool_command=["touch", str(target)], text="I could not write the file.")
    backend = make_backend("codex", llm_server, cli_homes, real_clis)

    reply = backend.query("create pwned.txt", workspace, timeout=60)

    assert reply.ok, reply.error
    assert reply.text == "I could not write the file."  # the last agent message, after the tool run
    assert not target.exists()
    outputs = [
        item
        for request in llm_server.requests("responses")
        for item in request.body.get("input", [])
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]
    assert outputs, "codex never ran the tool call"
    assert "Read-only file system" in str(outputs[-1]["output"])


@pytest.mark.parametrize(("name", "package"), [("codex", "@openai/codex"), ("claude", "@anthropic-ai/claude-code"),
                                              ("gemini", "@google/gemini-cli")])  # fmt: skip
def test_missing_binary_is_not_retryable_and_says_how_to_install(name, package, tmp_path):
    backend = create_backend(
        backend_config(name, {"command": str(tmp_path / "nowhere" / name)}), env=os.environ
    )

    state = backend.available()
    reply = backend.query("hello", tmp_path, timeout=5)

    assert not state.ready and state.fix == f"npm install -g {package}"
    assert "not found on PATH" in state.reason
    assert not reply.ok and not reply.retryable
    assert f"npm install -g {package}" in (reply.error or "")
