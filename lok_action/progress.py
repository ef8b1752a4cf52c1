"""Human progress on stderr: each step's start and end as it happens, then a summary table."""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, TextIO

from lok_action.shorten import first_line

if TYPE_CHECKING:
    from lok_action.workflow.result import RunResult, StepResult, StepStatus

SYMBOLS: dict[StepStatus, str] = {
    "success": "✓",
    "failed": "✗",
    "soft_failed": "!",
    "skipped": "-",
    "not_run": "·",
}


class Progress:
    """A workflow.runner.RunObserver, and the `note` line of every other command."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self._lock = threading.Lock()  # steps finish on worker threads
        self._started = time.monotonic()

    def _write(self, line: str) -> None:
        if self.quiet:
            return
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass  # a closed stderr must not fail the run

    def _clock(self) -> str:
        return f"[{time.monotonic() - self._started:6.1f}s]"

    def step_started(self, name: str) -> None:
        self._write(f"{self._clock()} → {name} started")

    def step_finished(self, step: StepResult) -> None:
        line = f"{self._clock()} {SYMBOLS[step.status]} {step.name} {step.status} ({step.duration:.2f}s)"
        if step.message:
            line += f" — {step.message}"
        if step.error and step.status in ("failed", "soft_failed"):
            line += f": {first_line(step.error)}"
        self._write(line)

    def note(self, text: str) -> None:
        self._write(f"{self._clock()}   {text}")

    def summary(self, result: RunResult) -> None:
        if self.quiet:
            return
        width = max((len(name) for name in result.steps), default=4)
        lines = [
            f"\nworkflow {result.workflow}: {'ok' if result.success else 'FAILED'} in {result.duration:.2f}s"
            + (f" ({result.stop_reason})" if result.stop_reason else "")
        ]
        lines.append(f"  {'step'.ljust(width)}  {'status':<11}  {'time':>7}  attempts")
        for step in result.steps.values():
            lines.append(
                f"  {step.name.ljust(width)}  {step.status:<11}  {step.duration:6.2f}s  {step.attempts}"
            )
        self._write("\n".join(lines))
