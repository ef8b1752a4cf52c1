"""`openai`: any OpenAI-compatible `/v1/chat/completions` server (llama.cpp server, vLLM, LM Studio...)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lok_action.backends.base import Availability, Backend, Reply
from lok_action.backends.http_api import join_url, request_json
from lok_action.backends.replies import as_int
from lok_action.backends.spec import PROMPT_BUDGET, KindSpec

if TYPE_CHECKING:
    from lok_action.config import BackendConfig

PROBE_TIMEOUT = 3.0
# How an answer is held to a schema, best first. A server that refuses one (HTTP 400; 422 from
# FastAPI-based servers) gets the next: response_format json_schema, json_object, the prompt alone.
SCHEMA_MODES = ("json_schema", "json_object", "prompt")
REFUSED_STATUSES = frozenset({400, 422})


class OpenAIBackend(Backend):
    kind = "openai"
    reads_workspace = False  # a plain model: the file context goes in the prompt

    def __init__(self, config: BackendConfig, env: Mapping[str, str]) -> None:
        super().__init__(config, env)
        # the best SCHEMA_MODES index this server has not refused: learnt once, kept for the run
        self._schema_mode = 0
        self._schema_mode_lock = threading.Lock()

    def api_url(self, path: str) -> str:
        # accept both "http://host:8080" and "http://host:8080/v1"
        base = self.config.command.rstrip("/")
        if not base.endswith("/v1"):
            base += "/v1"
        return join_url(base, path)

    def api_key(self) -> str | None:
        if not self.config.api_key_env:
            return None
        return self.child_env().get(self.config.api_key_env) or None

    def headers(self) -> dict[str, str]:
        key = self.api_key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def auth_how(self) -> str:
        env_name = self.config.api_key_env or "OPENAI_API_KEY"
        return f'export {env_name}=<key> (and set backends.{self.name}.api_key_env = "{env_name}")'

    def available(self) -> Availability:
        import requests

        if not self.config.command:
            return Availability(
                False, "no server URL configured", f'set backends.{self.name}.command = "http://HOST:PORT/v1"'
            )
        if self.config.api_key_env and self.api_key() is None:
            return Availability(
                False, f"{self.config.api_key_env} is not set", f"export {self.config.api_key_env}=<key>"
            )
        url = self.api_url("/models")
        try:
            response = requests.get(url, headers=self.headers(), timeout=PROBE_TIMEOUT)
        except requests.RequestException as error:
            return Availability(
                False,
                f"server not reachable at {self.config.command} ({type(error).__name__})",
                f"start the server or fix backends.{self.name}.command",
            )
        if response.status_code in (401, 403):
            return Availability(
                False, f"the server rejected the API key (HTTP {response.status_code})", self.auth_how()
            )
        return Availability(True, "ready")

    def query(
        self, prompt: str, workdir: Path, timeout: float, *, schema: Mapping[str, Any] | None = None
    ) -> Reply:
        if schema is None:
            return self.chat(prompt, timeout)
        started = time.monotonic()
        first = self._schema_mode
        refused: list[str] = []
        for index in range(first, len(SCHEMA_MODES)):
            statuses: list[int] = []
            left = max(timeout - (time.monotonic() - started), 0.1)
            reply = self.chat_with_schema(prompt, schema, SCHEMA_MODES[index], left, statuses)
            last = index == len(SCHEMA_MODES) - 1
            if reply.ok or last or not statuses or statuses[0] not in REFUSED_STATUSES:
                break
            refused.append(f"{SCHEMA_MODES[index]} (HTTP {statuses[0]})")
        if not reply.ok or not refused:
            return reply  # a refusal of every mode is not about response_format: nothing learnt
        return self._learn(index, refused, reply)

    def _learn(self, index: int, refused: list[str], reply: Reply) -> Reply:
        """Remember the mode that worked; the call that lowers it says so, once for the run."""
        with self._schema_mode_lock:
            lowered = index > self._schema_mode
            self._schema_mode = max(self._schema_mode, index)
        if not lowered:
            return reply
        mode = SCHEMA_MODES[index]
        using = "the schema in the prompt alone" if mode == "prompt" else f"response_format {mode}"
        note = f"the server refused response_format {', then '.join(refused)}: using {using} from now on"
        return dataclasses.replace(reply, note=f"{reply.note}; {note}" if reply.note else note)

    def chat_with_schema(
        self, prompt: str, schema: Mapping[str, Any], mode: str, timeout: float, statuses: list[int]
    ) -> Reply:
        from lok_action.backends.structured import ask_with_repair, prompt_with_schema, schema_name

        if mode == "json_schema":
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": schema_name(schema), "schema": dict(schema), "strict": True},
            }
            return self.chat(prompt, timeout, response_format, statuses)
        if mode == "json_object":  # valid JSON guaranteed, the shape only asked for (and "JSON" named)
            return self.chat(prompt_with_schema(prompt, schema), timeout, {"type": "json_object"}, statuses)
        return ask_with_repair(
            lambda text, left: self.chat(text, left, None, statuses), prompt, schema, timeout
        )

    def chat(
        self,
        prompt: str,
        timeout: float,
        response_format: Mapping[str, Any] | None = None,
        statuses: list[int] | None = None,
    ) -> Reply:
        """One /chat/completions request; the HTTP status of a refusal is appended to ``statuses``."""
        payload: dict[str, Any] = {"messages": [{"role": "user", "content": prompt}], "stream": False}
        if self.config.model:
            payload["model"] = self.config.model
        if response_format is not None:
            payload["response_format"] = dict(response_format)

        def answer(data: Any) -> Reply:
            usage = data.get("usage") or {}
            return Reply(
                self.name,
                text=str(data["choices"][0]["message"]["content"] or ""),
                input_tokens=as_int(usage.get("prompt_tokens")),
                output_tokens=as_int(usage.get("completion_tokens")),
            )

        return request_json(
            self.name,
            "POST",
            self.api_url("/chat/completions"),
            payload=payload,
            headers=self.headers(),
            timeout=timeout,
            redact=self.redactor(),
            auth_how=self.auth_how(),
            answer=answer,
            on_error_status=statuses.append if statuses is not None else None,
        )


KIND = KindSpec(
    name="openai",
    backend_class=OpenAIBackend,
    install_hint="start an OpenAI-compatible server (llama.cpp server, vLLM, LM Studio...)",
    general_rank=50,
    budget_chars=PROMPT_BUDGET,
    command_is="base URL of the server",
    required=("command",),
)
