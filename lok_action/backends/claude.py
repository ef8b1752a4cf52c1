"""`claude`: Anthropic's Claude Code CLI in print mode, JSON result, prompt on stdin."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lok_action import json_text
from lok_action.backends.base import Reply
from lok_action.backends.cli_agent import CliAgentBackend
from lok_action.backends.replies import as_int, auth_fix, is_retryable_status
from lok_action.backends.spec import AGENT_BUDGET, CredentialRule, KindSpec, Strength
from lok_action.process import ProcessResult

AUTH_HOW = "set ANTHROPIC_API_KEY (or run `claude` once and /login)"


def result_object(stdout: str) -> dict[str, Any] | None:
    """The `{"type": "result", ...}` object: the whole stdout, or its last JSON line."""
    candidates = [stdout.strip(), *reversed(stdout.strip().splitlines())]
    for candidate in candidates:
        if not candidate.startswith("{"):
            continue
        try:
            data = json_text.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("type") == "result":
            return data
    return None


class ClaudeBackend(CliAgentBackend):
    kind = "claude"
    program = "claude"

    def fixed_args(self, workdir: Path) -> list[str]:
        return ["-p", "--output-format", "json"]

    def default_args(self, workdir: Path) -> list[str]:
        # read-only analysis: no session files, and the default permission mode denies shell and edits
        return ["--no-session-persistence", "--permission-mode", "default"]

    def schema_args(self, schema: Mapping[str, Any], schema_path: Path) -> list[str]:
        # Claude Code offers the model a StructuredOutput tool whose input_schema is this schema,
        # validates the call and puts the object in the result's `structured_output`
        from lok_action.backends.structured import schema_json

        return ["--json-schema", schema_json(schema)]

    def model_args(self) -> list[str]:
        return ["--model", self.config.model] if self.config.model else []

    def parse(self, result: ProcessResult) -> Reply:
        data = result_object(result.stdout)
        if data is None:
            return self.exit_failure(result)
        usage = data.get("usage") or {}
        cost = data.get("total_cost_usd")
        structured = data.get("structured_output")
        reply = Reply(
            self.name,
            # with --json-schema the validated object; `result` is the model's last text
            text=json.dumps(structured) if structured is not None else str(data.get("result") or ""),
            duration=result.duration,
            input_tokens=as_int(usage.get("input_tokens")),
            output_tokens=as_int(usage.get("output_tokens")),
            cost_usd=float(cost) if isinstance(cost, (int, float)) else None,
        )
        if data.get("is_error") or result.returncode != 0:
            status = as_int(data.get("api_error_status"))
            message = self.clean(reply.text or str(data.get("subtype", "error")))
            return dataclasses.replace(
                reply,
                text="",
                error=message + auth_fix(status, AUTH_HOW),
                retryable=is_retryable_status(status),
            )
        return reply


# `lok suggest`: tasks this kind is the best choice for
REASONING_WORDS = (
    "reason", "orchestrat", "architect", "design", "plan", "explain", "why", "debug", "trade",
    "decid", "complex", "multi-step", "coordinat", "review", "migrat", "spec",
)  # fmt: skip


KIND = KindSpec(
    name="claude",
    backend_class=ClaudeBackend,
    builtin={"claude": {"command": "claude"}},
    credentials=CredentialRule(
        env_vars=(
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "CLAUDE_CODE_OAUTH_TOKEN",
            "CLAUDE_CODE_USE_BEDROCK",
            "CLAUDE_CODE_USE_VERTEX",
        ),
        login_files=(("CLAUDE_CONFIG_DIR", ".credentials.json"),),
        default_files=(".claude/.credentials.json",),
        fix="set ANTHROPIC_API_KEY, or run `claude` once and /login",
    ),
    install_hint="npm install -g @anthropic-ai/claude-code",
    strengths=(Strength("careful reasoning and orchestration", REASONING_WORDS),),
    general_rank=10,
    # Claude Code's default model, Claude Sonnet 4.5 (Anthropic's list price)
    price_in=3.0,
    price_out=15.0,
    priced_model="claude-sonnet-4-5",
    budget_chars=AGENT_BUDGET,
    takes_cli_args=True,
)
