"""What the HTTP backends (ollama, openai) share: one JSON request, failures mapped to Replies."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

from lok_action.backends.base import Reply
from lok_action.backends.redaction import Redactor
from lok_action.backends.replies import auth_fix, is_retryable_status

BODY_TAIL = 300  # characters of an error body quoted in an error


def join_url(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def request_json(
    backend: str,
    method: str,
    url: str,
    *,
    payload: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float,
    redact: Redactor,
    auth_how: str = "",
    answer: Callable[[Any], Reply],
    on_error_status: Callable[[int], None] | None = None,
) -> Reply:
    """Send one request; ``answer`` turns the decoded JSON body of a 2xx response into a Reply.
    ``on_error_status`` hears the status of a 4xx/5xx answer (before it becomes the Reply's error)."""
    import requests  # costly import, only when a request is made

    started = time.monotonic()

    def failure(message: str, retryable: bool) -> Reply:
        return Reply(backend, error=redact(message), retryable=retryable, duration=time.monotonic() - started)

    try:
        response = requests.request(method, url, json=payload, headers=dict(headers or {}), timeout=timeout)
    except requests.Timeout:
        return failure(f"timed out after {timeout:g}s waiting for {url}", True)
    except requests.ConnectionError as error:
        return failure(f"cannot reach {url}: {type(error).__name__}", False)
    except requests.RequestException as error:
        return failure(f"request to {url} failed: {error}", False)
    if response.status_code >= 400:
        if on_error_status is not None:
            on_error_status(response.status_code)
        # redacted before the cut, so no part of a secret survives at its edge
        body = redact(response.text.strip().replace("\n", " "))[-BODY_TAIL:]
        return failure(
            f"HTTP {response.status_code} from {url}: {body}{auth_fix(response.status_code, auth_how)}",
            is_retryable_status(response.status_code),
        )
    try:
        data = response.json()
    except ValueError:
        return failure(
            f"{url} answered with something that is not JSON: {redact(response.text)[:200]}", False
        )
    try:
        reply = answer(data)
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        return failure(f"unexpected answer shape from {url}: {error!r}", False)
    return dataclasses.replace(reply, duration=time.monotonic() - started)
