"""Backend registry: kind -> implementing class, imported only when used (keeps start-up fast)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from lok_action.backends.base import Availability, Backend, Reply
from lok_action.config import BackendConfig, Config, check_backend
from lok_action.errors import BackendError, closest

# kind -> "module:Class"
KINDS: dict[str, str] = {
    "command": "lok_action.backends.command:CommandBackend",
    "codex": "lok_action.backends.codex:CodexBackend",
    "claude": "lok_action.backends.claude:ClaudeBackend",
    "gemini": "lok_action.backends.gemini:GeminiBackend",
    "ollama": "lok_action.backends.ollama:OllamaBackend",
    "openai": "lok_action.backends.openai:OpenAIBackend",
    "local": "lok_action.backends.local:LocalBackend",
    "sarif": "lok_action.backends.sarif:SarifBackend",
}

__all__ = ["Availability", "Backend", "Reply", "create_backend", "resolve_backends", "KINDS"]


def create_backend(config: BackendConfig) -> Backend:
    target = KINDS.get(config.kind)
    if target is None:
        raise BackendError(
            f"{config.source}: backends.{config.name}: unknown kind '{config.kind}'{closest(config.kind, KINDS)}"
        )
    check_backend(config)
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(config)


def resolve_backends(
    config: Config, names: Iterable[str], *, include_disabled: bool = False
) -> list[Backend]:
    """Backends by name, in the given order. Unknown or disabled names are an error naming the backend."""
    backends = []
    for name in names:
        if name not in config.backends:
            raise BackendError(
                f"unknown backend '{name}'{closest(name, config.backends)}"
                f" (configured: {', '.join(sorted(config.backends))})"
            )
        backend_config = config.backends[name]
        if not backend_config.enabled and not include_disabled:
            raise BackendError(f"backend '{name}' is disabled in {backend_config.source} (enabled = false)")
        backends.append(create_backend(backend_config))
    return backends
