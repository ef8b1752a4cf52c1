"""Documented ranges for every number a user gives lok (lok.toml, workflow files, command-line
options, action inputs, environment variables), and the one check and parser they all go through.

Every range has an upper bound (min_deps_success's is the step's own number of dependencies): a
value past what the clock, the thread timers or the retry sleeps can hold (1e300 seconds) would
otherwise fail far from where it was written, or never fire.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from lok_action.errors import LokError, UsageError

INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: int() also takes "٣" and "1_000"


@dataclass(frozen=True)
class NumberRange:
    """Whole numbers ``low..high``, or finite numbers from ``low`` (excluded when ``low_open``) to
    ``high``. ``high`` None: no fixed upper bound (``note`` says what bounds it instead)."""

    integer: bool
    low: float
    high: float | None
    low_open: bool = False
    unit: str = ""  # "seconds", "milliseconds"...
    note: str = ""  # a bound the table cannot hold, e.g. "at most the number of depends_on"

    def contains(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if value < self.low or (self.low_open and value == self.low):
            return False
        return self.high is None or value <= self.high

    def span(self) -> str:
        """The range as the README's reference shows it: `1 to 256`, `> 0 and <= 604800`."""
        if self.high is None:
            text = f"> {_number(self.low)}" if self.low_open else f"{_number(self.low)} or more"
        elif self.low_open:
            text = f"> {_number(self.low)} and <= {_number(self.high)}"
        else:
            text = f"{_number(self.low)} to {_number(self.high)}"
        if self.note:
            text += f", {self.note}"
        return text

    def describe(self) -> str:
        """What a value must be, for error messages."""
        kind = "an integer" if self.integer else "a finite number"
        unit = f" ({self.unit})" if self.unit else ""
        if self.high is None:
            bound = f"{'>' if self.low_open else '>='} {_number(self.low)}"
            return f"{kind} {bound}{unit}" + (f", {self.note}" if self.note else "")
        if self.low_open:
            return f"{kind} > {_number(self.low)} and <= {_number(self.high)}{unit}"
        return f"{kind} from {_number(self.low)} to {_number(self.high)}{unit}"

    def parse(self, name: str, text: str, error: type[LokError] = UsageError) -> int | float:
        """A number the user typed (an option, an input, an environment variable), checked."""
        raw = text.strip()
        value: int | float
        try:
            if self.integer:
                if not INTEGER_TEXT.fullmatch(raw):
                    raise ValueError(raw)
                value = int(raw)
            else:
                value = int(raw) if INTEGER_TEXT.fullmatch(raw) else float(raw)
        except ValueError:
            value = math.nan  # not a number at all: refused below, quoting what was typed
        if not self.contains(value):
            raise error(f"{name} must be {self.describe()}, got {shown(text)}")
        return value

    def option(self, name: str) -> Callable[[str], int | float]:
        """An argparse ``type=``: the error is lok's one line (a LokError passes argparse by)."""
        return lambda text: self.parse(name, text)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def shown(value: object, limit: int = 60) -> str:
    """A value as an error message quotes it: short, on one line."""
    text = f"{value:g}" if isinstance(value, float) else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


WEEK_SECONDS = 7 * 24 * 3600

# Shared ranges (one place to read them all)
SECONDS = NumberRange(integer=False, low=0, high=WEEK_SECONDS, low_open=True, unit="seconds")
MILLISECONDS = NumberRange(integer=True, low=1, high=WEEK_SECONDS * 1000, unit="milliseconds")
RETRIES = NumberRange(integer=True, low=0, high=20)
RETRY_DELAY_MS = NumberRange(integer=True, low=0, high=600_000, unit="milliseconds")
PARALLEL = NumberRange(integer=True, low=1, high=256)
CONSENSUS = NumberRange(integer=True, low=1, high=100)  # backends that must agree
VERIFY_CALLS = NumberRange(integer=True, low=0, high=1000)  # challenge-round calls per run
BUDGET_CHARS = NumberRange(integer=True, low=1_000, high=100_000_000, unit="characters")
TTL_HOURS = NumberRange(integer=False, low=0, high=87_600, unit="hours")  # ten years
ROUNDS = NumberRange(integer=True, low=1, high=1_000)
OUTPUT_MB = NumberRange(integer=False, low=0.001, high=1024, unit="MiB")  # one answer or shell output
COST_USD = NumberRange(integer=False, low=0, high=1_000_000, low_open=True, unit="USD")
PRICE = NumberRange(integer=False, low=0, high=10_000, unit="USD per million tokens")
SHARDS = NumberRange(integer=True, low=1, high=100_000)  # Kubernetes' most indexed-job completions
JOB_INDEX = NumberRange(integer=True, low=0, high=99_999)  # JOB_COMPLETION_INDEX: 0-based
INLINE_COMMENTS = NumberRange(integer=True, low=0, high=100)  # inline comments per review (0: body only)
ISSUE_NUMBER = NumberRange(integer=True, low=1, high=2**31 - 1)
RUN_ID = NumberRange(integer=True, low=1, high=2**63 - 1)
F1_SCORE = NumberRange(integer=False, low=0, high=1)  # lok eval --min-f1
