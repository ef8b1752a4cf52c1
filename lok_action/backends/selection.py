"""Which backends to use when the user names none: the ready ones, else the embedded model; plus the
ready static analyzers, for findings steps. Every function takes the environment the backends will
run in (the run's, not lok's own)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from lok_action.backends import create_backend, resolve_backends
from lok_action.backends.base import Availability, Backend
from lok_action.backends.registry import fallback_names

if TYPE_CHECKING:
    from lok_action.config import Config


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


def enabled_backends(config: Config, *, env: Mapping[str, str]) -> list[Backend]:
    return [create_backend(bc, env=env) for bc in config.backends.values() if bc.enabled]


def ready_backends(
    config: Config, names: Iterable[str] | None = None, *, env: Mapping[str, str]
) -> list[Backend]:
    """The backends (all enabled ones, or ``names``) that are ready now, in config/given order.

    Unknown or disabled names raise BackendError (exit 2).
    """
    backends = (
        enabled_backends(config, env=env) if names is None else resolve_backends(config, names, env=env)
    )
    states = check_availability(backends)
    return [backend for backend, state in zip(backends, states, strict=True) if state.ready]


def default_backend_names(config: Config, *, env: Mapping[str, str]) -> list[str]:
    """Names of the ready enabled backends that answer prompts; the built-in embedded fallback only
    when no other one is ready (it is weak, and slow next to the others); the fallback (["local"])
    when none at all is ready. Static analyzers are not among them (see default_analyzer_names)."""
    ready = [backend for backend in ready_backends(config, env=env) if backend.answers_prompts]
    preferred = [b.name for b in ready if not _is_builtin_fallback(b)]
    if preferred:
        return preferred
    return [b.name for b in ready] or fallback_names()


def default_analyzer_names(config: Config, *, env: Mapping[str, str]) -> list[str]:
    """Names of the ready enabled static analyzers (kinds that answer no prompts): they join every
    analysis."""
    analyzers = [backend for backend in enabled_backends(config, env=env) if not backend.answers_prompts]
    states = check_availability(analyzers)
    return [backend.name for backend, state in zip(analyzers, states, strict=True) if state.ready]


def _is_builtin_fallback(backend: Backend) -> bool:
    return backend.spec.fallback and backend.config.source == "built-in"
