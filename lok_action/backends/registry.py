"""Every backend kind lok knows: its own (one line each below) and the ones plugins add.

A kind is one module that declares ``KIND = KindSpec(...)`` (backends.spec). A third-party package
adds one with that module and one entry point in the ``lok_action.backends`` group::

    [project.entry-points."lok_action.backends"]
    echo = "lok_echo.kind"          # or "lok_echo.kind:KIND"

Modules are imported only when a kind is asked for (`lok --help` imports none), and once. Config
validation, `lok doctor`, `lok backends`, `lok init`, `lok suggest`, the context budget and the test
fixtures read kinds from here and from nowhere else.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lok_action.errors import BackendError, ConfigError, LokError, closest

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from lok_action.backends.spec import KindSpec
    from lok_action.config import BackendConfig

GROUP = "lok_action.backends"

# kind -> module declaring KIND. The order is the order of the built-in [backends.*] tables (what
# `lok doctor` lists and the default backends run in) and breaks ties between equal strengths.
KIND_MODULES: dict[str, str] = {
    "codex": "lok_action.backends.codex",
    "gemini": "lok_action.backends.gemini",
    "claude": "lok_action.backends.claude",
    "ollama": "lok_action.backends.ollama",
    "openai": "lok_action.backends.openai",
    "local": "lok_action.backends.local",
    "command": "lok_action.backends.command",
    "sarif": "lok_action.backends.sarif",
}


class PluginError(LokError):
    """A backend plugin that cannot be used: it does not import, or declares no valid kind."""


@cache
def _plugins() -> dict[str, EntryPoint]:
    """Entry points of the group by kind name (one distribution found twice on sys.path counts once)."""
    if not _group_may_be_declared():
        return {}
    from importlib.metadata import entry_points

    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=GROUP):
        where = _describe(point)
        if point.name in KIND_MODULES:
            raise PluginError(f"{where}: '{point.name}' is a built-in kind; the plugin must use another name")
        seen = found.get(point.name)
        if seen is not None and seen.value != point.value:
            raise PluginError(f"{where}: kind '{point.name}' is also declared by {_describe(seen)}")
        found.setdefault(point.name, point)
    return found


def _group_may_be_declared() -> bool:
    """False only when no entry_points.txt of a distribution on sys.path names the group.

    A cheap look before importlib.metadata, whose import and scan cost more than the rest of loading
    the config (every command pays it, and almost no installation has a plugin). It only rules
    plugins out: whatever it cannot read (a zip on sys.path, an unreadable folder) counts as "maybe",
    and importlib.metadata then decides."""
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as items:
                folders = [item.path for item in items if item.name.endswith((".dist-info", ".egg-info"))]
        except FileNotFoundError:
            continue  # a sys.path entry that is not there
        except OSError:  # a zip file (NotADirectoryError), an unreadable folder
            return True
        for folder in folders:
            try:
                if GROUP in Path(folder, "entry_points.txt").read_text(encoding="utf-8", errors="replace"):
                    return True
            except (FileNotFoundError, NotADirectoryError):
                continue  # no entry points, or an egg-info that is a file
            except OSError:
                return True
    return False


def _describe(point: EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    origin = f", from {dist.name} {dist.version}" if dist is not None and dist.name else ""
    return f"backend plugin '{point.name}' ({point.value}{origin})"


def kind_names() -> tuple[str, ...]:
    """Every kind: lok's own, then the plugins' (sorted). Imports no kind module."""
    return (*KIND_MODULES, *sorted(_plugins()))


def origin(name: str) -> str:
    """Where a kind comes from, for error messages: "built-in kind 'codex'" or the plugin."""
    plugin = _plugins().get(name) if name not in KIND_MODULES else None
    return _describe(plugin) if plugin is not None else f"built-in kind '{name}'"


def kind_spec(name: str) -> KindSpec:
    """The spec of kind ``name``, its module imported on first use. An unknown name is a BackendError
    naming the known ones; a plugin that fails to load is a PluginError naming the plugin."""
    if name not in KIND_MODULES and name not in _plugins():
        known = kind_names()
        raise BackendError(f"unknown backend kind '{name}'{closest(name, known)} (one of {', '.join(known)})")
    return _load(name)


def kind_specs() -> list[KindSpec]:
    """Every kind's spec, in kind_names() order (imports every kind module)."""
    return [_load(name) for name in kind_names()]


@cache
def _load(name: str) -> KindSpec:
    module_path = KIND_MODULES.get(name)
    if module_path is not None:  # ours: an import error here is a bug, and shows as one
        return _checked(getattr(importlib.import_module(module_path), "KIND", None), name, origin(name))
    point = _plugins()[name]
    where = _describe(point)
    try:
        loaded = point.load()
    except Exception as error:  # whatever a third-party import raises, said in one line
        detail = " ".join(f"{type(error).__name__}: {error}".split())
        raise PluginError(f"{where}: cannot be imported ({detail})") from None
    declared = getattr(loaded, "KIND", None) if isinstance(loaded, types.ModuleType) else loaded
    return _checked(declared, name, where)


def _checked(spec: object, name: str, where: str) -> KindSpec:
    """``spec`` when it is a usable KindSpec for kind ``name``; else a one-line PluginError."""
    from lok_action.backends.spec import KindSpec, Strength

    def bad(problem: str) -> PluginError:
        return PluginError(f"{where}: {problem}")

    if not isinstance(spec, KindSpec):
        raise bad(f"declares no KIND = KindSpec(...) (found {type(spec).__name__})")
    if spec.name != name:
        raise bad(f"its KindSpec is named '{spec.name}', not '{name}' as its entry point")
    cls = spec.backend_class
    # by name: importing backends.base here would close a cycle (base asks the registry for its spec)
    if not (isinstance(cls, type) and any(_is_backend_base(ancestor) for ancestor in cls.__mro__)):
        raise bad("backend_class must be a subclass of lok_action.backends.base.Backend")
    if getattr(cls, "kind", None) != name:
        raise bad(f"{cls.__name__}.kind must be '{name}', got {getattr(cls, 'kind', None)!r}")
    if not isinstance(spec.builtin, Mapping) or not all(
        isinstance(backend, str) and isinstance(table, Mapping) for backend, table in spec.builtin.items()
    ):
        raise bad("builtin must map backend names to [backends.NAME] tables")
    for backend, table in spec.builtin.items():
        if table.get("kind", name) != name:
            raise bad(f"builtin table '{backend}' has kind '{table['kind']}'")
    if not all(isinstance(strength, Strength) for strength in spec.strengths):
        raise bad("strengths must be a tuple of Strength")
    for key, value in (("budget_chars", spec.budget_chars), ("max_chunks", spec.max_chunks)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise bad(f"{key} must be a positive integer or None, got {value!r}")
    return spec


def builtin_backends() -> dict[str, dict[str, Any]]:
    """The built-in [backends.NAME] tables of every kind (each with its "kind"), in kind order.
    Two kinds contributing the same name is a PluginError naming the later one."""
    tables: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    for spec in kind_specs():
        for backend, table in spec.builtin.items():
            if backend in tables:
                raise PluginError(
                    f"{origin(spec.name)}: its built-in backend '{backend}' is already"
                    f" one of {origin(owner[backend])}"
                )
            tables[backend] = {"kind": spec.name, **table}
            owner[backend] = spec.name
    return tables


def fallback_names() -> list[str]:
    """The built-in backends of fallback kinds (the embedded model): the default when none is ready."""
    return [name for name, table in builtin_backends().items() if kind_spec(table["kind"]).fallback]


def _is_backend_base(cls: type) -> bool:
    return cls.__module__ == "lok_action.backends.base" and cls.__qualname__ == "Backend"


def check_backend(backend: BackendConfig) -> None:
    """A backend that cannot work as configured (a command backend with no command) is an error
    when the config loads and when a workflow's backends are resolved, not when it is first called.
    What a kind requires is its KindSpec's (required keys, then its own check)."""
    spec = kind_spec(backend.kind)
    for key in spec.required:
        if not getattr(backend, key):
            raise ConfigError(
                f"{backend.source}: backends.{backend.name}.{key} is required for kind '{backend.kind}'"
            )
    if spec.check is not None:
        spec.check(backend)
