"""lok.toml: built-in defaults, then the user file, then the project file (or --config), merged key by key."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lok_action.errors import ConfigError, closest
from lok_action.tomlload import load_toml

# kind -> defaults for a backend of that name when the user does not say otherwise
BUILTIN_BACKENDS: dict[str, dict[str, Any]] = {
    "codex": {"kind": "codex", "command": "codex"},
    "gemini": {"kind": "gemini", "command": "gemini", "model": "gemini-2.5-pro"},
    "claude": {"kind": "claude", "command": "claude"},
    "ollama": {"kind": "ollama", "command": "http://localhost:11434", "model": "qwen2.5-coder:7b"},
    "local": {"kind": "local"},
}

BACKEND_KINDS = ("codex", "claude", "gemini", "ollama", "openai", "local", "command")

# [defaults] max_output_mb: what one answer or shell output may hold in memory
MIN_OUTPUT_MB, MAX_OUTPUT_MB = 0.001, 1024
DEFAULT_OUTPUT_MB = 16  # = process.DEFAULT_OUTPUT_MB (not imported: config loads before any process runs)

# key -> (accepted python types, description); used for validation and the config reference
DEFAULTS_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "parallel": ((bool,), "run independent steps and backends in parallel"),
    "timeout": ((int, float), "seconds a backend call may take"),
    "command_wrapper": ((str,), "wrap every shell command, '{cmd}' is replaced by the command"),
    "max_parallel": ((int,), "most steps/backend calls at once"),
    "max_output_mb": (
        (int, float),
        f"MiB kept of each answer and shell output ({MIN_OUTPUT_MB:g} to {MAX_OUTPUT_MB:g});"
        " the rest is cut, and the step says so",
    ),
}
BACKEND_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "kind": ((str,), "backend kind: " + ", ".join(BACKEND_KINDS)),
    "enabled": ((bool,), "use this backend"),
    "command": ((str,), "program to run, or base URL for ollama/openai"),
    "args": ((list,), "extra arguments"),
    "args_mode": ((str,), "'append' (default) adds args to the defaults, 'replace' replaces them"),
    "model": ((str,), "model name"),
    "model_path": ((str,), "GGUF file for the local backend"),
    "timeout": ((int, float), "seconds, overrides [defaults] timeout"),
    "env": ((dict,), "extra environment variables"),
    "api_key_env": ((str,), "name of the env var holding the API key"),
    "budget_chars": ((int,), "most characters of code context per prompt"),
}
CACHE_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "enabled": ((bool,), "cache successful backend answers"),
    "ttl_hours": ((int, float), "hours an answer stays valid"),
}
SECTIONS = ("defaults", "backends", "cache")

BUILTIN_DEFAULTS: dict[str, Any] = {
    "defaults": {
        "parallel": True,
        "timeout": 300,
        "command_wrapper": "",
        "max_parallel": 8,
        "max_output_mb": DEFAULT_OUTPUT_MB,
    },
    "backends": {name: dict(values) for name, values in BUILTIN_BACKENDS.items()},
    "cache": {"enabled": True, "ttl_hours": 24},
}


@dataclass(frozen=True)
class BackendConfig:
    name: str
    kind: str
    enabled: bool = True
    command: str = ""
    args: tuple[str, ...] = ()
    args_mode: str = "append"
    model: str = ""
    model_path: str = ""
    timeout: float | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    api_key_env: str = ""
    budget_chars: int = 0
    source: str = "built-in"
    output_cap: int = DEFAULT_OUTPUT_MB * 1024 * 1024  # bytes of an answer kept ([defaults] max_output_mb)


@dataclass(frozen=True)
class Config:
    parallel: bool = True
    timeout: float = 300
    command_wrapper: str = ""
    max_parallel: int = 8
    backends: Mapping[str, BackendConfig] = field(default_factory=dict)
    cache_enabled: bool = True
    cache_ttl_hours: float = 24
    sources: tuple[str, ...] = ()
    output_cap: int = DEFAULT_OUTPUT_MB * 1024 * 1024  # bytes kept of each answer and shell output

    def backend_timeout(self, backend: BackendConfig) -> float:
        return backend.timeout if backend.timeout is not None else self.timeout


def lok_dir(kind: str, env: Mapping[str, str] | None = None) -> Path:
    """lok's folder in the XDG base directory ``kind`` ("config" or "cache"): $XDG_<KIND>_HOME/lok,
    else ~/.<kind>/lok."""
    env = os.environ if env is None else env
    base = env.get(f"XDG_{kind.upper()}_HOME") or str(Path(env.get("HOME", str(Path.home()))) / f".{kind}")
    return Path(base) / "lok"


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    return lok_dir("config", env) / "lok.toml"


def _check_type(source: str, key: str, value: Any, types: tuple[type, ...]) -> None:
    # bool is an int in Python; do not let `timeout = true` pass as a number
    ok = False if isinstance(value, bool) and bool not in types else isinstance(value, types)
    if not ok:
        wanted = " or ".join(t.__name__ for t in types).replace("str", "string").replace("float", "number")
        raise ConfigError(f"{source}: {key} must be a {wanted}, got {value!r}")


def _validate_table(source: str, prefix: str, table: Any, schema: Mapping[str, tuple[tuple[type, ...], str]]):
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [{prefix}] must be a table")
    for key, value in table.items():
        if key not in schema:
            raise ConfigError(f"{source}: unknown key '{prefix}.{key}'{closest(key, schema)}")
        _check_type(source, f"{prefix}.{key}", value, schema[key][0])


def validate_file(source: str, data: Mapping[str, Any]) -> None:
    for section, table in data.items():
        if section not in SECTIONS:
            raise ConfigError(f"{source}: unknown section [{section}]{closest(section, SECTIONS)}")
        if section == "defaults":
            _validate_table(source, "defaults", table, DEFAULTS_KEYS)
        elif section == "cache":
            _validate_table(source, "cache", table, CACHE_KEYS)
        else:
            if not isinstance(table, dict):
                raise ConfigError(f"{source}: [backends] must be a table of [backends.NAME] tables")
            for name, backend in table.items():
                _validate_table(source, f"backends.{name}", backend, BACKEND_KEYS)
                _validate_backend_values(source, name, backend)


def _validate_backend_values(source: str, name: str, backend: Mapping[str, Any]) -> None:
    kind = backend.get("kind")
    if kind is not None and kind not in BACKEND_KINDS:
        raise ConfigError(
            f"{source}: backends.{name}.kind: unknown kind '{kind}'{closest(kind, BACKEND_KINDS)}"
            f" (one of {', '.join(BACKEND_KINDS)})"
        )
    mode = backend.get("args_mode")
    if mode is not None and mode not in ("append", "replace"):
        raise ConfigError(f"{source}: backends.{name}.args_mode must be 'append' or 'replace', got '{mode}'")
    for key in ("args",):
        if key in backend and not all(isinstance(item, str) for item in backend[key]):
            raise ConfigError(f"{source}: backends.{name}.{key} must be a list of strings")
    if "env" in backend and not all(isinstance(v, str) for v in backend["env"].values()):
        raise ConfigError(f"{source}: backends.{name}.env values must be strings")
    timeout = backend.get("timeout")
    if timeout is not None and not _positive(timeout):
        raise ConfigError(f"{source}: backends.{name}.timeout must be a finite number > 0, got {timeout}")


def _positive(value: float) -> bool:
    """Finite and > 0: TOML allows inf and nan, and nan compares false with everything."""
    return math.isfinite(value) and value > 0


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Key-by-key merge: tables merge recursively, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _build(data: Mapping[str, Any], sources: tuple[str, ...], origin: Mapping[str, str]) -> Config:
    defaults = data["defaults"]
    if not _positive(defaults["timeout"]):
        raise ConfigError(
            f"{origin.get('defaults', 'config')}: defaults.timeout must be a finite number > 0,"
            f" got {defaults['timeout']}"
        )
    if defaults["max_parallel"] < 1:
        raise ConfigError(f"{origin.get('defaults', 'config')}: defaults.max_parallel must be >= 1")
    wrapper = defaults.get("command_wrapper", "")
    if wrapper and "{cmd}" not in wrapper:
        raise ConfigError(
            f"{origin.get('defaults', 'config')}: defaults.command_wrapper must contain '{{cmd}}', got {wrapper!r}"
        )
    output_cap = _output_cap(defaults["max_output_mb"], origin.get("defaults", "config"))
    backends: dict[str, BackendConfig] = {}
    for name, raw in data["backends"].items():
        source = origin.get(f"backends.{name}", "built-in")
        kind = raw.get("kind") or (name if name in BACKEND_KINDS else None)
        if kind is None:
            raise ConfigError(
                f"{source}: backends.{name}: set kind = one of {', '.join(BACKEND_KINDS)}"
                f" (the name '{name}' is not a kind)"
            )
        backends[name] = BackendConfig(
            name=name,
            kind=kind,
            enabled=raw.get("enabled", True),
            command=raw.get("command", ""),
            args=tuple(raw.get("args", ())),
            args_mode=raw.get("args_mode", "append"),
            model=raw.get("model", ""),
            model_path=raw.get("model_path", ""),
            timeout=raw.get("timeout"),
            env=dict(raw.get("env", {})),
            api_key_env=raw.get("api_key_env", ""),
            budget_chars=raw.get("budget_chars", 0),
            source=source,
            output_cap=output_cap,
        )
    cache = data["cache"]
    if not (math.isfinite(cache["ttl_hours"]) and cache["ttl_hours"] >= 0):
        raise ConfigError(
            f"{origin.get('cache', 'config')}: cache.ttl_hours must be a finite number >= 0,"
            f" got {cache['ttl_hours']}"
        )
    return Config(
        parallel=defaults["parallel"],
        timeout=float(defaults["timeout"]),
        command_wrapper=wrapper,
        max_parallel=defaults["max_parallel"],
        backends=backends,
        cache_enabled=cache["enabled"],
        cache_ttl_hours=float(cache["ttl_hours"]),
        sources=sources,
        output_cap=output_cap,
    )


def _output_cap(megabytes: float, source: str) -> int:
    """[defaults] max_output_mb, checked, in bytes."""
    if not (math.isfinite(megabytes) and MIN_OUTPUT_MB <= megabytes <= MAX_OUTPUT_MB):
        raise ConfigError(
            f"{source}: defaults.max_output_mb must be from {MIN_OUTPUT_MB:g} to {MAX_OUTPUT_MB:g}, got {megabytes}"
        )
    return int(megabytes * 1024 * 1024)


def load_config(
    project_dir: Path | None = None,
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Merge built-in defaults, the user file and the project file (``config_file`` replaces ``./lok.toml``)."""
    files: list[Path] = []
    user = user_config_path(env)
    if user.is_file():
        files.append(user)
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: config file not found (from --config)")
        files.append(config_file)
    else:
        project = (project_dir or Path.cwd()) / "lok.toml"
        if project.is_file():
            files.append(project)
    data: dict[str, Any] = merge({}, BUILTIN_DEFAULTS)
    origin: dict[str, str] = {}
    for path in files:
        layer = load_toml(path, ConfigError)
        validate_file(str(path), layer)
        for section, table in layer.items():
            origin[section] = str(path)
            if section == "backends":
                for name in table:
                    origin[f"backends.{name}"] = str(path)
        data = merge(data, layer)
    return _build(data, tuple(str(p) for p in files), origin)
