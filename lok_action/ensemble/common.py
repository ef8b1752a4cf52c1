"""What debate, spawn and conduct share: the project and backends a run may use, how one backend is
asked (and many at once), and how a result is kept and shown.

The commands turn argv into these values; nothing here reads argparse."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lok_action.atomic import atomic_write_text
from lok_action.backends.calling import call_backend
from lok_action.errors import UsageError

if TYPE_CHECKING:
    from lok_action.backends.base import Backend
    from lok_action.budget import Spend
    from lok_action.cache import AnswerCache
    from lok_action.cassette import Cassette
    from lok_action.config import Config
    from lok_action.progress import Progress
    from lok_action.reply import Reply

Item = TypeVar("Item")
Answer = TypeVar("Answer")


@dataclass(frozen=True)
class CallSettings:
    """How a mode asks its backends: in the workdir, each with its own timeout, through the cache."""

    workdir: Path
    timeout_for: Callable[[Backend], float]  # seconds one call of this backend may take
    note: Callable[[str], None]  # progress lines as things happen
    cache: AnswerCache | None = None
    max_parallel: int = 8
    cassette: Cassette | None = None  # --record / --replay
    spend: Spend | None = None  # --max-cost: each call admitted by the budget first (lok_action.budget)

    def ask(self, backend: Backend, prompt: str) -> Reply:
        def call() -> Reply:
            return call_backend(
                backend,
                prompt,
                self.workdir,
                self.timeout_for(backend),
                cache=self.cache,
                cassette=self.cassette,
            )

        if self.spend is None:
            return call()
        from lok_action.costs import price_of

        return self.spend.call(backend.name, price_of(backend), len(prompt), call)

    def each(self, work: Callable[[Item], Answer], items: Sequence[Item]) -> list[Answer]:
        """``work`` on every item at once (at most max_parallel at a time); results in item order."""
        with ThreadPoolExecutor(max_workers=max(1, min(len(items), self.max_parallel))) as pool:
            return list(pool.map(work, items))


@dataclass(frozen=True)
class Ensemble:
    """One run's frame: the project directory, its config, the backends the run may use, its progress."""

    workdir: Path
    config: Config
    names: list[str]  # backends named on the command line, else every ready one
    progress: Progress
    env: Mapping[str, str]  # what the backends' processes see
    cassette: Cassette | None = None  # --record / --replay: every call recorded, or answered from it

    def backends(self, names: Sequence[str]) -> list[Backend]:
        """Backends by name; unknown or disabled names are a one-line error naming them."""
        from lok_action.backends import resolve_backends

        return resolve_backends(self.config, names, env=self.env)

    def backend(self, name: str) -> Backend:
        return self.backends([name])[0]

    def best_for(self, task: str, among: Sequence[str] | None = None) -> tuple[str, str]:
        """(backend, reason): the one `lok suggest` picks for ``task`` among ``among`` (default: names)."""
        from lok_action.suggest import pick_backend

        names = self.names if among is None else among
        return pick_backend(task, {name: self.config.backends[name].kind for name in names})

    def call_settings(self, *, use_cache: bool, max_cost: float | None = None) -> CallSettings:
        """``max_cost``: the run's budget in USD (None: lok.toml's [defaults] max_cost, else none)."""
        from lok_action.backends.calling import open_cache
        from lok_action.budget import Spend

        config = self.config
        limit = max_cost if max_cost is not None else config.max_cost
        return CallSettings(
            workdir=self.workdir,
            timeout_for=lambda backend: config.backend_timeout(backend.config),
            note=self.progress.note,
            cache=open_cache(config.cache_enabled, config.cache_ttl_hours, not use_cache),
            max_parallel=config.max_parallel if config.parallel else 1,
            cassette=self.cassette,
            spend=Spend(limit=limit) if limit is not None else None,
        )


def open_ensemble(
    directory: str,
    config_file: str | None,
    names: list[str] | None,
    progress: Progress,
    cassette: Cassette | None = None,
) -> Ensemble:
    """The frame for a run in ``directory`` (`-C`), with ``config_file`` (`--config`) and the backends
    ``names`` (None: the ready ones, by the backends' own selection rule; in a replay, the ones the
    cassette holds answers from)."""
    from lok_action.backends.selection import default_backend_names
    from lok_action.config import load_config

    workdir = Path(directory).resolve()
    if not workdir.is_dir():
        raise UsageError(f"--dir {directory}: not a directory")
    env = os.environ
    config = load_config(workdir, Path(config_file) if config_file else None, env)
    if names is not None:
        chosen = list(names)
    elif cassette is not None and cassette.replaying:
        chosen = cassette.default_backends(config, env)
    else:
        chosen = default_backend_names(config, env=env)
    return Ensemble(workdir, config, chosen, progress, env, cassette)


def as_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def save_json(path: Path, data: Any) -> None:
    atomic_write_text(path, as_json(data) + "\n")
