"""`openai`: any OpenAI-compatible `/v1/chat/completions` server (llama.cpp server, vLLM, LM Studio...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lok_action.backends.base import Availability, Backend, Reply
from lok_action.backends.cli_agent import as_int
from lok_action.backends.http_api import join_url, request_json

PROBE_TIMEOUT = 3.0


class OpenAIBackend(Backend):
    kind = "openai"
    reads_workspace = False  # a plain model: the file context goes in the prompt

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

    def query(self, prompt: str, workdir: Path, timeout: float) -> Reply:
        payload: dict[str, Any] = {"messages": [{"role": "user", "content": prompt}], "stream": False}
        if self.config.model:
            payload["model"] = self.config.model

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
        )
