"""JSON parsing whose only failure is ValueError.

The standard decoder raises RecursionError (not ValueError) on input nested deeper than the
interpreter's recursion limit; every input lok reads (answers, event payloads, reports, cache and
cassette entries) can be that, and every caller already turns ValueError into its one-line error."""

from __future__ import annotations

import json
from typing import Any

TOO_DEEP = "nested too deeply to read"


def loads(text: str | bytes) -> Any:
    """``json.loads``, with over-deep nesting reported as ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


def raw_decode(decoder: json.JSONDecoder, text: str, index: int) -> tuple[Any, int]:
    """``decoder.raw_decode``, with over-deep nesting reported as ValueError."""
    try:
        return decoder.raw_decode(text, index)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
