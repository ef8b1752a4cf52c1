"""Reading vendors' answers, the same for CLI agents and HTTP servers: which statuses are worth
another try, the fix to quote when a key was rejected, counts in JSON."""

from __future__ import annotations


def is_retryable_status(status: int | None) -> bool:
    return status is not None and (status == 429 or 500 <= status <= 599)


def auth_fix(status: int | None, how: str) -> str:
    """The fix hint appended to an error when the vendor rejected the credentials."""
    return f" (fix: {how})" if how and status in (401, 403) else ""


def as_int(value: object) -> int | None:
    """A JSON integer, or None for anything else (bool is not a count)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
