"""Shell commands of a run: shell steps (the runner) and verify commands (edits) run the same way.

Both modules import this one; it needs only where and how the run runs (a ShellContext: the runner's
RunContext is one), never the runner itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from lok_action.errors import ConfigError
from lok_action.retrying import cap_timeout

if TYPE_CHECKING:
    from lok_action.backends.redaction import Redactor
    from lok_action.config import Config
    from lok_action.process import ProcessResult

STDERR_TAIL = 500  # most characters of a failed command's output said in its error


class ShellContext(Protocol):
    """What running a command needs from the run (read-only, so a frozen context fits too)."""

    @property
    def config(self) -> Config: ...

    @property
    def workdir(self) -> Path: ...

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def deadline(self) -> float | None: ...  # time.monotonic() after which every command is cut


def wrapped_command(command: str, config: Config) -> str:
    """The command as `[defaults] command_wrapper` runs it (unchanged without one). Raises ConfigError
    when the wrapper puts `{cmd}` where no command can be quoted safely."""
    from lok_action.workflow.templating import TemplateProblem, quote_for_wrapper

    if not config.command_wrapper:
        return command
    try:
        return quote_for_wrapper(config.command_wrapper, command)
    except TemplateProblem as problem:
        raise ConfigError(f"defaults.command_wrapper {config.command_wrapper!r}: {problem}") from None


def run_shell_command(
    command: str, ctx: ShellContext, timeout: float, retries: int = 0, retry_delay_ms: int = 1000
) -> tuple[ProcessResult, int]:
    """`sh -c command` (through command_wrapper when set) in the workdir, retrying non-zero exits
    with a doubling delay. Every attempt's timeout is cut to the time left before ctx.deadline, and
    no retry starts (or is waited for) past it. Returns the last result and the number of attempts.
    Raises ConfigError (before running anything) when the command_wrapper cannot hold the command."""
    from lok_action.process import run_process
    from lok_action.retrying import exit_is_retryable, retry_policy

    command = wrapped_command(command, ctx.config)
    attempts = 0

    def attempt() -> ProcessResult:
        nonlocal attempts
        attempts += 1
        return run_process(
            ["sh", "-c", command],
            cwd=ctx.workdir,
            env=ctx.env,
            timeout=cap_timeout(timeout, ctx.deadline),
            output_cap=ctx.config.output_cap,
        )

    def worth_retrying(process: ProcessResult) -> bool:
        return process.timed_out or exit_is_retryable(process.returncode)

    retrying = retry_policy(retries, retry_delay_ms, worth_retrying, ctx.deadline)
    process = retrying(attempt)
    # a shell step's output travels on like a backend's reply: with the same secrets masked
    redact = run_redactor(ctx.config, ctx.env)
    safe = dataclasses.replace(process, stdout=redact(process.stdout), stderr=redact(process.stderr))
    return safe, attempts


def run_redactor(config: Config, env: Mapping[str, str]) -> Redactor:
    """Masks what lok knows to be secret in a run: the environment's secrets, and every backend's
    api_key_env and `env` table values."""
    from lok_action.backends.redaction import Redactor

    backends = list(config.backends.values())
    values = [value for backend in backends for value in backend.env.values()]
    return Redactor.for_env(env, [backend.api_key_env for backend in backends], values)


def describe_process_failure(process: ProcessResult, timeout: float, env: Mapping[str, str]) -> str:
    """Why a shell command failed, with secrets from its environment redacted (the text travels on
    to dependants' prompts, --json and GitHub comments)."""
    from lok_action.backends.redaction import failure_tail
    from lok_action.process import exit_status

    if process.timed_out:
        return f"timed out after {timeout:g}s (process group killed)"
    tail = failure_tail(process.stderr, process.stdout, env, limit=STDERR_TAIL)
    status = exit_status(process.returncode)
    return f"{status}: {tail}" if tail else status
