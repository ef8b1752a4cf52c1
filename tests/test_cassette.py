"""Record and replay backend calls (lok_action.cassette), through call_backend and real workflow runs.

Real processes throughout: fake LLM CLIs (tests/fakes/fake_llm.py) and a stand-in static analyzer as
backends, a recording process killed by SIGKILL. The --record/--replay flags belong to the command
layer; these tests drive the mechanism they will call (Cassette + RunContext.cassette)."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lok_action.backends import create_backend
from lok_action.backends.base import Reply
from lok_action.backends.calling import call_backend
from lok_action.backends.redaction import Redactor
from lok_action.cache import AnswerCache
from lok_action.cassette import Cassette
from lok_action.config import BackendConfig
from lok_action.errors import CassetteError, CassetteMiss, LokError
from lok_action.workflow.model import parse_workflow
from lok_action.workflow.result import RunResult
from lok_action.workflow.runner import run_workflow
from tests.fakes.engine_fixtures import command_backend, engine_context
from tests.fakes.project import REPO_ROOT, LokProject

FAKE_LLM = Path(__file__).resolve().parent / "fakes" / "fake_llm.py"
FAKE_ANALYZER = Path(__file__).resolve().parent / "fakes" / "fake_analyzer.py"

WORKFLOW = """
name = "rec"
[[steps]]
name = "ask"
backend = "alpha"
prompt = "Explain {{ args[0] }}"
[[steps]]
name = "judge"
backend = "beta"
output_format = "json"
depends_on = ["ask"]
prompt = "Judge this: {{ steps.ask.output }}"
[[steps]]
name = "both"
backends = ["alpha", "beta"]
prompt = "Both of you: {{ args[0] }}"
"""


def prompts_sent(record: Path) -> list[str]:
    """What a fake LLM started with --record FILE was asked, one entry per call."""
    return record.read_text(encoding="utf-8").split("\0")[:-1] if record.exists() else []


def configure(project: LokProject, alpha: str | None = None, beta: str | None = None) -> dict[str, Path]:
    """alpha echoes, beta answers JSON; both log the prompts they get. ``alpha``/``beta`` replace the
    command (e.g. with a program that is not installed)."""
    logs = {"alpha": project.root / "alpha.calls", "beta": project.root / "beta.calls"}
    tables = [
        command_backend("alpha", "--echo", "--record", str(logs["alpha"])),
        command_backend("beta", "--reply", '{"verdict": "fine"}', "--record", str(logs["beta"])),
    ]
    for index, command in enumerate((alpha, beta)):
        if command is not None:
            name = ("alpha", "beta")[index]
            tables[index] = f'[backends.{name}]\nkind = "command"\ncommand = {json.dumps(command)}\n'
    project.write_config(*tables)
    return logs


def run(project: LokProject, cassette: Cassette | None, text: str = WORKFLOW, **overrides: Any) -> RunResult:
    workflow = parse_workflow(text, str(project.root / "wf.toml"))
    values: dict[str, Any] = {"args": ["sorting"], "cassette": cassette}
    values.update(overrides)
    return run_workflow(workflow, engine_context(project, **values))


def replies_of(result: RunResult) -> list[Any]:
    """Everything a report is built from, except the durations lok measures itself (meta.json's)."""
    return [
        (step.name, step.status, step.output, step.error, step.message)
        + ([reply.to_dict() for reply in step.replies], [output.to_dict() for output in step.outputs])
        for step in result.steps.values()
    ]


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def documented_key(backend: str, kind: str, model: str, prompt: str, schema: dict | None = None) -> str:
    """The replay key as lok_action.cassette documents it, computed here independently."""

    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    schema_digest = (
        None
        if schema is None
        else digest(json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    )
    material = {
        "op": "query",
        "backend": backend,
        "kind": kind,
        "model": model,
        "prompt": digest(prompt),
        "schema": schema_digest,
    }
    return digest(json.dumps(material, sort_keys=True, separators=(",", ":")))


# ---- record, then replay


def test_record_then_replay_gives_identical_replies_without_calling_any_backend(
    lok_project: LokProject, tmp_path: Path
) -> None:
    logs = configure(lok_project)
    tape = tmp_path / "tape"
    recording = Cassette.record(tape)
    recorded = run(lok_project, recording)
    recording.finish(wall_time=recorded.duration, steps={n: s.duration for n, s in recorded.steps.items()})
    assert recorded.success
    assert recorded.steps["judge"].output == {"verdict": "fine"}
    assert recorded.steps["ask"].output == "[alpha] Explain sorting"
    calls = {name: len(prompts_sent(log)) for name, log in logs.items()}
    assert calls == {"alpha": 2, "beta": 2}

    assert sorted(path.name for path in tape.iterdir()) == ["alpha.jsonl", "beta.jsonl", "meta.json"]
    judge = next(
        line for line in lines_of(tape / "beta.jsonl") if line["request"]["prompt"].startswith("Judge")
    )
    assert judge["request"]["prompt"] == "Judge this: [alpha] Explain sorting"
    assert judge["request"]["kind"] == "command" and judge["request"]["backend"] == "beta"
    assert judge["reply"]["text"] == '{"verdict": "fine"}' and judge["reply"]["json"] == {"verdict": "fine"}
    assert judge["key"] == documented_key("beta", "command", "", "Judge this: [alpha] Explain sorting")
    meta = json.loads((tape / "meta.json").read_text())
    assert meta["wall_time"] == recorded.duration and meta["calls"] == {"alpha": 2, "beta": 2}

    replay = Cassette.replay(tape)
    assert replay.backends() == ["alpha", "beta"]
    assert replay.wall_time() == recorded.duration
    assert replay.meta()["facts"]["steps"]["judge"] == recorded.steps["judge"].duration  # type: ignore[index]
    replayed = run(lok_project, replay)
    assert replies_of(replayed) == replies_of(recorded)
    assert {name: len(prompts_sent(log)) for name, log in logs.items()} == calls  # nobody was asked
    assert sorted(path.name for path in tape.iterdir()) == ["alpha.jsonl", "beta.jsonl", "meta.json"]


def test_replay_in_another_checkout_whose_backends_are_not_installed(
    lok_project: LokProject, tmp_path: Path
) -> None:
    configure(lok_project)
    tape = tmp_path / "tape"
    text = WORKFLOW.replace('backend = "alpha"', 'backends = ["*"]')  # "ask" asks the default backends
    recorded = run(lok_project, Cassette.record(tape), text=text)  # the ready ones: alpha and beta
    assert [output.backend for output in recorded.steps["ask"].outputs] == ["alpha", "beta"]

    elsewhere = LokProject(root=tmp_path / "elsewhere" / "clone", home=lok_project.home, env=lok_project.env)
    elsewhere.root.mkdir(parents=True)
    configure(elsewhere, alpha="/nonexistent/bin/alpha-cli", beta="beta-cli-that-is-not-installed")
    from lok_action.config import load_config

    config = load_config(elsewhere.root, None, elsewhere.env)
    live = [
        create_backend(config.backends[name], env=elsewhere.env).available() for name in ("alpha", "beta")
    ]
    assert [state.ready for state in live] == [False, False]  # lok doctor would say so

    replay = Cassette.replay(tape)
    ready = [replay.availability(name) for name in ("alpha", "beta")]
    assert all(state is not None and state.ready and str(tape) in state.reason for state in ready)
    assert replay.availability("ollama") is None  # not recorded: ask the backend itself
    assert replay.default_backends(config, lok_project.env) == ["alpha", "beta"]
    assert replay.default_backends(config, lok_project.env, analyzers=True) == []
    # no -b: the runner's default backends in a replay are the recorded ones, installed or not
    replayed = run(elsewhere, replay, text=text)
    assert replies_of(replayed) == replies_of(recorded)


def test_a_miss_ends_the_run_with_one_line_naming_backend_and_hash(
    lok_project: LokProject, tmp_path: Path
) -> None:
    logs = configure(lok_project)
    tape = tmp_path / "tape"
    run(lok_project, Cassette.record(tape))
    text = WORKFLOW.replace('name = "rec"', 'name = "rec"\ncontinue_on_error = true')
    with pytest.raises(CassetteMiss) as caught:
        run(lok_project, Cassette.replay(tape), text=text, args=["merging"])  # other prompts
    message = str(caught.value)
    assert "\n" not in message and isinstance(caught.value, LokError) and caught.value.exit_code == 2
    # whichever of the calls new to the cassette came first (they run in parallel)
    asked = [
        ("alpha", "Explain merging"),
        ("alpha", "Both of you: merging"),
        ("beta", "Both of you: merging"),
    ]
    expected = [(name, documented_key(name, "command", "", prompt)) for name, prompt in asked]
    assert any(f"backend '{name}' " in message and f" {key} " in message for name, key in expected), message
    assert [len(prompts_sent(log)) for log in logs.values()] == [2, 2]  # still nobody asked in the replay


def test_missing_call_goes_live_for_misses_and_records_them(lok_project: LokProject, tmp_path: Path) -> None:
    logs = configure(lok_project)
    tape = tmp_path / "tape"
    recorded = run(lok_project, Cassette.record(tape))
    growing = Cassette.replay(tape, missing="call")
    assert growing.default_backends(engine_context(lok_project).config, lok_project.env) == ["alpha", "beta"]
    mixed = run(lok_project, growing, text=WORKFLOW.replace("Both of you", "Now both of you"))
    assert mixed.success
    assert prompts_sent(logs["alpha"])[2:] == ["Now both of you: sorting"]  # only the miss went live
    assert prompts_sent(logs["beta"])[2:] == ["Now both of you: sorting"]
    assert mixed.steps["judge"].replies == recorded.steps["judge"].replies  # the hits replayed
    growing.finish(wall_time=1.5)  # the recording had no meta.json: now it has one
    assert json.loads((tape / "meta.json").read_text())["calls"] == {"alpha": 3, "beta": 3}

    strict = run(lok_project, Cassette.replay(tape), text=WORKFLOW.replace("Both of you", "Now both of you"))
    assert replies_of(strict) == replies_of(mixed)
    assert [len(prompts_sent(log)) for log in logs.values()] == [3, 3]


# ---- call_backend


def fake_backend(name: str, *args: str, **config: Any):
    command = shlex.join([sys.executable, str(FAKE_LLM), name])
    backend_config = BackendConfig(name=name, kind="command", command=command, args=args, **config)
    return create_backend(backend_config, env=os.environ)


def test_identical_calls_replay_in_order_then_the_last_again(tmp_path: Path) -> None:
    answer = tmp_path / "answer.txt"
    backend = fake_backend("alpha", "--reply-file", str(answer))
    tape = Cassette.record(tmp_path / "tape")
    for text in ("first", "second"):
        answer.write_text(text)
        assert call_backend(backend, "same question", tmp_path, 30, cassette=tape).text == text
    answer.write_text("live again")
    replay = Cassette.replay(tmp_path / "tape")
    replayed = [call_backend(backend, "same question", tmp_path, 30, cassette=replay).text for _ in range(4)]
    assert replayed == ["first", "second", "second", "second"]


def test_the_schema_is_part_of_the_question(tmp_path: Path) -> None:
    backend = fake_backend("alpha", "--reply", '{"findings": []}')
    schema = {"type": "object", "properties": {"findings": {"type": "array"}}}
    record = Cassette.record(tmp_path / "tape", record_prompts=False)
    reply = call_backend(backend, "find bugs", tmp_path, 30, schema=schema, cassette=record)
    (line,) = lines_of(tmp_path / "tape" / "alpha.jsonl")
    assert "prompt" not in line["request"]  # record_prompts=False: its hash only
    assert line["request"]["prompt_sha256"] == hashlib.sha256(b"find bugs").hexdigest()
    assert line["key"] == documented_key("alpha", "command", "", "find bugs", schema)
    replay = Cassette.replay(tmp_path / "tape")
    assert call_backend(backend, "find bugs", tmp_path, 30, schema=schema, cassette=replay) == reply
    with pytest.raises(CassetteMiss, match=documented_key("alpha", "command", "", "find bugs")):
        call_backend(backend, "find bugs", tmp_path, 30, cassette=replay)  # asked without the schema


def test_replay_bypasses_the_answer_cache_and_a_recording_keeps_what_the_cache_gave(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    backend = fake_backend("alpha", "--echo", "--record", str(log))
    cache = AnswerCache(tmp_path / "cache", ttl_hours=1)
    first = call_backend(backend, "q", tmp_path, 30, cache=cache, cassette=Cassette.record(tmp_path / "a"))
    assert not first.cached and len(prompts_sent(log)) == 1
    again = call_backend(backend, "q", tmp_path, 30, cache=cache, cassette=Cassette.record(tmp_path / "b"))
    assert again.cached and len(prompts_sent(log)) == 1  # the cache answered, and that was recorded
    assert lines_of(tmp_path / "b" / "alpha.jsonl")[0]["reply"]["cached"] is True

    shutil.rmtree(tmp_path / "cache")
    cache = AnswerCache(tmp_path / "cache", ttl_hours=1)
    replayed = call_backend(backend, "q", tmp_path, 30, cache=cache, cassette=Cassette.replay(tmp_path / "a"))
    assert replayed == first
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.json"))
    assert len(prompts_sent(log)) == 1


def test_failed_calls_are_recorded_and_replayed_as_failures(tmp_path: Path) -> None:
    backend = fake_backend("alpha", "--fail")
    failed = call_backend(backend, "q", tmp_path, 30, cassette=Cassette.record(tmp_path / "tape"))
    assert not failed.ok and "backend exploded" in (failed.error or "")
    replayed = call_backend(backend, "q", tmp_path, 30, cassette=Cassette.replay(tmp_path / "tape"))
    assert replayed == failed


# ---- a run that dies, a damaged cassette, a folder that is not one


def test_a_killed_recording_keeps_every_call_it_finished(tmp_path: Path) -> None:
    tape = tmp_path / "tape"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    recorder = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.cassette_recorder", str(tape), "20", "0.3"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its fake LLM child dies with it
    )
    try:
        assert recorder.stdout is not None
        answered = [recorder.stdout.readline() for _ in range(3)]
        assert answered == [f"[alpha] question {n}\n" for n in range(3)]
    finally:
        os.killpg(recorder.pid, signal.SIGKILL)
        recorder.wait(timeout=30)
    assert recorder.returncode == -signal.SIGKILL
    assert not (tape / "meta.json").exists()  # the run never finished

    replay = Cassette.replay(tape)
    assert replay.meta() is None and replay.wall_time() is None
    backend = fake_backend("alpha", "--echo", "--sleep", "0.3")  # the recorder's backend, same key
    finished = len(lines_of(tape / "alpha.jsonl"))
    assert finished >= 3
    for number in range(finished):
        reply = call_backend(backend, f"question {number}", tmp_path, 30, cassette=replay)
        assert reply.text == f"[alpha] question {number}"
    with pytest.raises(CassetteMiss):
        call_backend(backend, f"question {finished}", tmp_path, 30, cassette=replay)


def test_a_torn_last_line_is_ignored_and_cut_before_the_next_append(tmp_path: Path) -> None:
    backend = fake_backend("alpha", "--echo")
    call_backend(backend, "one", tmp_path, 30, cassette=Cassette.record(tmp_path / "tape"))
    path = tmp_path / "tape" / "alpha.jsonl"
    complete = path.read_bytes()
    with path.open("ab") as handle:  # what a write cut short (a full disk) leaves
        handle.write(complete[: len(complete) // 2])
    replay = Cassette.replay(tmp_path / "tape", missing="call")
    assert call_backend(backend, "one", tmp_path, 30, cassette=replay).text == "[alpha] one"
    assert call_backend(backend, "two", tmp_path, 30, cassette=replay).text == "[alpha] two"
    assert [line["request"]["prompt"] for line in lines_of(path)] == ["one", "two"]


def test_a_damaged_line_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    backend = fake_backend("alpha", "--echo")
    record = Cassette.record(tmp_path / "tape")
    for prompt in ("one", "two"):
        call_backend(backend, prompt, tmp_path, 30, cassette=record)
    path = tmp_path / "tape" / "alpha.jsonl"
    first, second = path.read_text().splitlines()
    path.write_text(first.replace('"one"', '"uno"') + "\n" + second + "\n")
    with pytest.raises(CassetteError, match=r"alpha\.jsonl:1: request\.prompt does not match"):
        Cassette.replay(tmp_path / "tape")
    path.write_text(first.replace('"key":"', '"key":"0') + "\n")
    with pytest.raises(CassetteError, match=r"alpha\.jsonl:1: key does not match its request"):
        Cassette.replay(tmp_path / "tape")
    path.write_text("{not json\n" + second + "\n")
    with pytest.raises(CassetteError, match=r"alpha\.jsonl:1: not a JSON line") as caught:
        Cassette.replay(tmp_path / "tape")
    assert "\n" not in str(caught.value)
    path.write_text(second.replace('"attempts":1', '"attempts":"1"') + "\n")
    with pytest.raises(CassetteError, match=r"alpha\.jsonl:1: reply\.attempts: expected int"):
        Cassette.replay(tmp_path / "tape")
    with pytest.raises(CassetteError, match="not a folder"):
        Cassette.replay(tmp_path / "no-such-tape")


def test_recording_replaces_a_cassette_but_never_a_folder_of_other_files(tmp_path: Path) -> None:
    backend = fake_backend("alpha", "--echo")
    call_backend(backend, "old", tmp_path, 30, cassette=Cassette.record(tmp_path / "tape"))
    call_backend(backend, "new", tmp_path, 30, cassette=Cassette.record(tmp_path / "tape"))
    assert [line["request"]["prompt"] for line in lines_of(tmp_path / "tape" / "alpha.jsonl")] == ["new"]
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text("print(1)\n")
    with pytest.raises(CassetteError, match=r"not a cassette folder \(it holds main\.py\)"):
        Cassette.record(project)
    assert (project / "main.py").exists()


def test_backend_names_that_are_not_file_names(tmp_path: Path) -> None:
    backend = fake_backend("../team/a b", "--echo")
    call_backend(backend, "q", tmp_path, 30, cassette=Cassette.record(tmp_path / "tape"))
    assert [path.name for path in (tmp_path / "tape").iterdir()] == ["..%2Fteam%2Fa%20b.jsonl"]
    replay = Cassette.replay(tmp_path / "tape")
    assert replay.backends() == ["../team/a b"]
    assert call_backend(backend, "q", tmp_path, 30, cassette=replay).text == "[../team/a b] q"


# ---- static analyzers


def test_static_analyzer_calls_are_recorded_and_replayed(lok_project: LokProject, tmp_path: Path) -> None:
    from lok_action.context.chunks import file_chunker
    from lok_action.context.files import collect_files

    source = lok_project.root / "src"  # the code under review (lok.toml changes between the runs)
    source.mkdir()
    (source / "main.py").write_text("x = 1  # TODO-BUG\n")
    findings = '{"findings": []}'
    analyzer_log = tmp_path / "analyzer.calls"

    def tables(analyzer_command: str) -> list[str]:
        args = [str(FAKE_ANALYZER), "flag", "--record", str(analyzer_log), "{files}"]
        return [
            command_backend("alpha", "--reply", findings),
            f'[backends.lint]\nkind = "sarif"\ncommand = {json.dumps(analyzer_command)}\n'
            f'args = {json.dumps(args)}\nfile_patterns = ["*.py"]\n',
        ]

    text = (
        '[[steps]]\nname = "scan"\nbackends = ["alpha", "lint"]\nfor_each = "chunk"\n'
        'output_format = "json"\nfindings = true\nprompt = "Review:\\n{{ chunk.text }}"\n'
    )

    def analysis(cassette: Cassette) -> RunResult:
        from lok_action.config import load_config
        from lok_action.workflow.runner import RunContext

        chunker = file_chunker(collect_files(source))
        config = load_config(lok_project.root, None, lok_project.env)
        context = RunContext(config, source, env=lok_project.env, chunker=chunker, cassette=cassette)
        return run_workflow(parse_workflow(text, "scan.toml"), context)

    lok_project.write_config(*tables(sys.executable))
    recorded = analysis(Cassette.record(tmp_path / "tape"))
    assert recorded.success and analyzer_log.read_text().count("\n") == 1
    (line,) = lines_of(tmp_path / "tape" / "lint.jsonl")
    assert line["request"]["op"] == "analyse" and line["request"]["prompt"] == "main.py"
    assert "FAKE001" in line["reply"]["text"]

    lok_project.write_config(*tables("/nonexistent/bin/linter"))
    replayed = analysis(Cassette.replay(tmp_path / "tape"))
    assert replies_of(replayed) == replies_of(recorded)
    assert analyzer_log.read_text().count("\n") == 1  # not run again


# ---- secrets


OPENAI = "sk-cassette-openai-0123456789"
ANTHROPIC = "sk-ant-cassette-9876543210"
TABLE = "table-value-cassette-5555"  # in a backend's env table, under an ordinary name
CODE_WORD = "code-word-cassette-4444"  # named by api_key_env, an ordinary name too
DB_PASSWORD = "db%40pass-cassette-3333"  # inside DATABASE_URL, percent-encoded
SERVICE_PASSWORD = "svc-pass-cassette-2222"  # inside a URL in the env table
SECRETS = [OPENAI, ANTHROPIC, TABLE, CODE_WORD, DB_PASSWORD, "db@pass-cassette-3333", SERVICE_PASSWORD]
DUMP = 'env; echo "url=$DATABASE_URL svc=$SERVICE_URL"'
LEAKY = f"#!/bin/sh\ncat > /dev/null\n{DUMP}\n({DUMP}) >&2\nexit 1\n"  # fails, environment on both streams
ECHOER = (  # succeeds, and its answer quotes every secret
    "#!/bin/sh\ncat > /dev/null\n"
    'echo "k=$OPENAI_API_KEY a=$ANTHROPIC_API_KEY t=$LEAKY_TABLE c=$VENDOR_CODE_WORD"\n'
    'echo "u=$DATABASE_URL s=$SERVICE_URL"\n'
)
LEAKING_PROMPT = (
    "key {{ env.OPENAI_API_KEY }} db {{ env.DATABASE_URL }} word {{ env.VENDOR_CODE_WORD }}"
    f" table {TABLE} svc https://svc:{SERVICE_PASSWORD}@svc.internal/"
)


def test_no_secret_reaches_a_cassette(lok_project: LokProject, tmp_path: Path, monkeypatch) -> None:
    for name, script in (("leaky", LEAKY), ("echoer", ECHOER)):
        path = lok_project.root / f"{name}.sh"
        path.write_text(script)
        path.chmod(0o755)
    table = (
        f'env = {{ LEAKY_TABLE = "{TABLE}", SERVICE_URL = "https://svc:{SERVICE_PASSWORD}@svc.internal/" }}'
    )
    lok_project.write_config(
        *(
            f'[backends.{name}]\nkind = "command"\ncommand = "{lok_project.root}/{name}.sh"\n{table}\n'
            'api_key_env = "VENDOR_CODE_WORD"\n'
            for name in ("leaky", "echoer")
        )
    )
    planted = {
        "OPENAI_API_KEY": OPENAI,
        "ANTHROPIC_API_KEY": ANTHROPIC,
        "VENDOR_CODE_WORD": CODE_WORD,
        "DATABASE_URL": f"postgres://dbuser:{DB_PASSWORD}@db.internal:5432/app",
    }
    for name, value in planted.items():
        monkeypatch.setenv(name, value)  # what lok's own process and so its backends see
    lok_project.env.update(planted)
    text = (
        f'continue_on_error = true\n[[steps]]\nname = "leak"\nbackend = "leaky"\nprompt = "{LEAKING_PROMPT}"\n'
        f'[[steps]]\nname = "echo"\nbackend = "echoer"\nprompt = "{LEAKING_PROMPT}"\n'
    )
    tape = tmp_path / "tape"
    recording = Cassette.record(tape)
    recorded = run(lok_project, recording, text=text)
    recording.finish(wall_time=recorded.duration, note=f"ran with {OPENAI} and {planted['DATABASE_URL']}")
    growing = Cassette.replay(tape, missing="call")  # misses recorded by a replay, redacted too
    run(lok_project, growing, text=text.replace("key {{", "again key {{"))

    written = "\n".join(path.read_text(encoding="utf-8") for path in sorted(tape.iterdir()))
    assert written.count('"op":"query"') == 4  # two calls recorded, two misses appended
    for secret in SECRETS:
        assert secret not in written, secret
    echo = lines_of(tape / "echoer.jsonl")[0]
    assert echo["reply"]["text"].startswith("k=*** a=*** t=*** c=***")  # the leaks happened, masked
    assert echo["request"]["prompt"].startswith("key *** db postgres://***@db.internal")
    leak = lines_of(tape / "leaky.jsonl")[0]
    assert leak["reply"]["error"] and "OPENAI_API_KEY=***" in leak["reply"]["text"]  # its stdout
    assert leak["reply"]["error"].endswith("url=postgres://***@db.internal:5432/app svc=***")  # stderr
    assert "ran with ***" in (tape / "meta.json").read_text()
    assert replies_of(run(lok_project, Cassette.replay(tape), text=text)) == replies_of(recorded)


def test_a_secret_in_a_prompt_does_not_tie_the_replay_to_its_value(tmp_path: Path, monkeypatch) -> None:
    """Keys are hashed after redaction: a replay where the key has another value still hits, and the
    cassette's hashes cannot confirm a guessed secret."""
    backend = fake_backend("alpha", "--echo")
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI)
    recorded = call_backend(
        backend, f"use {OPENAI}", tmp_path, 30, cassette=Cassette.record(tmp_path / "tape")
    )
    assert recorded.text == "[alpha] use ***"
    (line,) = lines_of(tmp_path / "tape" / "alpha.jsonl")
    assert line["request"]["prompt_sha256"] == hashlib.sha256(b"use ***").hexdigest()
    other = "sk-another-value-000000000"
    monkeypatch.setenv("OPENAI_API_KEY", other)
    replayed = call_backend(
        backend, f"use {other}", tmp_path, 30, cassette=Cassette.replay(tmp_path / "tape")
    )
    assert replayed == recorded


def test_a_note_is_redacted_like_the_answer() -> None:
    redact = Redactor((OPENAI,))
    reply = redact.reply(Reply("b", text=f"t {OPENAI}", note=f"asking again for JSON failed: {OPENAI}"))
    assert (reply.text, reply.note) == ("t ***", "asking again for JSON failed: ***")


def test_each_call_is_on_disk_as_soon_as_it_returns(tmp_path: Path) -> None:
    backend = fake_backend("alpha", "--echo")
    record = Cassette.record(tmp_path / "tape")
    for number in range(3):
        call_backend(backend, f"q{number}", tmp_path, 30, cassette=record)
        assert len(lines_of(tmp_path / "tape" / "alpha.jsonl")) == number + 1


# ---- lok's own prompts name no checkout location


def test_builtin_prompts_are_the_same_in_any_checkout(tmp_path: Path, lok_project) -> None:
    """The replay key holds the prompt as sent and no workdir: a cassette recorded in one checkout
    replays in another only because lok's built-in prompts carry repository-relative paths."""
    from tests.fakes.findings_fixtures import make_analysis_repo
    from tests.fakes.git_repos import run_git

    sent = {}
    for place in ("here", "over/there"):
        repo = make_analysis_repo(tmp_path / place)
        command = shlex.join([sys.executable, str(FAKE_LLM), "alpha"])
        # relative: the backend runs in the checkout, and lok.toml reads the same in both (it is analysed)
        args = ["--reply", '{"findings": []}', "--record", "../prompts.log"]
        (repo / "lok.toml").write_text(
            f'[backends.alpha]\nkind = "command"\ncommand = {json.dumps(command)}\nargs = {json.dumps(args)}\n'
            "[cache]\nenabled = false\n"
        )
        (repo / "src" / "names.py").write_text("def greet(name):\n    return 'hi ' + name\n")
        run_git(repo, "commit", "-q", "-am", "change")
        for command_line in (["hunt", str(repo)], ["audit", str(repo)], ["diff", "HEAD~1..HEAD"]):
            done = lok_project.lok(*command_line, "-b", "alpha", "--format", "json", cwd=repo)
            assert done.returncode == 0, done.stderr
        sent[place] = prompts_sent(repo.parent / "prompts.log")
    assert len(sent["here"]) == 3  # hunt 1 pass, audit 1, diff 1 (one chunk each)
    assert sorted(sent["here"]) == sorted(sent["over/there"])  # (parallel steps log in any order)
    assert not any(str(tmp_path) in prompt for prompt in sent["here"])
