"""`command`: any program; the prompt goes to its stdin, the answer comes from its stdout."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from lok_action.backends.base import Availability, Backend, Reply
from lok_action.backends.redaction import tail_of
from lok_action.errors import BackendError
from lok_action.process import run_process
from lok_action.retrying import exit_is_retryable


class CommandBackend(Backend):
    kind = "command"
    reads_workspace = True  # it runs in the workdir and may read files itself

    def argv(self) -> list[str]:
        if not self.config.command:
            raise BackendError(
                f"{self.config.source}: backends.{self.name}.command is required for kind 'command'"
            )
        return [*shlex.split(self.config.command), *self.config.args]

    def available(self) -> Availability:
        program = self.argv()[0]
        if shutil.which(program) is None:
            return Availability(
                False,
                f"{program} not found on PATH",
                f"install {program} or fix backends.{self.name}.command",
            )
        return Availability(True, "ready")

    def query(self, prompt: str, workdir: Path, timeout: float) -> Reply:
        env = self.child_env()
        try:
            result = run_process(
                self.argv(),
                input_text=prompt,
                cwd=workdir,
                env=env,
                timeout=timeout,
                output_cap=self.config.output_cap,
            )
        except FileNotFoundError:
            return Reply(self.name, error=f"{self.argv()[0]} not found on PATH")
        if result.timed_out:
            return Reply(
                self.name, error=f"timed out after {timeout:g}s", retryable=True, duration=result.duration
            )
        if result.returncode != 0:
            tail = tail_of(result.stderr, result.stdout, self.redactor())
            return Reply(
                self.name,
                text=result.stdout,
                error=f"exit {result.returncode}: {tail}" if tail else f"exit {result.returncode}",
                # a user who sets retries wants them: any exit but "cannot run" (126, 127) may pass
                retryable=exit_is_retryable(result.returncode),
                duration=result.duration,
            )
        return Reply(self.name, text=result.stdout, duration=result.duration, truncated=result.truncated)
