"""Answer cache: successful backend replies keyed by backend identity, prompt and workdir."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lok_action.atomic import atomic_write_text
from lok_action.backends.base import Reply


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    from lok_action.config import lok_dir

    return lok_dir("cache", env)


def cache_key(identity: Mapping[str, Any], prompt: str, workdir: Path) -> str:
    # sort_keys makes the key independent of how the identity dict was built
    canonical = json.dumps(
        {"backend": identity, "prompt": prompt, "workdir": str(Path(workdir).resolve())},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


PRUNE_MARKER = ".last-prune"
PRUNE_INTERVAL = 24 * 3600.0


class AnswerCache:
    def __init__(self, directory: Path, ttl_hours: float) -> None:
        self.directory = directory
        self.ttl_seconds = ttl_hours * 3600

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, identity: Mapping[str, Any], prompt: str, workdir: Path) -> Reply | None:
        path = self._path(cache_key(identity, prompt, workdir))
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or time.time() - entry.get("created", 0) > self.ttl_seconds:
            path.unlink(missing_ok=True)
            return None
        try:
            return Reply(**{**entry["reply"], "cached": True})
        except (KeyError, TypeError):
            path.unlink(missing_ok=True)  # written by an incompatible version
            return None

    def put(self, identity: Mapping[str, Any], prompt: str, workdir: Path, reply: Reply) -> None:
        if not reply.ok:
            return  # only successes are worth replaying
        entry = {"created": time.time(), "reply": asdict(reply)}
        atomic_write_text(self._path(cache_key(identity, prompt, workdir)), json.dumps(entry))

    def prune_if_due(self, every_seconds: float = PRUNE_INTERVAL) -> int:
        """Prune at most once per ``every_seconds`` (the marker file's mtime records the last time),
        so the cache does not grow forever and opening it stays cheap. Never raises."""
        marker = self.directory / PRUNE_MARKER
        try:
            if time.time() - marker.stat().st_mtime < every_seconds:
                return 0
        except OSError:
            pass  # never pruned (or unreadable): prune now
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            marker.touch()
            return self.prune()
        except OSError:
            return 0  # a read-only cache directory is no reason to fail the run

    def prune(self) -> int:
        """Remove expired entries; returns how many."""
        removed = 0
        now = time.time()
        for path in self.directory.glob("*/*.json"):
            try:
                created = json.loads(path.read_text(encoding="utf-8")).get("created", 0)
            except (OSError, ValueError, AttributeError):
                created = 0
            if now - created > self.ttl_seconds:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
