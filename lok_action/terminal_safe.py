"""Model text on a terminal: never a control sequence. An answer can hold OSC 52 (write the clipboard),
OSC 0 (set the window title), CSI 2J (clear the screen) or bidi overrides that reorder what is shown.

One sanitiser, installed once: `lok` wraps its stdout and stderr in a TerminalGuard when they are
terminals, so every line any command prints passes through safe_for_terminal. Redirected output stays
byte for byte (like `ls`, which hides control characters only on a terminal). The coloured hunt report is
the one writer that goes around the guard, and it sanitises its model text itself.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

# CSI (7- and 8-bit), then the string sequences OSC/DCS/SOS/PM/APC up to their terminator (or the line's
# end: an unterminated one must not swallow the rest of the answer), then any other escape sequence.
ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"
)
# What is left that a terminal would act on: C0 but tab and newline, DEL, C1, and the bidi controls
UNSAFE_CHARACTER = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SHOWN_INSTEAD = "?"


def safe_for_terminal(text: str) -> str:
    """``text`` with every escape sequence removed and every other control character shown as '?'."""
    text = ESCAPE_SEQUENCE.sub("", text.replace("\r\n", "\n"))
    return UNSAFE_CHARACTER.sub(SHOWN_INSTEAD, text)


class TerminalGuard(io.TextIOBase):
    """A text stream that writes through safe_for_terminal to the terminal stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(safe_for_terminal(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.stream.encoding

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextmanager
def guarded_terminal() -> Iterator[None]:
    """Guard sys.stdout and sys.stderr for the duration, each one only when it is a terminal."""
    saved = sys.stdout, sys.stderr
    if _is_terminal(sys.stdout):
        sys.stdout = TerminalGuard(sys.stdout)
    if _is_terminal(sys.stderr):
        sys.stderr = TerminalGuard(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def unguarded(stream: TextIO) -> TextIO:
    """The terminal stream behind a guard, for output that sanitised its model text itself."""
    return stream.stream if isinstance(stream, TerminalGuard) else stream


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and not isinstance(stream, TerminalGuard) and stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False
