"""Fixtures for the backend tests: the fake model server, the real npm CLIs, and their offline setup.

The environments follow the project's notes on running each vendor CLI headless against a local endpoint,
so that no CLI looks up an outside host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lok_action.config import BackendConfig
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.npm_clis import InstalledClis, install_clis

OLLAMA_MODEL = "qwen2.5-coder:7b"
GEMINI_MODEL = "gemini-2.5-flash"
# a model codex knows to offer plain function tools (exec_command) rather than its JS "code mode"
CODEX_MODEL = "gpt-5-codex"
GEMINI_SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {"disableAutoUpdate": True, "disableUpdateNag": True, "maxAttempts": 1},
}


@dataclass(frozen=True)
class CliHomes:
    """Per-test config homes, so the CLIs neither read nor write the user's real ones."""

    claude: Path
    codex: Path
    gemini: Path


def make_homes(root: Path) -> CliHomes:
    homes = CliHomes(root / "claude-home", root / "codex-home", root / "gemini-home")
    for home in (homes.claude, homes.codex, homes.gemini):
        home.mkdir(parents=True, exist_ok=True)
    (homes.gemini / ".gemini").mkdir(exist_ok=True)
    (homes.gemini / ".gemini" / "settings.json").write_text(json.dumps(GEMINI_SETTINGS))
    return homes


def codex_provider_args(server_url: str) -> list[str]:
    provider = (
        f'{{name="Fake",base_url="{server_url}/v1",env_key="FAKE_API_KEY",'
        'wire_api="responses",request_max_retries=0,stream_max_retries=0}'
    )
    flags = [
        "model_provider=fake",
        f"model_providers.fake={provider}",
        "check_for_update_on_startup=false",
        "analytics.enabled=false",
        "features.plugins=false",
        "features.unbounded_connection_retries=false",
    ]
    return [arg for flag in flags for arg in ("-c", flag)]


def backend_tables(
    server_url: str, homes: CliHomes, commands: Mapping[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """[backends.*] tables for codex, claude, gemini and ollama, all talking to ``server_url``."""
    commands = dict(commands or {})
    return {
        "codex": {
            "command": commands.get("codex", "codex"),
            "model": CODEX_MODEL,
            "args": codex_provider_args(server_url),
            "env": {"CODEX_HOME": str(homes.codex), "FAKE_API_KEY": "fake-codex-key-123"},
        },
        "claude": {
            "command": commands.get("claude", "claude"),
            "env": {
                "ANTHROPIC_BASE_URL": server_url,
                "ANTHROPIC_API_KEY": "fake-anthropic-key-123",
                "CLAUDE_CONFIG_DIR": str(homes.claude),
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                "CLAUDE_CODE_MAX_RETRIES": "0",
            },
        },
        "gemini": {
            "command": commands.get("gemini", "gemini"),
            "model": GEMINI_MODEL,
            "env": {
                "GEMINI_CLI_HOME": str(homes.gemini),
                "GEMINI_API_KEY": "fake-gemini-key-123",
                "GOOGLE_GEMINI_BASE_URL": server_url,
            },
        },
        "ollama": {"command": server_url, "model": OLLAMA_MODEL},
    }


def backend_config(name: str, table: Mapping[str, Any], **overrides: Any) -> BackendConfig:
    values = {**table, **overrides}
    return BackendConfig(
        name=name,
        kind=values.pop("kind", name),
        command=values.pop("command", ""),
        args=tuple(values.pop("args", ())),
        env=dict(values.pop("env", {})),
        **values,
    )


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def lok_toml(backends: Mapping[str, Mapping[str, Any]], extra: str = "") -> str:
    parts = [extra] if extra else []
    for name, table in backends.items():
        parts.append(f"[backends.{name}]")
        parts.extend(f"{key} = {toml_value(value)}" for key, value in table.items())
        parts.append("")
    return "\n".join(parts)


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture(scope="session")
def real_clis() -> InstalledClis:
    """codex, claude and gemini from npm at the pinned versions (installed once, cached)."""
    return install_clis()


@pytest.fixture
def cli_homes(tmp_path: Path) -> CliHomes:
    return make_homes(tmp_path / "homes")
