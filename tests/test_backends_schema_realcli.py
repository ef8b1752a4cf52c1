"""The findings schema through the real npm CLIs' own mechanisms, seen where the vendor's API gets it:
Claude Code's --json-schema (a StructuredOutput tool in the Messages request), Codex's
--output-schema (text.format in the Responses request), and Gemini CLI, which has neither: the
schema in the prompt and one repair request for an answer that is not JSON."""

from __future__ import annotations

import json
import os

import pytest

from lok_action.backends import create_backend
from lok_action.backends.base import Backend
from lok_action.findings.schema import findings_schema
from tests.fakes.backend_fixtures import CliHomes, backend_config, backend_tables, lok_toml
from tests.fakes.findings_fixtures import make_analysis_repo
from tests.fakes.llm_server import STRUCTURED_TOOL, FakeLLMServer, structured_tool_schema
from tests.fakes.npm_clis import InstalledClis

pytestmark = pytest.mark.realcli

FINDING = {
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
ANSWER = json.dumps({"findings": [FINDING]})
REPAIR_MARKER = "Your previous answer to this request was not valid JSON"


def make_backend(name: str, server: FakeLLMServer, homes: CliHomes, clis: InstalledClis) -> Backend:
    tables = backend_tables(server.url, homes, {name: str(clis.path(name))})
    return create_backend(backend_config(name, tables[name]), env=os.environ)


def posts(server: FakeLLMServer, protocol: str) -> list[dict]:
    return [r.body for r in server.requests(protocol) if r.method == "POST"]


def test_claude_schema_arrives_as_the_structured_output_tool(llm_server, cli_homes, real_clis, tmp_path):
    llm_server.script("anthropic", text=ANSWER)  # the stand-in calls StructuredOutput when it is offered
    backend = make_backend("claude", llm_server, cli_homes, real_clis)

    reply = backend.query("Find bugs in src/stats.py", tmp_path, timeout=90, schema=findings_schema())

    assert reply.ok, reply.error
    assert json.loads(reply.text) == {"findings": [FINDING]}  # from the envelope's structured_output
    [request] = posts(llm_server, "anthropic")
    assert structured_tool_schema(request) == findings_schema(), f"no {STRUCTURED_TOOL} tool with our schema"


def test_claude_without_a_schema_offers_no_structured_output_tool(llm_server, cli_homes, real_clis, tmp_path):
    llm_server.script("anthropic", text="Plain words.")
    backend = make_backend("claude", llm_server, cli_homes, real_clis)

    reply = backend.query("Explain src/stats.py", tmp_path, timeout=90)

    assert reply.ok and reply.text == "Plain words."
    assert all(structured_tool_schema(body) is None for body in posts(llm_server, "anthropic"))


def test_codex_schema_arrives_as_the_responses_text_format(llm_server, cli_homes, real_clis, tmp_path):
    llm_server.script("responses", text=ANSWER)
    backend = make_backend("codex", llm_server, cli_homes, real_clis)

    reply = backend.query("Find bugs in src/stats.py", tmp_path, timeout=90, schema=findings_schema())

    assert reply.ok, reply.error
    assert json.loads(reply.text) == {"findings": [FINDING]}
    [request] = posts(llm_server, "responses")
    text_format = request["text"]["format"]
    assert text_format["type"] == "json_schema" and text_format["strict"] is True
    assert text_format["schema"] == findings_schema()
    assert not list(tmp_path.glob("**/schema.json")), "the schema file was left in the workspace"


def test_gemini_gets_the_schema_in_the_prompt_and_one_repair(llm_server, cli_homes, real_clis, tmp_path):
    prose = "I looked at it: line 6 divides by len(values), which fails for an empty list."
    llm_server.script("gemini", text=prose, replies=[(REPAIR_MARKER, "```json\n" + ANSWER + "\n```")])
    backend = make_backend("gemini", llm_server, cli_homes, real_clis)

    reply = backend.query("Find bugs in src/stats.py", tmp_path, timeout=90, schema=findings_schema())

    assert reply.ok, reply.error
    assert reply.repairs == 1
    assert json.loads(reply.text.removeprefix("```json\n").removesuffix("\n```")) == {"findings": [FINDING]}
    first, repair = llm_server.prompts("gemini")
    assert '"evidence"' in first and "Find bugs in src/stats.py" in first  # schema and task, in the prompt
    assert REPAIR_MARKER not in first
    assert REPAIR_MARKER in repair and prose in repair and "Find bugs in src/stats.py" in repair


def test_gemini_json_answer_needs_no_repair(llm_server, cli_homes, real_clis, tmp_path):
    llm_server.script("gemini", text=ANSWER, replies=[(REPAIR_MARKER, "not this")])
    backend = make_backend("gemini", llm_server, cli_homes, real_clis)

    reply = backend.query("Find bugs", tmp_path, timeout=90, schema=findings_schema())

    assert reply.ok and reply.repairs == 0 and json.loads(reply.text) == {"findings": [FINDING]}
    assert len(llm_server.prompts("gemini")) == 1


def test_gemini_second_non_json_answer_gets_no_third_request(llm_server, cli_homes, real_clis, tmp_path):
    llm_server.script("gemini", text="Still prose, sorry.")
    backend = make_backend("gemini", llm_server, cli_homes, real_clis)

    reply = backend.query("Find bugs", tmp_path, timeout=90, schema=findings_schema())

    assert reply.ok and reply.repairs == 1 and reply.text == "Still prose, sorry."
    assert len(llm_server.prompts("gemini")) == 2  # exactly one repair, never a loop


def test_hunt_over_five_backend_kinds_gets_json_from_every_one(
    llm_server, cli_homes, real_clis, lok_project, tmp_path
):
    """The built-in hunt, end to end: every findings step's schema reaches each vendor's own field, no
    answer is lost as "not JSON", and gemini's prose costs exactly one repair per call."""
    repo = make_analysis_repo(tmp_path)
    for protocol in ("anthropic", "responses", "ollama", "openai"):
        llm_server.script(protocol, text=ANSWER)
    llm_server.script("gemini", text="Line 6 divides by len(values).", replies=[(REPAIR_MARKER, ANSWER)])
    tables = backend_tables(
        llm_server.url, cli_homes, {n: str(real_clis.path(n)) for n in ("claude", "codex", "gemini")}
    )
    tables["openai"] = {"kind": "openai", "command": llm_server.url + "/v1", "model": "qwen"}
    (repo / "lok.toml").write_text(lok_toml(tables, extra="[cache]\nenabled = false\n"))

    done = lok_project.lok(
        "hunt",
        ".",
        "-b",
        "claude,codex,gemini,ollama,openai",
        "--format",
        "json",
        "-o",
        "../out.json",
        timeout=300,
        cwd=repo,
    )

    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    statuses = {status["name"]: status for status in report["backends"]}
    assert sorted(statuses) == ["claude", "codex", "gemini", "ollama", "openai"]
    steps = 1  # one pass (every category in one prompt), one chunk
    for name, status in statuses.items():
        assert (status["calls"], status["failed_calls"]) == (steps, 0), status
        assert (status["unparseable"], status["dropped"], status["findings"]) == (0, 0, steps), status
        assert status["repairs"] == (steps if name == "gemini" else 0), status
    [division] = report["findings"]
    assert division["agreement"] == 5 and (division["file"], division["start_line"]) == ("src/stats.py", 6)
    # the schema of the one chunk: the findings schema narrowed to the chunk's files and lines
    sent = {
        "anthropic": [structured_tool_schema(body) for body in posts(llm_server, "anthropic")],
        "responses": [body["text"]["format"]["schema"] for body in posts(llm_server, "responses")],
        "ollama": [body["format"] for body in posts(llm_server, "ollama")],
        "openai": [body["response_format"]["json_schema"]["schema"] for body in posts(llm_server, "openai")],
    }
    [schema] = {json.dumps(one, sort_keys=True) for schemas in sent.values() for one in schemas}
    files = json.loads(schema)["properties"]["findings"]["items"]["properties"]["file"]["enum"]
    assert "src/stats.py" in files
    lines = {name: len(((repo / name).read_text()).splitlines()) for name in files}
    assert json.loads(schema) == findings_schema(lines)
    assert all(len(schemas) == steps for schemas in sent.values()), sent
    assert len(llm_server.prompts("gemini")) == 2 * steps
