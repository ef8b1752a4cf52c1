"""ollama and openai backends over real HTTP to the local server; argv building and secret redaction."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lok_action.backends import create_backend
from lok_action.backends.redaction import redact
from tests.fakes.backend_fixtures import OLLAMA_MODEL, backend_config
from tests.fakes.llm_server import FakeLLMServer


def ollama(server_url: str, model: str = OLLAMA_MODEL, name: str = "ollama"):
    return create_backend(
        backend_config(name, {"kind": "ollama", "command": server_url, "model": model}), env=os.environ
    )


def test_ollama_answers_through_api_chat(llm_server: FakeLLMServer, tmp_path: Path):
    llm_server.script("ollama", text="Use a JOIN instead of a query per row.")
    backend = ollama(llm_server.url)

    reply = backend.query("Find N+1 queries in:\nfor u in users: db.query(u.id)", tmp_path, timeout=10)

    assert reply.ok and reply.text == "Use a JOIN instead of a query per row."
    assert (reply.input_tokens, reply.output_tokens) == (12, 7)
    [request] = llm_server.requests("ollama")
    assert request.path == "/api/chat"
    assert request.body["model"] == OLLAMA_MODEL and request.body["stream"] is False
    assert "db.query(u.id)" in request.body["messages"][0]["content"]  # the file context is in the prompt
    assert backend.reads_workspace is False


def test_several_ollama_instances_under_different_names(llm_server: FakeLLMServer):
    llm_server.script("ollama", models=("qwen2.5-coder:32b", "llama3:latest"))
    big = ollama(llm_server.url, model="qwen2.5-coder:32b", name="big")
    small = ollama(llm_server.url, model="llama3", name="small")  # "llama3" means llama3:latest

    assert big.name == "big" and big.available().ready
    assert small.available().ready


def test_ollama_is_not_ready_without_the_model_or_the_server(llm_server: FakeLLMServer):
    missing_model = ollama(llm_server.url, model="mistral:7b").available()
    assert not missing_model.ready and missing_model.fix == "ollama pull mistral:7b"

    dead_url = llm_server.url
    llm_server.stop()
    down = ollama(dead_url).available()
    assert not down.ready and "not reachable" in down.reason and "ollama serve" in down.fix


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (500, True), (401, False)])
def test_ollama_http_errors(llm_server: FakeLLMServer, tmp_path: Path, status: int, retryable: bool):
    llm_server.script("ollama", status=status)

    reply = ollama(llm_server.url).query("hi", tmp_path, timeout=10)

    assert not reply.ok and reply.retryable is retryable
    assert f"HTTP {status}" in (reply.error or "")


def test_ollama_slow_answer_times_out_as_retryable(llm_server: FakeLLMServer, tmp_path: Path):
    llm_server.script("ollama", delay=5)

    reply = ollama(llm_server.url).query("hi", tmp_path, timeout=0.5)

    assert not reply.ok and reply.retryable and "timed out" in (reply.error or "")
    assert reply.duration < 3


def openai(server_url: str, **extra):
    table = {"kind": "openai", "command": server_url + "/v1", "model": "smollm2", **extra}
    return create_backend(backend_config("llamacpp", table), env=os.environ)


def test_openai_compatible_server_with_api_key_from_env(
    llm_server: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("LLAMA_SERVER_KEY", "sk-test-secret-value")
    llm_server.script("openai", text="42")
    backend = openai(llm_server.url, api_key_env="LLAMA_SERVER_KEY")

    assert backend.available().ready
    reply = backend.query("six times seven?", tmp_path, timeout=10)

    assert reply.ok and reply.text == "42" and reply.output_tokens == 7
    chat = [r for r in llm_server.requests("openai") if r.method == "POST"]
    assert chat[0].path == "/v1/chat/completions"
    assert chat[0].headers["Authorization"] == "Bearer sk-test-secret-value"
    assert chat[0].body["model"] == "smollm2"


def test_openai_missing_key_is_not_ready_and_says_which_variable(llm_server: FakeLLMServer, monkeypatch):
    monkeypatch.delenv("LLAMA_SERVER_KEY", raising=False)
    state = openai(llm_server.url, api_key_env="LLAMA_SERVER_KEY").available()
    assert not state.ready and "LLAMA_SERVER_KEY" in state.reason and "export LLAMA_SERVER_KEY" in state.fix


def test_openai_error_text_never_echoes_the_key(llm_server: FakeLLMServer, tmp_path: Path, monkeypatch):
    # OpenAI-style servers quote the rejected key in their 401 body
    monkeypatch.setenv("LLAMA_SERVER_KEY", "sk-test-secret-value")
    llm_server.script("openai", status=401)

    reply = openai(llm_server.url, api_key_env="LLAMA_SERVER_KEY").query("hi", tmp_path, timeout=10)

    assert not reply.ok and not reply.retryable
    assert "Incorrect API key provided" in (reply.error or "")
    assert "sk-test-secret-value" not in (reply.error or "")
    assert "export LLAMA_SERVER_KEY" in (reply.error or "")


def test_cli_error_text_never_echoes_env_secrets(tmp_path: Path):
    # a stand-in "claude" that crashes and prints its environment's key on stderr
    program = tmp_path / "claude"
    program.write_text('#!/bin/sh\necho "auth failed for key $ANTHROPIC_API_KEY" >&2\nexit 3\n')
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    table = {"command": str(program), "env": {"ANTHROPIC_API_KEY": "sk-ant-very-secret"}}
    reply = create_backend(backend_config("claude", table), env=os.environ).query("hi", tmp_path, timeout=10)

    assert not reply.ok and "exited 3" in (reply.error or "")
    assert "sk-ant-very-secret" not in (reply.error or "") and "***" in (reply.error or "")


def test_redact_replaces_longest_secret_first():
    env = {"API_TOKEN": "abcd1234", "OTHER_TOKEN": "abcd1234-extended", "PLAIN": "abcd1234-extended-x"}
    assert redact("t=abcd1234-extended", env) == "t=***"
    assert redact("short x", {"MY_KEY": "x"}) == "short x"  # values too short to be secrets are left


@pytest.mark.parametrize(
    ("kind", "table", "expected_tail"),
    [
        ("codex", {"model": "gpt-5-codex", "args": ["-c", "a=1"]}, ["-m", "gpt-5-codex", "--ephemeral"]),
        (
            "claude",
            {"model": "opus", "args": ["--tools", ""]},
            ["--model", "opus", "--no-session-persistence"],
        ),
        ("gemini", {"model": "gemini-2.5-pro"}, ["-m", "gemini-2.5-pro"]),
    ],
)
def test_argv_defaults_model_and_appended_args(
    kind: str, table: dict, expected_tail: list[str], tmp_path: Path
):
    backend = create_backend(backend_config(kind, {"command": kind, **table}), env=os.environ)
    argv = backend.argv(tmp_path)  # type: ignore[attr-defined]

    assert argv[0] == kind
    joined = " ".join(argv)
    assert " ".join(expected_tail) in joined
    for arg in table.get("args", []):
        assert arg in argv


def test_args_mode_replace_drops_the_defaults_but_keeps_what_lok_needs(tmp_path: Path):
    backend = create_backend(
        backend_config(
            "codex", {"command": "codex", "args": ["-s", "workspace-write"], "args_mode": "replace"}
        ),
        env=os.environ,
    )
    argv = backend.argv(tmp_path)  # type: ignore[attr-defined]

    assert argv == ["codex", "exec", "--json", "-s", "workspace-write", "-"]
