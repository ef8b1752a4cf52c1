"""The answer cache and the retrying backend call, through a real `command` backend process."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from lok_action.backends import create_backend
from lok_action.backends.calling import call_backend, open_cache
from lok_action.cache import PRUNE_MARKER, AnswerCache, cache_key
from lok_action.config import BackendConfig

COUNTING_BACKEND = """
import os, sys
counter = os.environ["LOK_TEST_COUNTER"]
calls = int(open(counter).read()) if os.path.exists(counter) else 0
open(counter, "w").write(str(calls + 1))
fail_first = int(os.environ.get("LOK_TEST_FAIL_FIRST", "0"))
if calls < fail_first:
    sys.exit(int(os.environ.get("LOK_TEST_FAIL_CODE", "75")))
print("answer to " + sys.stdin.read().strip())
"""


def make_backend(tmp_path: Path, fail_first: int = 0, fail_code: int = 75):
    script = tmp_path / "backend.py"
    script.write_text(COUNTING_BACKEND)
    counter = tmp_path / "calls"
    env = {
        "LOK_TEST_COUNTER": str(counter),
        "LOK_TEST_FAIL_FIRST": str(fail_first),
        "LOK_TEST_FAIL_CODE": str(fail_code),
    }
    config = BackendConfig(name="counting", kind="command", command=f"{sys.executable} {script}", env=env)
    return create_backend(config, env=os.environ), counter


def calls(counter: Path) -> int:
    return int(counter.read_text()) if counter.exists() else 0


def test_cached_answer_is_replayed_without_calling_the_backend(tmp_path):
    backend, counter = make_backend(tmp_path)
    cache = AnswerCache(tmp_path / "cache", ttl_hours=1)
    first = call_backend(backend, "q1", tmp_path, 10, cache=cache)
    second = call_backend(backend, "q1", tmp_path, 10, cache=cache)
    assert first.text == second.text == "answer to q1\n"
    assert not first.cached and second.cached
    assert calls(counter) == 1
    call_backend(backend, "q2", tmp_path, 10, cache=cache)
    assert calls(counter) == 2  # a different prompt is a different key


def test_failures_are_not_cached(tmp_path):
    backend, counter = make_backend(tmp_path, fail_first=1, fail_code=1)
    cache = AnswerCache(tmp_path / "cache", ttl_hours=1)
    assert not call_backend(backend, "q", tmp_path, 10, cache=cache).ok
    assert call_backend(backend, "q", tmp_path, 10, cache=cache).ok
    assert calls(counter) == 2


def test_expired_entries_are_removed(tmp_path):
    backend, counter = make_backend(tmp_path)
    cache = AnswerCache(tmp_path / "cache", ttl_hours=1)
    call_backend(backend, "q", tmp_path, 10, cache=cache)
    [entry] = list((tmp_path / "cache").glob("*/*.json"))
    data = json.loads(entry.read_text())
    data["created"] = time.time() - 7200
    entry.write_text(json.dumps(data))
    assert cache.get(backend.identity(), "q", tmp_path) is None
    assert not entry.exists()
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(json.dumps(data))
    assert cache.prune() == 1


def test_key_is_order_independent_and_covers_identity_prompt_and_workdir(tmp_path):
    identity = {"kind": "codex", "command": "codex", "model": "m", "args": ["-x"]}
    reordered = dict(reversed(list(identity.items())))
    assert cache_key(identity, "p", tmp_path) == cache_key(reordered, "p", tmp_path)
    assert cache_key(identity, "p", tmp_path) != cache_key({**identity, "model": "n"}, "p", tmp_path)
    assert cache_key(identity, "p", tmp_path) != cache_key(identity, "p2", tmp_path)
    assert cache_key(identity, "p", tmp_path) != cache_key(identity, "p", tmp_path / "sub")


def test_retryable_failures_are_retried_with_doubling_delay(tmp_path):
    backend, counter = make_backend(tmp_path, fail_first=2)
    started = time.monotonic()
    reply = call_backend(backend, "q", tmp_path, 10, retries=3, retry_delay_ms=200)
    elapsed = time.monotonic() - started
    assert reply.ok and reply.attempts == 3
    assert calls(counter) == 3
    assert elapsed >= 0.6  # 0.2 s then 0.4 s


def test_retries_give_up_and_return_the_last_failure(tmp_path):
    backend, counter = make_backend(tmp_path, fail_first=10)
    reply = call_backend(backend, "q", tmp_path, 10, retries=2, retry_delay_ms=10)
    assert not reply.ok and reply.retryable and reply.attempts == 3
    assert calls(counter) == 3


def test_non_retryable_failures_are_not_retried(tmp_path):
    backend, counter = make_backend(tmp_path, fail_first=10, fail_code=127)  # "cannot run"
    reply = call_backend(backend, "q", tmp_path, 10, retries=3, retry_delay_ms=10)
    assert not reply.ok and not reply.retryable and reply.attempts == 1
    assert calls(counter) == 1


def test_cache_dir_honours_xdg_cache_home(tmp_path):
    from lok_action.cache import cache_dir

    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "lok"
    assert cache_dir({"HOME": str(tmp_path)}) == tmp_path / ".cache" / "lok"
    assert os.environ  # the real environment is untouched


def test_backend_processes_never_get_the_github_token(tmp_path, monkeypatch):
    script = tmp_path / "env_backend.py"
    # the environment goes to a file: the reply itself is redacted on its way out (see tests/test_secrets.py)
    seen_file = tmp_path / "seen.json"
    script.write_text(
        f"import json, os, sys\nsys.stdin.read()\nopen({str(seen_file)!r}, 'w').write(json.dumps(dict(os.environ)))\n"
    )
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "INPUT_GITHUB-TOKEN", "ACTIONS_RUNTIME_TOKEN"):
        monkeypatch.setenv(name, "ghs_secret_value")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-kept")
    plain = create_backend(
        BackendConfig(name="p", kind="command", command=f"{sys.executable} {script}"), env=os.environ
    )
    assert call_backend(plain, "q", tmp_path, 10).ok
    seen = json.loads(seen_file.read_text())
    assert "ghs_secret_value" not in seen.values()
    assert seen["ANTHROPIC_API_KEY"] == "sk-kept"  # the backend's own credentials still reach it
    explicit = create_backend(
        BackendConfig(
            name="e",
            kind="command",
            command=f"{sys.executable} {script}",
            env={"GH_TOKEN": "passed-on-purpose"},
        ),
        env=os.environ,
    )
    assert call_backend(explicit, "q", tmp_path, 10).ok
    seen = json.loads(seen_file.read_text())
    assert seen["GH_TOKEN"] == "passed-on-purpose"
    assert "GITHUB_TOKEN" not in seen


# ---- The cache key covers a backend's env table and api_key_env, and no secret lands in cache files.


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


# ---- open_cache prunes expired answers, at most once a day (the marker file's mtime says when).


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
