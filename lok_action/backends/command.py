"""`command`: any program; the prompt goes to its stdin, the answer comes from its stdout."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lok_action.backends.base import Availability, Backend, Reply
from lok_action.backends.redaction import tail_of
from lok_action.backends.spec import AGENT_BUDGET, KindSpec
from lok_action.errors import BackendError
from lok_action.process import exit_status, run_process
from lok_action.retrying import exit_is_retryable

SCHEMA_FILE_ENV = "LOK_SCHEMA_FILE"  # path of the JSON Schema the answer should match, when there is one


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
        if self.which(program) is None:
            return Availability(
                False,
                f"{program} not found on PATH",
                f"install {program} or fix backends.{self.name}.command",
            )
        return Availability(True, "ready")

    def query(
        self, prompt: str, workdir: Path, timeout: float, *, schema: Mapping[str, Any] | None = None
    ) -> Reply:
        if schema is None:
            return self.run(prompt, workdir, timeout, {})
        from lok_action.backends.structured import schema_file

        # the program may use it (e.g. pass it to its own model's structured output) or ignore it
        with schema_file(schema) as path:
            return self.run(prompt, workdir, timeout, {SCHEMA_FILE_ENV: str(path)})

    def run(self, prompt: str, workdir: Path, timeout: float, extra_env: dict[str, str]) -> Reply:
        env = self.child_env(extra_env)
        if SCHEMA_FILE_ENV not in extra_env:
            env.pop(SCHEMA_FILE_ENV, None)  # never a stale one inherited from lok's own environment
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
                error=f"{exit_status(result.returncode)}: {tail}" if tail else exit_status(result.returncode),
                # a user who sets retries wants them: any exit but "cannot run" (126, 127) may pass
                retryable=exit_is_retryable(result.returncode),
                duration=result.duration,
            )
        return Reply(self.name, text=result.stdout, duration=result.duration, truncated=result.truncated)


KIND = KindSpec(
    name="command",
    backend_class=CommandBackend,
    general_rank=60,
    budget_chars=AGENT_BUDGET,
    takes_cli_args=True,
    required=("command",),
)
