"""The one retry policy: up to N retries of a retryable result, the delay doubling (2 s, 4 s, 8 s),
and never a wait or an attempt past an optional deadline (a time.monotonic() value)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenacity import Retrying

MIN_ATTEMPT_SECONDS = 0.05  # an attempt started just before the deadline still gets a moment
CANNOT_RUN = (126, 127)  # the shell's "found but not executable" and "not found": no retry changes that


def exit_is_retryable(returncode: int | None) -> bool:
    """Whether a failed command is worth another try: any non-zero exit but "cannot run"."""
    return returncode != 0 and returncode not in CANNOT_RUN


def retry_delay(retry_delay_ms: int, attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    return retry_delay_ms / 1000 * 2 ** (attempt - 1)


def time_left(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.monotonic()


def cap_timeout(timeout: float, deadline: float | None) -> float:
    """``timeout`` cut to the time left before ``deadline``."""
    left = time_left(deadline)
    return timeout if left is None else max(MIN_ATTEMPT_SECONDS, min(timeout, left))


def retry_policy(
    retries: int, retry_delay_ms: int, should_retry: Callable[[Any], bool], deadline: float | None = None
) -> Retrying:
    """A tenacity Retrying that hands back the last result (never raises) when it stops retrying.
    Its back-off ends at once when lok is interrupted (process.CHILDREN.pause)."""
    from tenacity import (
        RetryCallState,
        Retrying,
        retry_if_result,
        stop_after_attempt,
        stop_any,
        wait_exponential,
    )
    from tenacity.stop import stop_base

    from lok_action.process import CHILDREN

    class out_of_time(stop_base):
        """Stop when the wait before the next attempt would reach the deadline."""

        def __call__(self, retry_state: RetryCallState) -> bool:
            left = time_left(deadline)
            return left is not None and left <= retry_delay(retry_delay_ms, retry_state.attempt_number)

    return Retrying(
        stop=stop_any(stop_after_attempt(retries + 1), out_of_time()),
        wait=wait_exponential(multiplier=retry_delay_ms / 1000, exp_base=2),
        retry=retry_if_result(should_retry),
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        sleep=CHILDREN.pause,
    )
