"""`sarif`: any static analyzer that writes SARIF (ruff, bandit, semgrep with local rules, eslint's
SARIF formatter, CodeQL, ...), as a backend of findings steps.

Configured as `command` + `args`: the argument "{files}" becomes the chunk's files, one argument each
(never through a shell); an argument "{sarif}" becomes a file the tool writes its report to, else
the report is read from its stdout. The exit code says nothing (ruff exits 1 whenever it finds
something): a run succeeded when its report is SARIF 2.1.0, and failed when it was killed, timed out
or wrote something else.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lok_action import json_text
from lok_action.backends.base import Availability, Backend, Reply
from lok_action.backends.redaction import tail_of
from lok_action.backends.spec import KindSpec
from lok_action.errors import BackendError, ConfigError
from lok_action.process import exit_status, run_process

if TYPE_CHECKING:
    from lok_action.config import BackendConfig

FILES = "{files}"
REPORT = "{sarif}"
REPORT_CAP = 64 * 1024 * 1024  # bytes of SARIF read; a report cut there is not SARIF, and fails
ANALYZER_BUDGET = 2_000_000  # characters of files per run: ~400 files keeps the file list far below ARG_MAX


def file_argument(path: str) -> str:
    # a file named "-rf.py" must not be read as an option
    return f"./{path}" if path.startswith("-") else path


class SarifBackend(Backend):
    kind = "sarif"
    reads_workspace = True
    answers_prompts = False

    def program(self) -> str:
        if not self.config.command:
            raise BackendError(
                f"{self.config.source}: backends.{self.name}.command is required for kind 'sarif'"
            )
        return shlex.split(self.config.command)[0]

    def resolved_program(self) -> str | None:
        """On PATH, or beside the running Python (a virtualenv's bin/ that is not activated)."""
        program = self.program()
        return self.which(program) or shutil.which(program, path=str(Path(sys.executable).parent))

    def argv(self, program: str, files: Sequence[str], report: Path | None) -> list[str]:
        argv = [program, *shlex.split(self.config.command)[1:]]
        for arg in self.config.args:
            if arg == FILES:
                argv.extend(file_argument(path) for path in files)
            elif arg == REPORT and report is not None:
                argv.append(str(report))
            else:
                argv.append(arg)
        return argv

    def available(self) -> Availability:
        if self.resolved_program() is None:
            program = self.program()
            return Availability(
                False,
                f"{program} not found on PATH",
                f"pip install {program} or fix backends.{self.name}.command",
            )
        return Availability(True, "ready")

    def query(
        self, prompt: str, workdir: Path, timeout: float, *, schema: Mapping[str, Any] | None = None
    ) -> Reply:
        return Reply(
            self.name, error=f"{self.name} is a static analyzer: it takes part in findings steps only"
        )

    def analyse(self, files: Sequence[str], workdir: Path, timeout: float) -> Reply:
        from lok_action.backends.sarif_reader import NotSarif, raw_findings
        from lok_action.context.chunks import path_matches

        wanted = [
            path
            for path in files
            if not self.config.file_patterns or path_matches(path, self.config.file_patterns)
        ]
        if not wanted:
            return Reply(self.name, text='{"findings": []}')
        program = self.resolved_program()
        if program is None:
            return Reply(self.name, error=f"{self.program()} not found on PATH")
        with tempfile.TemporaryDirectory(prefix="lok-sarif-") as scratch:
            report = Path(scratch) / "report.sarif" if REPORT in self.config.args else None
            env = self.child_env()
            try:
                result = run_process(
                    self.argv(program, wanted, report),
                    cwd=workdir,
                    env=env,
                    timeout=timeout,
                    output_cap=REPORT_CAP,
                )
            except FileNotFoundError:
                return Reply(self.name, error=f"{program} not found")
            except OSError as error:  # E2BIG: more file arguments than the system takes
                return Reply(self.name, error=f"cannot run {program}: {error.strerror or error}")
            if result.timed_out:
                return Reply(
                    self.name, error=f"timed out after {timeout:g}s", retryable=True, duration=result.duration
                )
            ended = exit_status(result.returncode)
            tail = tail_of(result.stderr, "", self.redactor())
            if result.returncode is not None and result.returncode < 0:  # a crash, whatever it printed
                return Reply(self.name, error=f"{ended}: {tail}" if tail else ended, duration=result.duration)
            try:
                text = report.read_text(encoding="utf-8", errors="replace") if report else result.stdout
                findings = raw_findings(
                    json_text.loads(text),
                    workdir,
                    self.name,
                    self.config.category or "bug",
                    self.config.levels,
                )
            except (OSError, ValueError) as error:  # json.JSONDecodeError and NotSarif are ValueErrors
                what = "no report" if isinstance(error, OSError) else "not SARIF"
                if isinstance(error, NotSarif):
                    what = f"not SARIF ({error})"
                elif result.truncated and report is None:
                    what = f"not SARIF (its report was cut at {REPORT_CAP // (1024 * 1024)} MiB)"
                detail = f"{ended}, {what}" + (f": {tail}" if tail else "")
                return Reply(self.name, error=detail, duration=result.duration)
        return Reply(self.name, text=json.dumps({"findings": findings}), duration=result.duration)


def check_config(backend: BackendConfig) -> None:
    """An analyzer's args must say where the files go; found when the config loads."""
    if FILES not in backend.args:
        raise ConfigError(
            f"{backend.source}: backends.{backend.name}.args must contain the argument"
            f' "{FILES}" (where the files to analyse go), got {list(backend.args)}'
        )


KIND = KindSpec(
    name="sarif",
    backend_class=SarifBackend,
    # static analyzers (installed by the [local] extra); ready when their program is there
    builtin={
        "ruff": {
            "command": "ruff",
            # the project's own ruff config applies; --no-cache: no .ruff_cache left in the analysed tree
            "args": ["check", "--no-cache", "--output-format", "sarif", FILES],
            "file_patterns": ["*.py", "*.pyi"],
            "category": "bug",
            "levels": {"error": "medium"},  # ruff marks every result "error", an unused import too
        },
        "bandit": {
            "command": "bandit",
            # skipped: B101 (assert used: every test suite), B404 and B603 (import subprocess, call
            # without a shell: "consider the implications" notes on every subprocess use, not problems)
            "args": ["--format", "sarif", "--quiet", "--skip", "B101,B404,B603", FILES],
            "file_patterns": ["*.py"],
            "category": "security",
        },
    },
    install_hint="pip install the analyzer (ruff and bandit come with pip install 'lok-action[local]')",
    budget_chars=ANALYZER_BUDGET,
    required=("command",),
    check=check_config,
)
