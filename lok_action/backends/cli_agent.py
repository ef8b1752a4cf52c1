"""What the vendor CLI agents (codex, claude, gemini) share: argv building, running, common failures."""

from __future__ import annotations

import os
import shlex
import shutil
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from lok_action.backends.base import Availability, Backend, Reply
from lok_action.backends.redaction import tail_of
from lok_action.errors import BackendError
from lok_action.process import ProcessResult, cut_note, exit_status, run_process


class CliAgentBackend(Backend):
    reads_workspace = True  # the agent reads the repository itself, from its working directory
    program: ClassVar[str]  # default command

    @property
    def install_hint(self) -> str:
        return self.spec.install_hint

    def command_argv(self) -> list[str]:
        try:
            parts = shlex.split(self.config.command)
        except ValueError as error:
            raise BackendError(f"{self.config.source}: backends.{self.name}.command: {error}") from None
        return parts or [self.program]

    # argv = command + fixed_args + schema flags + model_args
    #        + (default_args + config args | config args when args_mode = "replace") + trailing_args
    def fixed_args(self, workdir: Path) -> list[str]:
        """What lok needs to drive and parse the tool; never replaced."""
        return []

    def schema_args(self, schema: Mapping[str, Any], schema_path: Path) -> list[str]:
        """Flags handing ``schema`` to the CLI's own structured output; [] for a CLI that has none.
        ``schema_path`` holds it as a file for the length of the run (outside the workspace)."""
        return []

    def default_args(self, workdir: Path) -> list[str]:
        """Sensible defaults (sandbox, no session files); replaced by args when args_mode = "replace"."""
        return []

    def model_args(self) -> list[str]:
        return ["-m", self.config.model] if self.config.model else []

    def trailing_args(self) -> list[str]:
        return []

    def argv(self, workdir: Path, schema_args: Sequence[str] = ()) -> list[str]:
        chosen = list(self.config.args)
        if self.config.args_mode != "replace":
            chosen = [*self.default_args(workdir), *chosen]
        return [
            *self.command_argv(),
            *self.fixed_args(workdir),
            *schema_args,
            *self.model_args(),
            *chosen,
            *self.trailing_args(),
        ]

    def extra_env(self) -> dict[str, str]:
        return {}

    def env(self) -> dict[str, str]:
        return self.child_env(self.extra_env())

    def missing(self) -> str:
        return f"{self.command_argv()[0]} not found on PATH"

    def available(self) -> Availability:
        from lok_action.backends.credentials import missing_credentials

        env = self.env()
        program = self.command_argv()[0]
        if shutil.which(program, path=env.get("PATH", os.defpath)) is None:
            return Availability(False, self.missing(), self.install_hint)
        fix = missing_credentials(self.spec.credentials, env, self.config.args, self.config.api_key_env)
        if fix is not None:
            return Availability(False, f"{program} is installed but has no credentials", fix)
        return Availability(True, "ready")

    def query(
        self, prompt: str, workdir: Path, timeout: float, *, schema: Mapping[str, Any] | None = None
    ) -> Reply:
        if schema is None:
            return self.run(prompt, workdir, timeout)
        from lok_action.backends.structured import schema_file

        with schema_file(schema) as path:
            return self.run(prompt, workdir, timeout, self.schema_args(schema, path))

    def run(self, prompt: str, workdir: Path, timeout: float, schema_args: Sequence[str] = ()) -> Reply:
        """One run of the CLI with ``prompt`` on stdin."""
        argv = self.argv(workdir, schema_args)
        env = self.env()
        program = shutil.which(argv[0], path=env.get("PATH", os.defpath))
        if program is None:
            return Reply(self.name, error=f"{self.missing()} (install: {self.install_hint})")
        try:
            result = run_process(
                [program, *argv[1:]],
                input_text=prompt,
                cwd=workdir,
                env=env,
                timeout=timeout,
                output_cap=self.config.output_cap,
            )
        except OSError as error:  # vanished or not executable between which() and exec
            return Reply(self.name, error=f"cannot run {argv[0]}: {error.strerror}")
        if result.timed_out:
            return Reply(
                self.name, error=f"timed out after {timeout:g}s", retryable=True, duration=result.duration
            )
        if result.truncated:  # the tool's JSON was cut: nothing in it can be trusted to parse
            return Reply(
                self.name,
                error=f"{self.program}: {cut_note(self.config.output_cap)}",
                duration=result.duration,
            )
        return self.parse(result)

    @abstractmethod
    def parse(self, result: ProcessResult) -> Reply:
        """Turn a finished run into a Reply."""

    def clean(self, text: str) -> str:
        """Error text safe to show: secrets from the child's environment replaced, tail only."""
        return tail_of(text, "", self.redactor())

    def exit_failure(self, result: ProcessResult) -> Reply:
        tail = tail_of(result.stderr, result.stdout, self.redactor())
        return Reply(
            self.name,
            error=f"{self.program} {exit_status(result.returncode, 'exited')}: {tail}",
            duration=result.duration,
        )
