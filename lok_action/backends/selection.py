"""Which backends to use when the user names none: the ready ones, else the embedded model; plus the
ready static analyzers, for findings steps."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from lok_action.backends import create_backend, resolve_backends
from lok_action.backends.base import Availability, Backend
from lok_action.config import Config

FALLBACK = "local"  # the embedded model: works offline on a fresh machine


def check_availability(backends: list[Backend]) -> list[Availability]:
    """available() of each backend, checked in parallel (probes may wait on the network)."""
    if not backends:
        return []
    with ThreadPoolExecutor(max_workers=min(len(backends), 8)) as pool:
        return list(pool.map(_safe_available, backends))


def _safe_available(backend: Backend) -> Availability:
    try:
        return backend.available()
    except Exception as error:  # a misconfigured backend is "not ready", not a crash of the whole check
        return Availability(False, f"cannot check: {error}", f"fix backends.{backend.name} in lok.toml")


def enabled_backends(config: Config) -> list[Backend]:
    return [create_backend(bc) for bc in config.backends.values() if bc.enabled]


def ready_backends(config: Config, names: Iterable[str] | None = None) -> list[Backend]:
    """The backends (all enabled ones, or ``names``) that are ready now, in config/given order.

    Unknown or disabled names raise BackendError (exit 2).
    """
    backends = enabled_backends(config) if names is None else resolve_backends(config, names)
    states = check_availability(backends)
    return [backend for backend, state in zip(backends, states, strict=True) if state.ready]


def default_backend_names(config: Config) -> list[str]:
    """Names of the ready enabled backends that answer prompts; the built-in embedded fallback only
    when no other one is ready (it is weak, and slow next to the others); ["local"] when none at all
    is ready. Static analyzers are not among them (see default_analyzer_names)."""
    ready = [backend for backend in ready_backends(config) if backend.answers_prompts]
    preferred = [b.name for b in ready if not _is_builtin_fallback(config, b.name)]
    if preferred:
        return preferred
    return [b.name for b in ready] or [FALLBACK]


def default_analyzer_names(config: Config) -> list[str]:
    """Names of the ready enabled static analyzers (kind "sarif"): they join every analysis."""
    analyzers = [backend for backend in enabled_backends(config) if not backend.answers_prompts]
    states = check_availability(analyzers)
    return [backend.name for backend, state in zip(analyzers, states, strict=True) if state.ready]


def _is_builtin_fallback(config: Config, name: str) -> bool:
    backend_config = config.backends[name]
    return backend_config.kind == "local" and backend_config.source == "built-in"
