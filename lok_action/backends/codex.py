"""`codex`: OpenAI's Codex CLI, `codex exec --json` in a read-only sandbox, prompt on stdin."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lok_action import json_text
from lok_action.backends.base import Reply
from lok_action.backends.cli_agent import CliAgentBackend
from lok_action.backends.replies import as_int
from lok_action.backends.spec import AGENT_BUDGET, CredentialRule, KindSpec, Strength
from lok_action.process import ProcessResult

# turn.failed messages quote the HTTP status or say the stream broke: worth another try
RETRYABLE_MESSAGE = re.compile(
    r"\b(429|5\d\d)\b|too many requests|rate limit|overloaded|timed? ?out|stream disconnected|"
    r"internal server error|service unavailable|bad gateway|high demand|temporar",
    re.IGNORECASE,
)
AUTH_MESSAGE = re.compile(r"\b401\b|unauthorized|invalid api key|incorrect api key", re.IGNORECASE)


def parse_events(stdout: str) -> list[dict[str, Any]]:
    """The JSONL event stream; lines that are not JSON objects (warnings) are skipped."""
    events = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            event = json_text.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


class CodexBackend(CliAgentBackend):
    kind = "codex"
    program = "codex"

    def fixed_args(self, workdir: Path) -> list[str]:
        return ["exec", "--json"]

    def schema_args(self, schema: Mapping[str, Any], schema_path: Path) -> list[str]:
        # sent as the Responses API's text.format (json_schema, strict); the last agent_message is the JSON
        return ["--output-schema", str(schema_path)]

    def default_args(self, workdir: Path) -> list[str]:
        return ["--ephemeral", "--skip-git-repo-check", "-s", "read-only", "-C", str(workdir)]

    def trailing_args(self) -> list[str]:
        return ["-"]  # read the prompt from stdin (closed after writing: codex waits for EOF)

    def parse(self, result: ProcessResult) -> Reply:
        events = parse_events(result.stdout)
        answer: str | None = None
        failure: str | None = None
        usage: dict[str, Any] = {}
        for event in events:
            kind = event.get("type")
            item = event.get("item") or {}
            if kind == "item.completed" and item.get("type") == "agent_message":
                answer = str(item.get("text", ""))  # the LAST message is the answer
            elif kind == "turn.failed":
                failure = str((event.get("error") or {}).get("message", "turn failed"))
            elif kind == "error" and failure is None:
                failure = str(event.get("message", "error"))
            elif kind == "turn.completed":
                usage = event.get("usage") or {}
        if failure is not None:
            message = self.clean(failure)
            if AUTH_MESSAGE.search(message):
                message += " (fix: set the provider's API key, e.g. OPENAI_API_KEY, or run `codex login`)"
            return Reply(
                self.name,
                text=answer or "",
                error=message,
                retryable=bool(RETRYABLE_MESSAGE.search(failure)),
                duration=result.duration,
            )
        if result.returncode != 0:
            return self.exit_failure(result)
        if answer is None:
            return Reply(self.name, error="codex finished without an answer", duration=result.duration)
        return Reply(
            self.name,
            text=answer,
            duration=result.duration,
            input_tokens=as_int(usage.get("input_tokens")),
            output_tokens=as_int(usage.get("output_tokens")),
        )


# `lok suggest`: tasks this kind is the best choice for
ANALYSIS_WORDS = (
    "pattern", "n+1", "n + 1", "quer", "dead code", "unused", "unreachable", "duplicat",
    "refactor", "perf", "slow", "lint", "smell", "complexity", "bug",
)  # fmt: skip


KIND = KindSpec(
    name="codex",
    backend_class=CodexBackend,
    builtin={"codex": {"command": "codex"}},
    credentials=CredentialRule(
        env_vars=("OPENAI_API_KEY", "CODEX_API_KEY"),
        login_files=(("CODEX_HOME", "auth.json"),),
        default_files=(".codex/auth.json",),
        fix="set OPENAI_API_KEY, or run `codex login`",
    ),
    install_hint="npm install -g @openai/codex",
    strengths=(Strength("fast code analysis: patterns, N+1 queries, dead code", ANALYSIS_WORDS),),
    general_rank=20,
    # Codex CLI's default model, GPT-5-Codex (OpenAI's list price)
    price_in=1.25,
    price_out=10.0,
    priced_model="gpt-5-codex",
    budget_chars=AGENT_BUDGET,
    takes_cli_args=True,
)
