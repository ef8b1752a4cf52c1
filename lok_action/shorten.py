"""Shortening text for a line of progress or a bounded quote in a prompt, always saying it was cut."""

from __future__ import annotations

CUT = " [… cut]"


def first_line(text: str, limit: int = 200) -> str:
    """The first line of ``text`` (e.g. of an error), at most ``limit`` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def one_line(text: str, limit: int = 120) -> str:
    """All of ``text`` on one line (runs of whitespace made one space), at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def clip(text: str, limit: int, marker: str = CUT) -> str:
    """The first ``limit`` characters of ``text`` with ``marker`` after them when there was more."""
    return text if len(text) <= limit else text[:limit] + marker
