"""`lok doctor`, `lok backends`, `lok ask`, `lok suggest` as programs, with the real CLIs on PATH."""

from __future__ import annotations

import json
import os

import pytest

from lok_action.config import load_config
from lok_action.errors import BackendError
from tests.fakes.backend_fixtures import CliHomes, backend_tables, lok_toml
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.npm_clis import InstalledClis
from tests.fakes.project import LokProject

# The bar counts the four external backends; the embedded fallback is covered in test_backends_local.
NO_LOCAL = {"local": {"enabled": False}}


def with_clis_on_path(runner: LokProject, clis: InstalledClis) -> None:
    runner.env["PATH"] = f"{clis.bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"


@pytest.mark.realcli
def test_doctor_reports_four_ready_with_the_real_clis_and_an_ollama_server(
    lok_project: LokProject, llm_server: FakeLLMServer, cli_homes: CliHomes, real_clis: InstalledClis
):
    lok_project.write_toml(lok_toml({**backend_tables(llm_server.url, cli_homes), **NO_LOCAL}))
    with_clis_on_path(lok_project, real_clis)

    result = lok_project.lok("doctor")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Checking backends...",
        "✓ codex - ready",
        "✓ gemini - ready",
        "✓ claude - ready",
        "✓ ollama - ready",
        "✓ ruff - ready (static analyzer, SARIF: findings steps only)",
        "✓ bandit - ready (static analyzer, SARIF: findings steps only)",
        "✓ 2 static analyzer(s) ready: ruff, bandit.",
        "✓ 4 backend(s) ready.",
    ]


def test_doctor_with_an_empty_path_names_each_missing_tool_and_its_install(lok_project: LokProject):
    lok_project.write_toml(lok_toml({"ollama": {"command": "http://127.0.0.1:9"}, **NO_LOCAL}))
    lok_project.env["PATH"] = ""

    result = lok_project.lok("doctor")

    assert result.returncode == 1  # nothing that answers prompts is ready (the analyzers are no LLM)
    lines = result.stdout.splitlines()
    assert "✗ codex - codex not found on PATH (install: npm install -g @openai/codex)" in lines
    assert "✗ gemini - gemini not found on PATH (install: npm install -g @google/gemini-cli)" in lines
    assert "✗ claude - claude not found on PATH (install: npm install -g @anthropic-ai/claude-code)" in lines
    assert any(
        line.startswith("✗ ollama - Ollama server not reachable") and "ollama serve" in line for line in lines
    )
    assert lines[-1].startswith("✗ 0 backend(s) ready.")

    as_json = json.loads(lok_project.lok("doctor", "--json").stdout)
    assert as_json["ready"] == 0
    assert {row["name"]: row["fix"] for row in as_json["backends"]}["codex"] == "npm install -g @openai/codex"


@pytest.mark.realcli
def test_ask_over_the_three_real_clis_returns_three_answers(
    lok_project: LokProject, llm_server: FakeLLMServer, cli_homes: CliHomes, real_clis: InstalledClis
):
    llm_server.script("responses", text="codex says 42")
    llm_server.script("anthropic", text="claude says 42")
    llm_server.script("gemini", text="gemini says 42")
    lok_project.write_toml(lok_toml(backend_tables(llm_server.url, cli_homes)))
    with_clis_on_path(lok_project, real_clis)

    result = lok_project.lok("ask", "-b", "codex,claude,gemini", "What is six times seven?")

    assert result.returncode == 0, result.stderr
    for name in ("codex", "claude", "gemini"):
        assert f"=== {name} (" in result.stdout
        assert f"{name} says 42" in result.stdout

    replies = json.loads(
        lok_project.lok("ask", "-b", "codex,claude,gemini", "--json", "What is six times seven?").stdout
    )
    assert [(r["backend"], r["text"], r["cached"]) for r in replies] == [
        ("codex", "codex says 42", True),  # the second ask is answered from the cache
        ("claude", "claude says 42", True),
        ("gemini", "gemini says 42", True),
    ]


def test_ask_reports_a_failing_backend_and_exits_1_only_when_all_fail(
    lok_project: LokProject, llm_server: FakeLLMServer
):
    tables = {
        "good": {"kind": "ollama", "command": llm_server.url, "model": "qwen2.5-coder:7b"},
        "bad": {"kind": "openai", "command": llm_server.url},
    }
    lok_project.write_toml(lok_toml(tables))
    llm_server.script("ollama", text="fine answer")
    llm_server.script("openai", status=500)

    partial = lok_project.lok("ask", "-b", "good,bad", "hello", "--no-cache")
    assert partial.returncode == 0
    assert "=== good (" in partial.stdout and "fine answer" in partial.stdout
    assert "=== bad (failed) ===" in partial.stdout and "HTTP 500" in partial.stdout

    llm_server.script("ollama", status=429)
    failed = lok_project.lok("ask", "-b", "good,bad", "hello", "--no-cache")
    assert failed.returncode == 1
    assert "HTTP 429" in failed.stdout


def test_ask_with_an_unknown_backend_is_a_usage_error(lok_project: LokProject):
    result = lok_project.lok("ask", "-b", "codex,gemnii", "hello")

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "lok: error: unknown backend 'gemnii' (did you mean 'gemini'?) (configured: bandit, claude, codex, gemini, local, ollama, ruff)"
    ]


def test_ask_names_an_unready_named_backend_and_how_to_fix_it(lok_project: LokProject):
    lok_project.env["PATH"] = ""
    result = lok_project.lok("ask", "-b", "codex", "hello")

    assert result.returncode == 1
    assert "not ready: codex not found on PATH (fix: npm install -g @openai/codex)" in result.stdout


def test_backends_lists_kind_command_enabled_and_availability(
    lok_project: LokProject, llm_server: FakeLLMServer
):
    lok_project.write_toml(lok_toml({"ollama": {"command": llm_server.url}, "codex": {"enabled": False}}))

    rows = {row["name"]: row for row in json.loads(lok_project.lok("backends", "--json").stdout)}
    table = lok_project.lok("backends").stdout

    assert rows["ollama"]["command"] == llm_server.url and rows["ollama"]["available"] is True
    assert rows["codex"]["enabled"] is False and rows["codex"]["available"] is False
    assert rows["gemini"]["kind"] == "gemini" and rows["gemini"]["model"] == "gemini-2.5-pro"
    assert table.splitlines()[0].split() == ["NAME", "KIND", "COMMAND/URL", "MODEL", "ENABLED", "AVAILABLE"]
    assert any(
        line.split()[:2] == ["ollama", "ollama"] and line.rstrip().endswith("yes")
        for line in table.splitlines()
    )


def test_suggest_picks_among_available_backends_with_the_reason(
    lok_project: LokProject, llm_server: FakeLLMServer
):
    lok_project.write_toml(
        lok_toml(
            {
                "ollama": {"command": llm_server.url},
                "big": {"kind": "ollama", "command": llm_server.url, "model": "qwen2.5-coder:7b"},
                **NO_LOCAL,
            }
        )
    )
    lok_project.env["PATH"] = ""  # codex, gemini, claude unavailable

    result = lok_project.lok("suggest", "security audit of the login flow", "--json")
    text = lok_project.lok("suggest", "keep this private, offline analysis")

    suggestion = json.loads(result.stdout)
    # gemini would be best for an audit, but it is not available here
    assert suggestion["available"] == ["big", "ollama"] and suggestion["backend"] in ("big", "ollama")
    assert text.stdout.splitlines()[0] in ("Suggested backend: ollama", "Suggested backend: big")
    assert "private/offline" in text.stdout


def test_selection_prefers_ready_backends_and_falls_back_to_local(tmp_path, llm_server: FakeLLMServer):
    from lok_action.backends.selection import default_backend_names, ready_backends

    config_file = tmp_path / "lok.toml"
    missing = str(tmp_path / "missing")
    config_file.write_text(
        lok_toml(
            {
                "codex": {"command": missing},
                "claude": {"command": missing},
                "gemini": {"command": missing},
                "ollama": {"command": llm_server.url},
            }
        )  # fmt: skip
    )
    config = load_config(tmp_path, config_file)
    assert default_backend_names(config, env=os.environ) == ["ollama"]
    assert [b.name for b in ready_backends(config, ["codex", "ollama"], env=os.environ)] == ["ollama"]
    with pytest.raises(BackendError, match="unknown backend 'olama'"):
        ready_backends(config, ["olama"], env=os.environ)

    llm_server.stop()
    assert default_backend_names(load_config(tmp_path, config_file), env=os.environ) == ["local"]
    config_file.write_text(config_file.read_text() + lok_toml(NO_LOCAL))
    # nothing at all is ready
    assert default_backend_names(load_config(tmp_path, config_file), env=os.environ) == ["local"]


@pytest.mark.realcli
def test_installed_clis_without_credentials_are_not_ready_and_say_how_to_log_in(
    lok_project: LokProject, real_clis: InstalledClis
):
    """Installed is not enough: a CLI with no key and no login would fail (or, offline, hang) on every
    call, so the defaults must pass it over and doctor must say how to log in."""
    lok_project.write_toml(lok_toml({"ollama": {"command": "http://127.0.0.1:9"}, **NO_LOCAL}))
    with_clis_on_path(lok_project, real_clis)
    home = lok_project.env["HOME"]

    lines = lok_project.lok("doctor").stdout.splitlines()
    assert (
        "✗ codex - codex is installed but has no credentials (fix: set OPENAI_API_KEY, or run `codex login`)"
        in lines
    )
    assert (
        "✗ claude - claude is installed but has no credentials (fix: set ANTHROPIC_API_KEY, or run `claude` once and /login)"
        in lines
    )
    assert any(line.startswith("✗ gemini - gemini is installed but has no credentials") for line in lines)

    # a login file (what `claude /login` leaves) or a key in the environment makes them ready
    credentials = os.path.join(home, ".claude", ".credentials.json")
    os.makedirs(os.path.dirname(credentials))
    with open(credentials, "w") as handle:
        handle.write("{}")
    lok_project.env["GEMINI_API_KEY"] = "key-from-env"
    ready = {
        row["name"]
        for row in json.loads(lok_project.lok("doctor", "--json").stdout)["backends"]
        if row["ready"] and not row["analyzer"]
    }
    assert ready == {"claude", "gemini"}
