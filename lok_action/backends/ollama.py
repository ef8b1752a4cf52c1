"""`ollama`: an Ollama server over HTTP (`/api/chat`); availability from `/api/tags`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lok_action.backends.base import Availability, Backend, Reply
from lok_action.backends.http_api import join_url, request_json
from lok_action.backends.replies import as_int
from lok_action.backends.spec import PRIVATE, PROMPT_BUDGET, KindSpec, Strength

DEFAULT_URL = "http://localhost:11434"
INSTALL_HINT = "install Ollama from https://ollama.com and run `ollama serve`"
PROBE_TIMEOUT = 3.0  # seconds for the /api/tags availability probe


def model_names(tags: Any) -> set[str]:
    names: set[str] = set()
    for model in tags.get("models", []) if isinstance(tags, dict) else []:
        for key in ("name", "model"):
            if isinstance(model, dict) and isinstance(model.get(key), str):
                names.add(model[key])
    return names


def has_model(names: set[str], wanted: str) -> bool:
    # "llama3" means "llama3:latest" to Ollama
    return wanted in names or (":" not in wanted and f"{wanted}:latest" in names)


class OllamaBackend(Backend):
    kind = "ollama"
    reads_workspace = False  # Ollama cannot read the repository: the file context goes in the prompt

    @property
    def base_url(self) -> str:
        return self.config.command or DEFAULT_URL

    def target(self) -> str:
        return self.base_url

    def available(self) -> Availability:
        import requests

        url = join_url(self.base_url, "/api/tags")
        try:
            response = requests.get(url, timeout=PROBE_TIMEOUT)
            response.raise_for_status()
            names = model_names(response.json())
        except requests.RequestException as error:
            return Availability(
                False,
                f"Ollama server not reachable at {self.base_url} ({type(error).__name__})",
                f"{INSTALL_HINT}, or set backends.{self.name}.command to its URL",
            )
        except ValueError:
            return Availability(
                False, f"{url} did not answer with JSON", f"check backends.{self.name}.command"
            )
        if not self.config.model:
            return Availability(False, "no model configured", f'set backends.{self.name}.model = "NAME"')
        if not has_model(names, self.config.model):
            return Availability(
                False,
                f"model {self.config.model} not pulled on {self.base_url}",
                f"ollama pull {self.config.model}",
            )
        return Availability(True, "ready")

    def query(
        self, prompt: str, workdir: Path, timeout: float, *, schema: Mapping[str, Any] | None = None
    ) -> Reply:
        payload: dict[str, Any] = {
            "model": self.config.model,
            "messages": [{"role": "user", "content": prompt}],
            "stream": False,
        }
        if schema is not None:
            payload["format"] = dict(schema)  # Ollama >= 0.5 constrains decoding to it

        def answer(data: Any) -> Reply:
            if isinstance(data, dict) and data.get("error"):
                return Reply(self.name, error=f"ollama: {data['error']}")
            return Reply(
                self.name,
                text=str(data["message"]["content"]),
                input_tokens=as_int(data.get("prompt_eval_count")),
                output_tokens=as_int(data.get("eval_count")),
            )

        return request_json(
            self.name,
            "POST",
            join_url(self.base_url, "/api/chat"),
            payload=payload,
            timeout=timeout,
            redact=self.redactor(),
            answer=answer,
        )


KIND = KindSpec(
    name="ollama",
    backend_class=OllamaBackend,
    builtin={"ollama": {"command": DEFAULT_URL, "model": "qwen2.5-coder:7b"}},
    install_hint=INSTALL_HINT,
    strengths=(Strength("private/offline: the code never leaves your machine", PRIVATE),),
    general_rank=40,
    budget_chars=PROMPT_BUDGET,
    command_is="base URL of the server",
)
