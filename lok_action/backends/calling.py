"""Ask one backend once, through the cache and with retries for transient failures.

This is where a reply leaves a backend: every reply is redacted here (backends.redaction), whatever path
it took, so nothing downstream (--json, reports, run folders, the cache itself) ever sees a secret."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lok_action.backends.base import Backend, Reply
from lok_action.cache import AnswerCache
from lok_action.retrying import cap_timeout

if TYPE_CHECKING:
    from lok_action.cassette import Cassette


def call_backend(
    backend: Backend,
    prompt: str,
    workdir: Path,
    timeout: float,
    *,
    cache: AnswerCache | None = None,
    retries: int = 0,
    retry_delay_ms: int = 1000,
    deadline: float | None = None,
    schema: Mapping[str, Any] | None = None,
    cassette: Cassette | None = None,
) -> Reply:
    """The answer, from the cache when fresh, else from the backend with up to ``retries`` retries.

    Waits ``retry_delay_ms`` before the first retry and doubles it each time (2 s, 4 s, 8 s).
    Only retryable replies (429, 5xx, timeouts) are retried; auth errors and missing tools are not.
    With a ``deadline`` (time.monotonic()), every attempt's timeout is cut to the time left and no
    retry is waited for past it. A ``schema`` goes to the backend (its structured output) and into the
    cache key: the same prompt asked without it, or with another one, is another question.
    With a ``cassette`` the call is recorded, or replayed without asking the backend (lok_action.cassette).
    """
    if cassette is not None:
        return cassette.answer(
            backend,
            prompt,
            lambda: call_backend(
                backend,
                prompt,
                workdir,
                timeout,
                cache=cache,
                retries=retries,
                retry_delay_ms=retry_delay_ms,
                deadline=deadline,
                schema=schema,
            ),
            schema=schema,
        )
    identity = backend.identity()
    if schema is not None:
        from lok_action.backends.structured import schema_digest

        identity = {**identity, "schema": schema_digest(schema)}
    redact = backend.redactor()
    if cache is not None:
        hit = cache.get(identity, prompt, workdir)
        if hit is not None:
            # a note was said in the run that asked; a replayed answer teaches this run nothing
            # (and entries written before redaction existed may hold a secret)
            return redact.reply(dataclasses.replace(hit, backend=backend.name, note=""))

    if retries <= 0:  # one attempt: skip tenacity's import (~5 ms of every `lok ask`)
        reply = redact.reply(backend.query(prompt, workdir, cap_timeout(timeout, deadline), schema=schema))
        if cache is not None and reply.ok:
            cache.put(identity, prompt, workdir, reply)
        return reply

    from lok_action.retrying import retry_policy

    attempts = 0

    def attempt() -> Reply:
        nonlocal attempts
        attempts += 1
        return backend.query(prompt, workdir, cap_timeout(timeout, deadline), schema=schema)

    retrying = retry_policy(retries, retry_delay_ms, lambda reply: not reply.ok and reply.retryable, deadline)
    reply = redact.reply(dataclasses.replace(retrying(attempt), attempts=attempts))
    if cache is not None and reply.ok:
        cache.put(identity, prompt, workdir, reply)
    return reply


def open_cache(enabled: bool, ttl_hours: float, no_cache: bool = False) -> AnswerCache | None:
    if not enabled or no_cache:
        return None
    from lok_action.cache import cache_dir

    cache = AnswerCache(cache_dir(), ttl_hours)
    if not cache.usable():  # e.g. XDG_CACHE_HOME is a file: said once, and the run goes on uncached
        return None
    cache.prune_if_due()  # at most once a day: expired entries would otherwise pile up forever
    return cache
