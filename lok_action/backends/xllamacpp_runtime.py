"""EmbeddedModel on xllamacpp: llama.cpp's own server engine run in-process, from prebuilt wheels
(Linux x86-64 and arm64, macOS; CPython 3.10+ through one abi3 wheel), so installing it compiles
nothing. JSON Schemas are enforced by llama.cpp's LLGuidance sampler.

The engine also listens on 127.0.0.1 (a random port; only its tokenizer is used, over HTTP, since the
binding has no tokenize call). A random API key, known only to this process, guards it.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from lok_action.backends.embedded import Generation

N_CTX = 4096  # tokens per generation slot, prompt and answer together (SmolLM2 was trained on 8k)
PARALLEL = 2  # slots: two answers decode in one batch, which a CPU does faster than one after another
TEMPERATURE = 0.2
REPEAT_PENALTY = 1.1
HTTP_TIMEOUT = 60


def cpu_count() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # macOS
        return max(os.cpu_count() or 1, 1)


@lru_cache(maxsize=64)
def _grammar(schema_json: str) -> str:
    import xllamacpp

    schema = json.loads(schema_json)
    # compact JSON: no whitespace between tokens, fewer tokens to generate
    return str(xllamacpp.json_schema_to_grammar({**schema, "x-guidance": {"whitespace_flexible": False}}))


class XllamacppModel:
    def __init__(self, path: Path, context: int = N_CTX, parallel: int = PARALLEL) -> None:
        # OpenMP workers that spin while they wait make generation ~50x slower on a busy machine (CI,
        # other jobs); passive waiting costs little on an idle one. Read once, when libgomp loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import requests

        try:
            import xllamacpp
        except (ImportError, OSError) as error:  # its native library loads here
            hint = (
                " (install the OpenMP runtime: apt-get install libgomp1)" if "libgomp" in str(error) else ""
            )
            raise RuntimeError(f"cannot load xllamacpp: {error}{hint}") from None

        if not path.is_file():
            raise ValueError(f"{path}: no such model file")
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_parallel = parallel
        params.n_ctx = context * parallel
        threads = cpu_count()
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.sampling.seed = 0
        params.verbosity = -1  # llama.cpp's log would go to our stderr
        self._key = secrets.token_urlsafe(32)
        params.api_keys = [self._key]
        self._server: Any = xllamacpp.Server(params)
        self._address = str(self._server.listening_address).rstrip("/")
        self._http = requests.Session()
        self._http.trust_env = False  # loopback: never through an HTTP(S)_PROXY from the environment
        self._slots = threading.BoundedSemaphore(parallel)
        self.context = context

    def _post(self, route: str, body: Mapping[str, Any]) -> Any:
        response = self._http.post(
            self._address + route,
            json=dict(body),
            headers={"Authorization": f"Bearer {self._key}"},
            timeout=HTTP_TIMEOUT,
        )
        response.raise_for_status()
        return response.json()

    def tokenize(self, text: str) -> list[int]:
        return list(self._post("/tokenize", {"content": text, "add_special": False})["tokens"])

    def detokenize(self, tokens: Sequence[int]) -> str:
        return str(self._post("/detokenize", {"tokens": list(tokens)})["content"])

    def generate(
        self, prompt: str, *, max_tokens: int, json_schema: Mapping[str, Any] | None, timeout: float
    ) -> Generation:
        request: dict[str, Any] = {
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "temperature": TEMPERATURE,
            "repeat_penalty": REPEAT_PENALTY,
            "stream": True,
        }
        if json_schema is not None:
            request["grammar"] = _grammar(
                json.dumps(json_schema)
            )  # key order kept: it is the order of generation
        with self._slots:
            # waiting for a free slot is queueing, not the model hanging: the deadline starts here
            return self._stream(request, time.monotonic() + timeout)

    def _stream(self, request: dict[str, Any], deadline: float) -> Generation:
        pieces: list[str] = []
        state: dict[str, Any] = {"finish": "stop", "timings": {}, "error": None}

        def on_chunk(chunk: Any) -> bool:  # True stops the stream; must never raise
            if not isinstance(chunk, dict):
                return False
            problem = chunk.get("error") or (chunk if "message" in chunk and "code" in chunk else None)
            if problem:
                state["error"] = (
                    problem.get("message", str(problem)) if isinstance(problem, dict) else problem
                )
                return True
            choices = chunk.get("choices") or [{}]
            piece = (choices[0].get("delta") or {}).get("content")
            if piece:
                pieces.append(piece)
            if choices[0].get("finish_reason"):
                state["finish"] = choices[0]["finish_reason"]
            if isinstance(chunk.get("timings"), dict):
                state["timings"] = chunk["timings"]
            if time.monotonic() > deadline:
                state["finish"] = "deadline"
                return True
            return False

        self._server.handle_chat_completions(request, on_chunk)
        if state["error"]:
            raise RuntimeError(str(state["error"]))
        timings = state["timings"]
        return Generation(
            text="".join(pieces),
            prompt_tokens=int(timings.get("cache_n", 0)) + int(timings.get("prompt_n", 0)),
            output_tokens=int(timings.get("predicted_n", len(pieces))),
            finish=str(state["finish"]),
        )

    def close(self) -> None:
        self._http.close()
        self._server = None  # the native server stops and frees the model when its last reference goes
