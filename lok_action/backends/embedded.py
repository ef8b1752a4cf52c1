"""The embedded model's runtime behind one small interface, so the llama.cpp binding can be swapped.

The `local` backend only ever talks to an ``EmbeddedModel``: tokenize, detokenize, generate (under a
JSON Schema when asked). Today's runtime is xllamacpp (lok_action/backends/xllamacpp_runtime.py),
chosen for its prebuilt wheels; another binding needs one class with these methods and a line in
``embedded_loader.open_model``. This module is the interface only, so a runtime imports it freely.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

RUNTIME_MODULE = "xllamacpp"  # the import that must succeed for the runtime to be there
RUNTIME_DISTRIBUTION = "xllamacpp"


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    output_tokens: int
    finish: str  # "stop", "length" (max_tokens reached) or "deadline" (stopped for the timeout)


class EmbeddedModel(Protocol):
    context: int  # tokens one generation may use, prompt and answer together

    def tokenize(self, text: str) -> list[int]: ...

    def detokenize(self, tokens: Sequence[int]) -> str: ...

    def generate(
        self, prompt: str, *, max_tokens: int, json_schema: Mapping[str, Any] | None, timeout: float
    ) -> Generation:
        """One chat turn with ``prompt`` as the user message. With ``json_schema``, decoding is
        constrained so the text is JSON matching it. Stops after ``timeout`` seconds of generating
        (time spent waiting for the model to be free does not count). Raises RuntimeError."""
        ...

    def close(self) -> None: ...


def runtime_installed() -> bool:
    return importlib.util.find_spec(RUNTIME_MODULE) is not None
