"""Backends: make one from its [backends.NAME] config, with the kind's class from backends.registry
(imported only when used, which keeps start-up fast)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from lok_action.backends.base import Availability, Backend, Reply
from lok_action.errors import BackendError, closest

if TYPE_CHECKING:
    from lok_action.config import BackendConfig, Config

__all__ = ["Availability", "Backend", "Reply", "create_backend", "resolve_backends"]


def create_backend(config: BackendConfig, *, env: Mapping[str, str]) -> Backend:
    """A backend of ``config``'s kind that runs in ``env`` (the run's environment, not lok's own)."""
    from lok_action.backends.registry import check_backend, kind_names, kind_spec

    known = kind_names()
    if config.kind not in known:
        raise BackendError(
            f"{config.source}: backends.{config.name}: unknown kind '{config.kind}'{closest(config.kind, known)}"
        )
    check_backend(config)
    return kind_spec(config.kind).backend_class(config, env)


def resolve_backends(
    config: Config, names: Iterable[str], *, env: Mapping[str, str], include_disabled: bool = False
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
        backends.append(create_backend(backend_config, env=env))
    return backends
