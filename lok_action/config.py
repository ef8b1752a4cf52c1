"""lok.toml: built-in defaults, then the user file, then the project file (or --config), merged key by key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lok_action import ranges
from lok_action.backends import registry
from lok_action.errors import ConfigError, closest
from lok_action.findings.model import CATEGORIES, SEVERITIES
from lok_action.schema import Key, check_value
from lok_action.tomlload import is_present, load_toml
from lok_action.xdg import lok_dir

SARIF_LEVELS = ("error", "warning", "note", "none")

# [defaults] max_output_mb: what one answer or shell output may hold in memory
DEFAULT_OUTPUT_MB = 16  # = process.DEFAULT_OUTPUT_MB (not imported: config loads before any process runs)

# key -> accepted types, description and (numbers) documented range; used for validation and the
# README's configuration reference
DEFAULTS_KEYS: dict[str, Key] = {
    "parallel": Key((bool,), "run independent steps and backends in parallel"),
    "timeout": Key((int, float), "seconds a backend call may take", ranges.SECONDS),
    "command_wrapper": Key((str,), "wrap every shell command, '{cmd}' is replaced by the command"),
    "max_parallel": Key((int,), "most steps/backend calls at once", ranges.PARALLEL),
    "max_output_mb": Key(
        (int, float),
        "MiB kept of each answer and shell output; the rest is cut, and the step says so",
        ranges.OUTPUT_MB,
    ),
    "max_cost": Key(
        (int, float),
        "USD a run (an analysis, a debate, a spawn) may spend (estimated before each call); no more calls once reached",
        ranges.COST_USD,
    ),
}
BACKEND_KEYS: dict[str, Key] = {
    "kind": Key((str,), "backend kind: " + ", ".join(registry.KIND_MODULES) + ", or one a plugin adds"),
    "enabled": Key((bool,), "use this backend"),
    "command": Key(
        (str,), "program to run, or base URL for ollama/openai (required for command, openai, sarif)"
    ),
    "args": Key((list,), 'extra arguments (sarif: all of them, "{files}" where the files go)'),
    "args_mode": Key((str,), "'append' (default) adds args to the defaults, 'replace' replaces them"),
    "model": Key((str,), "model name"),
    "model_path": Key((str,), "GGUF file for the local backend"),
    "timeout": Key((int, float), "seconds, overrides [defaults] timeout", ranges.SECONDS),
    "env": Key((dict,), "extra environment variables"),
    "api_key_env": Key((str,), "name of the env var holding the API key"),
    "budget_chars": Key(
        (int,), "most characters of code context per prompt (default: by kind)", ranges.BUDGET_CHARS
    ),
    "file_patterns": Key(
        (list,), "sarif: the files it analyses, e.g. ['*.py'] (a pattern with '/' matches the path)"
    ),
    "category": Key((str,), "sarif: category of results whose rule has no tag saying one"),
    "levels": Key((dict,), "sarif: SARIF level -> severity, e.g. {error = 'high', warning = 'medium'}"),
    "price_in": Key((int, float), "USD per million prompt tokens (default: by kind, see Cost)", ranges.PRICE),
    "price_out": Key(
        (int, float), "USD per million answer tokens (default: by kind, see Cost)", ranges.PRICE
    ),
}
CACHE_KEYS: dict[str, Key] = {
    "enabled": Key((bool,), "cache successful backend answers"),
    "ttl_hours": Key((int, float), "hours an answer stays valid", ranges.TTL_HOURS),
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
    file_patterns: tuple[str, ...] = ()
    category: str = ""
    levels: Mapping[str, str] = field(default_factory=dict)
    source: str = "built-in"
    output_cap: int = DEFAULT_OUTPUT_MB * 1024 * 1024  # bytes of an answer kept ([defaults] max_output_mb)
    price_in: float | None = None  # USD per million tokens; None: the kind's (KindSpec.price_in)
    price_out: float | None = None


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
    max_cost: float | None = None  # [defaults] max_cost: USD per analysis run; None: no limit

    def backend_timeout(self, backend: BackendConfig) -> float:
        return backend.timeout if backend.timeout is not None else self.timeout


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    return lok_dir("config", env) / "lok.toml"


def _validate_table(source: str, prefix: str, table: Any, schema: Mapping[str, Key]) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [{prefix}] must be a table")
    for key, value in table.items():
        if key not in schema:
            raise ConfigError(f"{source}: unknown key '{prefix}.{key}'{closest(key, schema)}")
        check_value(f"{source}: {prefix}.{key}", value, schema[key], ConfigError)


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
    kinds = registry.kind_names()
    if kind is not None and kind not in kinds:
        raise ConfigError(
            f"{source}: backends.{name}.kind: unknown kind '{kind}'{closest(kind, kinds)}"
            f" (one of {', '.join(kinds)})"
        )
    mode = backend.get("args_mode")
    if mode is not None and mode not in ("append", "replace"):
        raise ConfigError(f"{source}: backends.{name}.args_mode must be 'append' or 'replace', got '{mode}'")
    for key in ("args", "file_patterns"):
        if key in backend and not all(isinstance(item, str) for item in backend[key]):
            raise ConfigError(f"{source}: backends.{name}.{key} must be a list of strings")
    category = backend.get("category")
    if category is not None and category not in CATEGORIES:
        raise ConfigError(
            f"{source}: backends.{name}.category: unknown category '{category}'{closest(category, CATEGORIES)}"
            f" (one of {', '.join(CATEGORIES)})"
        )
    for level, severity in backend.get("levels", {}).items():
        if level not in SARIF_LEVELS:
            raise ConfigError(
                f"{source}: backends.{name}.levels: '{level}' is not a SARIF level (one of {', '.join(SARIF_LEVELS)})"
            )
        if severity not in SEVERITIES:
            raise ConfigError(
                f"{source}: backends.{name}.levels.{level}: unknown severity '{severity}'"
                f" (one of {', '.join(SEVERITIES)})"
            )
    if "env" in backend and not all(isinstance(v, str) for v in backend["env"].values()):
        raise ConfigError(f"{source}: backends.{name}.env values must be strings")


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
    wrapper = defaults.get("command_wrapper", "")
    if wrapper and "{cmd}" not in wrapper:
        raise ConfigError(
            f"{origin.get('defaults', 'config')}: defaults.command_wrapper must contain '{{cmd}}', got {wrapper!r}"
        )
    output_cap = int(defaults["max_output_mb"] * 1024 * 1024)  # its range is checked with the file
    backends: dict[str, BackendConfig] = {}
    kinds = registry.kind_names()
    for name, raw in data["backends"].items():
        source = origin.get(f"backends.{name}", "built-in")
        kind = raw.get("kind") or (name if name in kinds else None)
        if kind is None:
            raise ConfigError(
                f"{source}: backends.{name}: set kind = one of {', '.join(kinds)}"
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
            file_patterns=tuple(raw.get("file_patterns", ())),
            category=raw.get("category", ""),
            levels=dict(raw.get("levels", {})),
            source=source,
            output_cap=output_cap,
            price_in=_price(raw.get("price_in")),
            price_out=_price(raw.get("price_out")),
        )
        registry.check_backend(backends[name])
    cache = data["cache"]
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
        max_cost=_price(defaults.get("max_cost")),
    )


def _price(value: Any) -> float | None:
    return None if value is None else float(value)


def builtin_backends() -> dict[str, dict[str, Any]]:
    """The [backends.NAME] tables every kind contributes (backends.registry), each checked like a
    user's table so that a plugin's bad default is an error naming the plugin."""
    tables = registry.builtin_backends()
    for name, table in tables.items():
        validate_file(registry.origin(table["kind"]), {"backends": {name: table}})
    return tables


def load_config(
    project_dir: Path | None = None,
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Merge built-in defaults, the user file and the project file (``config_file`` replaces ``./lok.toml``)."""
    files: list[Path] = []
    # a lok.toml that is there but is a directory or a broken link is an error (load_toml says which),
    # never skipped as if it were absent
    user = user_config_path(env)
    if is_present(user):
        files.append(user)
    if config_file is not None:
        if not is_present(config_file):
            raise ConfigError(f"{config_file}: config file not found (from --config)")
        files.append(config_file)
    else:
        project = (project_dir or Path.cwd()) / "lok.toml"
        if is_present(project):
            files.append(project)
    data: dict[str, Any] = merge(BUILTIN_DEFAULTS, {"backends": builtin_backends()})
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
