"""Reply: one backend's answer to one prompt. A leaf data module: the backends make Replies, the cache
stores them, workflow results and the ensemble modes carry them, and none of those need a backend for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One backend's answer to one prompt. Runtime failures are replies with ``error`` set, never raised."""

    backend: str
    text: str = ""
    error: str | None = None
    retryable: bool = False  # 429, 5xx, timeouts: worth another try
    duration: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    cached: bool = False
    attempts: int = 1
    repairs: int = 0  # extra requests asking again for JSON after an answer that was not JSON
    note: str = ""  # something to say once about this backend, e.g. a structured-output fallback
    truncated: bool = False  # the answer was cut at [defaults] max_output_mb

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "ok": self.ok,
            "text": self.text,
            "error": self.error,
            "retryable": self.retryable,
            "duration": round(self.duration, 3),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "cached": self.cached,
            "attempts": self.attempts,
            "repairs": self.repairs,
            "note": self.note,
            "truncated": self.truncated,
        }
