"""The cache key covers a backend's env table and api_key_env, and no secret lands in cache files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lok_action.backends import create_backend
from lok_action.backends.calling import call_backend
from lok_action.cache import AnswerCache
from lok_action.config import BackendConfig

ECHO_MODEL = "import os, sys; sys.stdin.read(); print('model ' + os.environ['MODEL'])"
SECRET = "sk-very-secret-value-123"


def backend(name: str, model: str, api_key_env: str = ""):  # type: ignore[no-untyped-def]
    config = BackendConfig(
        name=name,
        kind="command",
        command=f'{sys.executable} -c "{ECHO_MODEL}"',
        env={"MODEL": model, "VENDOR_API_KEY": SECRET},
        api_key_env=api_key_env,
    )
    return create_backend(config, env=os.environ)


def test_env_table_separates_answers(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path / "cache", ttl_hours=1)
    small = call_backend(backend("small", "small"), "q", tmp_path, 10, cache=cache)
    big = call_backend(backend("big", "big"), "q", tmp_path, 10, cache=cache)
    assert small.text == "model small\n" and not small.cached
    assert big.text == "model big\n" and not big.cached
    again = call_backend(backend("small-again", "small"), "q", tmp_path, 10, cache=cache)
    assert again.cached and again.text == "model small\n"  # same env: same answer, from the cache


def test_api_key_env_is_part_of_the_key(tmp_path: Path) -> None:
    first = backend("x", "small", api_key_env="VENDOR_API_KEY").identity()
    second = backend("x", "small", api_key_env="OTHER_API_KEY").identity()
    assert first != second
    cache = AnswerCache(tmp_path / "cache", ttl_hours=1)
    call_backend(backend("x", "small", "VENDOR_API_KEY"), "q", tmp_path, 10, cache=cache)
    assert not call_backend(backend("x", "small", "OTHER_API_KEY"), "q", tmp_path, 10, cache=cache).cached


def test_no_secret_in_cache_files(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path / "cache", ttl_hours=1)
    call_backend(backend("small", "small", "VENDOR_API_KEY"), "q", tmp_path, 10, cache=cache)
    files = [path for path in (tmp_path / "cache").rglob("*") if path.is_file()]
    assert files
    for path in files:
        assert SECRET not in path.read_text() and SECRET not in path.name
