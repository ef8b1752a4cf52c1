"""`gemini`: Google's Gemini CLI headless, `-o json`, prompt on stdin, trusted workspace."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lok_action import json_text
from lok_action.backends.base import Reply
from lok_action.backends.cli_agent import CliAgentBackend
from lok_action.backends.replies import as_int, auth_fix, is_retryable_status
from lok_action.backends.spec import AGENT_BUDGET, CredentialRule, KindSpec, Strength
from lok_action.process import ProcessResult, exit_status

AUTH_HOW = "set GEMINI_API_KEY"
# Exit codes that are not HTTP statuses (the CLI exits with status & 255 for API errors).
EXIT_BAD_AUTH_CONFIG = 41
EXIT_UNTRUSTED_WORKSPACE = 55
STDERR_SCAN = 65536  # the error object is near the end; do not scan megabytes of logs


def http_status_from_exit(code: int | None) -> int | None:
    """400..511 exit as 144..255; lower codes are the CLI's own."""
    return code + 256 if code is not None and 144 <= code <= 255 else None


def error_object(stderr: str) -> dict[str, Any] | None:
    """The `{"error": {...}}` object printed on stderr, pretty-printed or not, among other lines."""
    text = stderr[-STDERR_SCAN:]
    decoder = json.JSONDecoder()
    found = None
    start = text.find("{")
    while start != -1:
        try:
            data, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            found = data["error"]
        start = text.find("{", end)
    return found


def error_message(error: dict[str, Any]) -> str:
    """The message, unwrapped when it is itself the API's JSON error body (as for 401)."""
    message = str(error.get("message") or "")
    try:
        inner = json_text.loads(message)
    except ValueError:
        return message
    if isinstance(inner, dict) and isinstance(inner.get("error"), dict):
        return str(inner["error"].get("message") or message)
    return message


def token_counts(stats: Any) -> tuple[int | None, int | None]:
    models = stats.get("models") if isinstance(stats, dict) else None
    if not isinstance(models, dict):
        return None, None
    prompt = output = 0
    for model in models.values():
        tokens = model.get("tokens", {}) if isinstance(model, dict) else {}
        prompt += as_int(tokens.get("prompt")) or 0
        output += as_int(tokens.get("candidates")) or 0
    return prompt, output


class GeminiBackend(CliAgentBackend):
    kind = "gemini"
    program = "gemini"

    def fixed_args(self, workdir: Path) -> list[str]:
        # `-p ""` + stdin: the prompt never hits argv length limits or `ps`
        return ["-p", "", "-o", "json"]

    def query(
        self, prompt: str, workdir: Path, timeout: float, *, schema: Mapping[str, Any] | None = None
    ) -> Reply:
        if schema is None:
            return self.run(prompt, workdir, timeout)
        # Gemini CLI has no schema flag (0.61: no --json-schema/--output-schema; headless -o json wraps
        # free text): the schema goes in the prompt, and an answer that is not JSON is asked for once more
        from lok_action.backends.structured import ask_with_repair

        return ask_with_repair(lambda text, left: self.run(text, workdir, left), prompt, schema, timeout)

    def extra_env(self) -> dict[str, str]:
        # without trust the CLI refuses to run headless in a new folder (exit 55)
        return (
            {} if "GEMINI_CLI_TRUST_WORKSPACE" in self.config.env else {"GEMINI_CLI_TRUST_WORKSPACE": "true"}
        )

    def parse(self, result: ProcessResult) -> Reply:
        if result.returncode == 0:
            try:
                data = json_text.loads(result.stdout)
            except ValueError:
                data = None
            if isinstance(data, dict) and "response" in data:
                prompt_tokens, output_tokens = token_counts(data.get("stats"))
                return Reply(
                    self.name,
                    text=str(data.get("response") or ""),
                    duration=result.duration,
                    input_tokens=prompt_tokens,
                    output_tokens=output_tokens,
                )
            return Reply(
                self.name,
                error=f"gemini printed no JSON answer: {self.clean(result.stdout)[:200]}",
                duration=result.duration,
            )
        error = error_object(result.stderr) or {}
        status = as_int(error.get("code")) or http_status_from_exit(result.returncode)
        message = self.clean(error_message(error)) or self.clean(result.stderr)
        if result.returncode == EXIT_BAD_AUTH_CONFIG:
            message += " (fix: set GEMINI_API_KEY and security.auth.selectedType = gemini-api-key in ~/.gemini/settings.json)"
        elif result.returncode == EXIT_UNTRUSTED_WORKSPACE:
            message += " (fix: set GEMINI_CLI_TRUST_WORKSPACE=true in backends.gemini.env)"
        else:
            message += auth_fix(status, AUTH_HOW)
        prefix = f"HTTP {status}: " if status else f"gemini {exit_status(result.returncode, 'exited')}: "
        return Reply(
            self.name,
            error=prefix + message,
            retryable=is_retryable_status(status),
            duration=result.duration,
        )


# `lok suggest`: tasks this kind is the best choice for
SECURITY_WORDS = (
    "secur", "audit", "vulnerab", "inject", "xss", "csrf", "ssrf", "secret", "credential",
    "auth", "cve", "exploit", "sanitiz", "owasp", "crypto", "permission",
)  # fmt: skip


KIND = KindSpec(
    name="gemini",
    backend_class=GeminiBackend,
    builtin={"gemini": {"command": "gemini", "model": "gemini-2.5-pro"}},
    credentials=CredentialRule(
        env_vars=(
            "GEMINI_API_KEY",
            "GOOGLE_API_KEY",
            "GOOGLE_GENAI_USE_VERTEXAI",
            "GOOGLE_GENAI_USE_GCA",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ),
        login_files=(("GEMINI_CLI_HOME", ".gemini/oauth_creds.json"),),
        default_files=(".gemini/oauth_creds.json",),
        fix="set GEMINI_API_KEY, or run `gemini` once and log in with Google",
    ),
    install_hint="npm install -g @google/gemini-cli",
    strengths=(Strength("deep security audits", SECURITY_WORDS),),
    general_rank=30,
    # the built-in model, Gemini 2.5 Pro (Google's list price for prompts up to 200k tokens)
    price_in=1.25,
    price_out=10.0,
    priced_model="gemini-2.5-pro",
    budget_chars=AGENT_BUDGET,
    takes_cli_args=True,
)
