"""Answer cache: successful backend replies keyed by backend identity, prompt and workdir.

The cache only ever saves work, so it never costs an answer: a cache that cannot be read or written is
one warning line and the run goes on uncached; an entry that cannot be used is ignored and replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from lok_action import json_text
from lok_action.atomic import atomic_write_text
from lok_action.reply import Reply


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    from lok_action.xdg import lok_dir

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
REPLY_FIELDS = {field.name for field in fields(Reply)}


def warn_on_stderr(message: str) -> None:
    print(f"lok: warning: {message}", file=sys.stderr, flush=True)


class AnswerCache:
    def __init__(
        self, directory: Path, ttl_hours: float, warn: Callable[[str], None] = warn_on_stderr
    ) -> None:
        self.directory = directory
        self.ttl_seconds = ttl_hours * 3600
        self._warn = warn
        self._lock = threading.Lock()
        self.broken = False  # set once the cache failed: from then on the run goes on uncached

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def _give_up(self, doing: str, error: OSError) -> None:
        with self._lock:
            if self.broken:
                return
            self.broken = True
        where = error.filename or self.directory
        self._warn(f"answer cache unusable ({doing} {where}: {error.strerror or error}); going on uncached")

    def usable(self) -> bool:
        """Whether the cache directory exists or can be made (warns once when not)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self._give_up("cannot create", error)
        return not self.broken

    def get(self, identity: Mapping[str, Any], prompt: str, workdir: Path) -> Reply | None:
        if self.broken:
            return None
        path = self._path(cache_key(identity, prompt, workdir))
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            self._give_up("cannot read", error)
            return None
        reply, created = _decode(raw)
        if reply is None or time.time() - created > self.ttl_seconds:
            self._discard(path)  # expired, or written by an incompatible version, or damaged
            return None
        return reply

    def put(self, identity: Mapping[str, Any], prompt: str, workdir: Path, reply: Reply) -> None:
        if not reply.ok or self.broken:
            return  # only successes are worth replaying
        entry = {"created": time.time(), "reply": asdict(reply)}
        try:
            atomic_write_text(self._path(cache_key(identity, prompt, workdir)), json.dumps(entry))
        except OSError as error:
            self._give_up("cannot write", error)

    def _discard(self, path: Path) -> None:
        with contextlib.suppress(OSError):  # the good answer about to be written replaces it anyway
            path.unlink(missing_ok=True)

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
        """Remove expired and unusable entries; returns how many."""
        removed = 0
        now = time.time()
        for path in self.directory.glob("*/*.json"):
            try:
                reply, created = _decode(path.read_bytes())
            except OSError:
                continue
            if reply is None or now - created > self.ttl_seconds:
                self._discard(path)
                removed += 1
        return removed


def _decode(raw: bytes) -> tuple[Reply | None, float]:
    """The cached reply and when it was written, or (None, 0) for anything that is not a valid entry."""
    try:
        entry = json_text.loads(raw)
    except ValueError:
        return None, 0.0
    if not isinstance(entry, dict):
        return None, 0.0
    created, data = entry.get("created"), entry.get("reply")
    if isinstance(created, bool) or not isinstance(created, (int, float)) or not math.isfinite(created):
        return None, 0.0
    if not isinstance(data, dict) or not set(data) <= REPLY_FIELDS:
        return None, 0.0
    if not isinstance(data.get("backend"), str) or not isinstance(data.get("text"), str):
        return None, 0.0
    if data.get("error") is not None:
        return None, 0.0  # only successes are ever written
    try:
        return Reply(**{**data, "cached": True}), float(created)
    except TypeError:
        return None, 0.0
