"""open_cache prunes expired answers, at most once a day (the marker file's mtime says when)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from lok_action.backends.calling import open_cache
from lok_action.cache import PRUNE_MARKER


def write_entry(directory: Path, key: str, age_seconds: float) -> Path:
    entry = directory / key[:2] / f"{key}.json"
    entry.parent.mkdir(parents=True, exist_ok=True)
    reply = {"backend": "x", "text": "old answer"}
    entry.write_text(json.dumps({"created": time.time() - age_seconds, "reply": reply}))
    return entry


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "lok"


def test_stale_marker_prunes_expired_entries(cache_home: Path) -> None:
    expired = write_entry(cache_home, "aa" + "0" * 62, age_seconds=3 * 3600)
    fresh = write_entry(cache_home, "bb" + "0" * 62, age_seconds=60)
    marker = cache_home / PRUNE_MARKER
    marker.touch()
    two_days_ago = time.time() - 2 * 86400
    os.utime(marker, (two_days_ago, two_days_ago))
    assert open_cache(True, ttl_hours=1) is not None
    assert not expired.exists() and fresh.exists()
    assert time.time() - marker.stat().st_mtime < 60  # the marker records this prune


def test_no_marker_prunes_and_creates_it(cache_home: Path) -> None:
    expired = write_entry(cache_home, "cc" + "0" * 62, age_seconds=3 * 3600)
    open_cache(True, ttl_hours=1)
    assert not expired.exists() and (cache_home / PRUNE_MARKER).is_file()


def test_recent_marker_skips_the_prune(cache_home: Path) -> None:
    expired = write_entry(cache_home, "dd" + "0" * 62, age_seconds=3 * 3600)
    (cache_home / PRUNE_MARKER).touch()
    open_cache(True, ttl_hours=1)
    assert expired.exists()  # pruned at most once a day


def test_disabled_cache_touches_nothing(cache_home: Path) -> None:
    expired = write_entry(cache_home, "ee" + "0" * 62, age_seconds=3 * 3600)
    assert open_cache(True, ttl_hours=1, no_cache=True) is None
    assert open_cache(False, ttl_hours=1) is None
    assert expired.exists() and not (cache_home / PRUNE_MARKER).exists()
