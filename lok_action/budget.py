"""The spend of one run, per backend, and the cost budget the runner consults before each call.

Before a call the runner asks `admit` with the call's estimate (lok_action.costs); the estimate is
reserved until the call comes back and `settle` replaces it with what the call cost. Reserving makes
parallel calls safe: the calls in flight count against the budget. Once a call is refused the guard
refuses every later one too (the run starts no more calls), so what was not analysed is one clear set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from lok_action.costs import Price, actual_call, estimate_call
from lok_action.reply import Reply

BUDGET_NOTE = "not called: cost budget reached"


@dataclass
class Spend:
    """Spend so far (USD) by backend, and the guard when there is a budget (``limit``). A free backend
    (no price, no cost of its own reported) has no entry: reports show its cost as unknown (—)."""

    limit: float | None = None
    by_backend: dict[str, float] = field(default_factory=dict)
    refused: int = 0  # calls not made because of the budget
    _reserved: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def total(self) -> float:
        return sum(self.by_backend.values())

    @property
    def stopped(self) -> bool:
        return self.refused > 0

    def admit(self, backend: str, price: Price, prompt_chars: int) -> float | None:
        """The reserved estimate when the call may go ahead, None when it would pass the budget."""
        estimate = estimate_call(price, prompt_chars)
        with self._lock:
            if self.limit is not None and (
                self.refused or self.total + self._reserved + estimate > self.limit
            ):
                self.refused += 1
                return None
            self._reserved += estimate
            return estimate

    def settle(self, backend: str, price: Price, prompt_chars: int, reserved: float, reply: Reply) -> None:
        cost = actual_call(price, prompt_chars, reply)
        with self._lock:
            self._reserved = max(self._reserved - reserved, 0.0)
            if not price.free or reply.cost_usd is not None or backend in self.by_backend:
                self.by_backend[backend] = self.by_backend.get(backend, 0.0) + cost

    def call(self, backend: str, price: Price, prompt_chars: int, make_call: Callable[[], Reply]) -> Reply:
        """``make_call()`` when the budget admits it (its spend recorded), else a refusal Reply."""
        reserved = self.admit(backend, price, prompt_chars)
        if reserved is None:
            return Reply(backend, error=BUDGET_NOTE, attempts=0)
        try:
            reply = make_call()
        except BaseException:
            self.settle(backend, price, prompt_chars, reserved, Reply(backend, error="raised", attempts=0))
            raise
        self.settle(backend, price, prompt_chars, reserved, reply)
        return reply

    def summary(self) -> str:
        """'the cost budget ($0.50) stopped the run: 12 calls not made; spent $0.4812', or ''."""
        if not self.stopped or self.limit is None:
            return ""
        s = "s" if self.refused != 1 else ""
        return (
            f"the cost budget (${self.limit:g}) stopped the run: {self.refused} call{s} not made;"
            f" spent ${self.total:.4f}"
        )
