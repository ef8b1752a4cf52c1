"""The findings schema reaching each HTTP and command backend through its own mechanism: Ollama's
`format`, OpenAI's `response_format` (with the fallback a refusing server needs), LOK_SCHEMA_FILE for
commands; and the answer cache telling a schema-bound question from a free one."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from lok_action.backends import create_backend
from lok_action.backends.calling import call_backend
from lok_action.cache import AnswerCache
from lok_action.findings.schema import SCHEMA_NAME, findings_schema
from tests.fakes.backend_fixtures import OLLAMA_MODEL, backend_config, lok_toml
from tests.fakes.findings_fixtures import make_analysis_repo
from tests.fakes.llm_server import FakeLLMServer

ANSWER = json.dumps(
    {
        "findings": [
            {
                "rule": "division-by-zero",
                "category": "bug",
                "severity": "high",
                "file": "src/stats.py",
                "start_line": 6,
                "end_line": 6,
                "title": "Division by zero when values is empty",
                "explanation": "len(values) is 0 for an empty list",
                "evidence": "    return total / len(values)",
                "suggested_fix": None,
            }
        ]
    }
)


def ollama(url: str):
    return create_backend(
        backend_config("ollama", {"kind": "ollama", "command": url, "model": OLLAMA_MODEL}), env=os.environ
    )


def openai(url: str, name: str = "llamacpp"):
    return create_backend(
        backend_config(name, {"kind": "openai", "command": url + "/v1", "model": "qwen"}), env=os.environ
    )


def chat_bodies(server: FakeLLMServer) -> list[dict]:
    return [r.body for r in server.requests("openai") if r.method == "POST"]


def test_ollama_gets_the_schema_as_format(llm_server: FakeLLMServer, tmp_path: Path):
    llm_server.script("ollama", text=ANSWER)

    reply = ollama(llm_server.url).query("find bugs", tmp_path, timeout=10, schema=findings_schema())
    plain = ollama(llm_server.url).query("explain", tmp_path, timeout=10)

    assert reply.ok and json.loads(reply.text) == json.loads(ANSWER)
    with_schema, without = [r.body for r in llm_server.requests("ollama") if r.method == "POST"]
    assert with_schema["format"] == findings_schema()
    assert "format" not in without and plain.ok


def test_openai_gets_a_strict_json_schema_response_format(llm_server: FakeLLMServer, tmp_path: Path):
    llm_server.script("openai", text=ANSWER)

    reply = openai(llm_server.url).query("find bugs", tmp_path, timeout=10, schema=findings_schema())

    assert reply.ok and reply.note == "" and reply.repairs == 0
    [body] = chat_bodies(llm_server)
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "schema": findings_schema(), "strict": True},
    }
    assert body["messages"][0]["content"] == "find bugs"  # the server enforces it: no schema in the prompt


def test_openai_falls_back_to_json_object_once_and_remembers(llm_server: FakeLLMServer, tmp_path: Path):
    llm_server.script("openai", text=ANSWER, refused_formats=["json_schema"])
    backend = openai(llm_server.url)

    first = backend.query("find bugs in a.py", tmp_path, timeout=10, schema=findings_schema())
    second = backend.query("find bugs in b.py", tmp_path, timeout=10, schema=findings_schema())

    assert first.ok and second.ok
    formats = [(b.get("response_format") or {}).get("type") for b in chat_bodies(llm_server)]
    assert formats == ["json_schema", "json_object", "json_object"]  # the second call goes straight there
    assert first.note == (
        "the server refused response_format json_schema (HTTP 400): using response_format json_object from now on"
    )
    assert second.note == ""  # said once
    # json_object only promises JSON: the shape is asked for in the prompt
    assert '"evidence"' in chat_bodies(llm_server)[1]["messages"][0]["content"]


def test_openai_falls_back_to_the_prompt_alone_when_json_object_is_refused_too(
    llm_server: FakeLLMServer, tmp_path: Path
):
    llm_server.script("openai", text=ANSWER, refused_formats=["json_schema", "json_object"])
    backend = openai(llm_server.url)

    first = backend.query("find bugs in a.py", tmp_path, timeout=10, schema=findings_schema())
    second = backend.query("find bugs in b.py", tmp_path, timeout=10, schema=findings_schema())

    assert first.ok and json.loads(first.text) == json.loads(ANSWER) and second.ok
    bodies = chat_bodies(llm_server)
    assert [(b.get("response_format") or {}).get("type") for b in bodies] == [
        "json_schema",
        "json_object",
        None,
        None,
    ]
    assert "matching this JSON Schema" in bodies[2]["messages"][0]["content"]
    assert first.note.endswith(
        "json_schema (HTTP 400), then json_object (HTTP 400): using the schema in the prompt alone from now on"
    )
    assert second.note == ""


def test_openai_in_prompt_mode_repairs_an_answer_that_is_not_json(llm_server: FakeLLMServer, tmp_path: Path):
    marker = "was not valid JSON"
    llm_server.script(
        "openai",
        text="There is a division by zero on line 6.",
        replies=[(marker, ANSWER)],
        refused_formats=["json_schema", "json_object"],
    )

    reply = openai(llm_server.url).query("find bugs", tmp_path, timeout=10, schema=findings_schema())

    assert reply.ok and json.loads(reply.text) == json.loads(ANSWER)
    assert reply.repairs == 1
    repair = chat_bodies(llm_server)[-1]["messages"][0]["content"]
    assert marker in repair and "There is a division by zero on line 6." in repair


def test_a_server_refusing_every_mode_is_an_error_and_teaches_nothing(
    llm_server: FakeLLMServer, tmp_path: Path
):
    llm_server.script("openai", status=400)
    backend = openai(llm_server.url)

    first = backend.query("find bugs", tmp_path, timeout=10, schema=findings_schema())
    llm_server.script("openai", status=None)
    second = backend.query("find bugs", tmp_path, timeout=10, schema=findings_schema())

    assert not first.ok and "HTTP 400" in (first.error or "") and not first.retryable
    assert second.ok and second.note == ""
    formats = [(b.get("response_format") or {}).get("type") for b in chat_bodies(llm_server)]
    # the 400 was not about response_format (the prompt alone got it too): the next call starts at the top
    assert formats == ["json_schema", "json_object", None, "json_schema"]


SCHEMA_PEEK = """
import os, sys
path = os.environ.get("LOK_SCHEMA_FILE")
print(open(path).read() if path else "no schema")
"""


def test_a_command_backend_finds_the_schema_in_lok_schema_file(tmp_path: Path, monkeypatch):
    script = tmp_path / "peek.py"
    script.write_text(SCHEMA_PEEK)
    monkeypatch.setenv("LOK_SCHEMA_FILE", "/stale/from/a/parent")  # never passed on without a schema
    backend = create_backend(
        backend_config("peek", {"kind": "command", "command": f"{sys.executable} {script}"}), env=os.environ
    )

    bound = backend.query("find bugs", tmp_path, timeout=20, schema=findings_schema())
    free = backend.query("explain", tmp_path, timeout=20)

    assert bound.ok and json.loads(bound.text) == findings_schema()
    assert free.ok and free.text.strip() == "no schema"
    assert not list(Path(tmp_path).glob("**/schema.json")), "the schema file was left in the workspace"


def test_the_cache_keeps_schema_bound_answers_apart(llm_server: FakeLLMServer, tmp_path: Path):
    llm_server.script("ollama", text=ANSWER)
    cache = AnswerCache(tmp_path / "cache", ttl_hours=1)
    backend = ollama(llm_server.url)

    bound = call_backend(backend, "find bugs", tmp_path, 10, cache=cache, schema=findings_schema())
    free = call_backend(backend, "find bugs", tmp_path, 10, cache=cache)
    again = call_backend(backend, "find bugs", tmp_path, 10, cache=cache, schema=findings_schema())

    assert not bound.cached and not free.cached and again.cached
    assert len([r for r in llm_server.requests("ollama") if r.method == "POST"]) == 2


def test_lok_hunt_says_the_openai_fallback_once_for_the_run(
    llm_server: FakeLLMServer, tmp_path: Path, lok_project
):
    repo = make_analysis_repo(tmp_path)
    llm_server.script("openai", text=ANSWER, refused_formats=["json_schema"])
    table = {"kind": "openai", "command": llm_server.url + "/v1", "model": "qwen"}
    # one call at a time, so the first call learns the mode before the next one starts
    (repo / "lok.toml").write_text(
        lok_toml({"llamacpp": table}, extra="[defaults]\nmax_parallel = 1\n[cache]\nenabled = false\n")
    )

    # three passes (three calls), so "once for the run" means something
    done = lok_project.lok(
        "hunt",
        ".",
        "-b",
        "llamacpp",
        "--depth",
        "thorough",
        "--format",
        "json",
        "-o",
        "../out.json",
        cwd=repo,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr.count("the server refused response_format json_schema (HTTP 400)") == 1, done.stderr
    formats = [(b.get("response_format") or {}).get("type") for b in chat_bodies(llm_server)]
    assert formats == ["json_schema", "json_object", "json_object", "json_object"]  # 3 steps, 1 fallback
    status = json.loads((tmp_path / "out.json").read_text())["backends"][0]
    assert (status["calls"], status["unparseable"], status["findings"]) == (3, 0, 3)
