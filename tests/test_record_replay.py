"""--record DIR / --replay DIR through the real `lok` (hunt, ask, the action's PR review): a replay
with no backend installed gives byte-identical reports; a miss is one line naming backend and hash,
exit 2; a cassette holds no secret value."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

from tests.fakes.git_repos import PullRequestRepo
from tests.fakes.github_fixtures import REPO
from tests.fakes.github_server import GitHubStandIn
from tests.fakes.project import LokProject
from tests.test_action_events import pr_payload, run_action

FINDER = Path(__file__).parent / "fakes" / "finding_backend.py"
APP = "def average(values):\n    total = sum(values)\n    return total / len(values)\n\n\nimport os\n"
OPENAI = "sk-record-openai-0123456789"
TABLE = "table-secret-record-5555"
DATABASE_URL = "postgres://app:db-pass-record-3333@db.internal/app"
SECRETS = [OPENAI, TABLE, "db-pass-record-3333"]


def backends(programs: dict[str, str]) -> list[str]:
    """Command backends a and b; `programs` maps each to the program it runs (a missing one: not
    installed)."""
    tables = []
    for style, program in programs.items():
        command = (
            f"{shlex.quote(program)} {shlex.quote(str(FINDER))}" if program == sys.executable else program
        )
        tables.append(
            f'[backends.{style}]\nkind = "command"\ncommand = {json.dumps(command)}\n'
            f'args = ["{style}"]\nenv = {{ LEAKY_TABLE = "{TABLE}" }}\n'
        )
    return tables


def project(lok_project: LokProject) -> LokProject:
    (lok_project.root / "src").mkdir()
    (lok_project.root / "src" / "stats.py").write_text(APP)
    lok_project.env.update(OPENAI_API_KEY=OPENAI, DATABASE_URL=DATABASE_URL)
    return lok_project


def test_hunt_replayed_without_backends_gives_byte_identical_json_and_sarif(lok_project: LokProject) -> None:
    p = project(lok_project)
    p.write_config(*backends({"a": sys.executable, "b": sys.executable}))
    recorded = p.lok("hunt", "src", "--json", "-o", "rec.json", "--sarif", "rec.sarif", "--record", "tape")
    assert recorded.returncode == 0, recorded.stderr
    report = json.loads((p.root / "rec.json").read_text())
    assert report["findings"] and {b["name"] for b in report["backends"]} >= {"a", "b"}
    assert json.loads((p.root / "tape" / "meta.json").read_text())["wall_time"] > 0
    # another machine: the programs do not exist there
    p.write_config(*backends({"a": "/nonexistent/lok-a", "b": "/nonexistent/lok-b"}))
    doctor = p.lok("doctor", "--json")
    ready = {row["name"]: row["ready"] for row in json.loads(doctor.stdout)["backends"]}
    assert ready["a"] is ready["b"] is False  # not installed here
    replaying = {
        row["name"]: row
        for row in json.loads(p.lok("doctor", "--json", "--replay", "tape").stdout)["backends"]
    }
    assert replaying["a"]["ready"] and "replayed from" in replaying["a"]["reason"]
    replayed = p.lok("hunt", "src", "--json", "-o", "rep.json", "--sarif", "rep.sarif", "--replay", "tape")
    assert replayed.returncode == 0, replayed.stderr
    assert (p.root / "rep.json").read_bytes() == (p.root / "rec.json").read_bytes()
    assert (p.root / "rep.sarif").read_bytes() == (p.root / "rec.sarif").read_bytes()
    # the cassette holds no secret value, though the backends' environment had them
    written = "".join(path.read_text() for path in (p.root / "tape").iterdir())
    for secret in SECRETS:
        assert secret not in written, secret


def test_a_miss_is_one_line_naming_backend_and_hash_exit_2(lok_project: LokProject) -> None:
    p = project(lok_project)
    p.write_config(*backends({"a": sys.executable, "b": sys.executable}))
    assert p.lok("hunt", "src", "-q", "--record", "tape").returncode == 0
    (p.root / "src" / "stats.py").write_text(APP + "\n\ndef more():\n    return 1\n")  # other prompts
    p.write_config(*backends({"a": "/nonexistent/lok-a", "b": "/nonexistent/lok-b"}))
    missed = p.lok("hunt", "src", "-q", "--replay", "tape")
    assert missed.returncode == 2
    lines = missed.stderr.strip().splitlines()
    assert len(lines) == 1, missed.stderr
    assert "backend 'a'" in lines[0] or "backend 'b'" in lines[0]
    assert any(len(word) == 64 and all(c in "0123456789abcdef" for c in word) for word in lines[0].split())
    # --replay-missing call would go live, here to a program that is not there: the backend fails
    live = p.lok("hunt", "src", "-q", "--json", "--replay", "tape", "--replay-missing", "call")
    states = {b["name"]: b["status"] for b in json.loads(live.stdout)["backends"]}
    assert states["a"] == states["b"] == "failed", live.stdout


def test_bad_cassette_options_are_one_line_errors(lok_project: LokProject) -> None:
    p = project(lok_project)
    p.write_config(*backends({"a": sys.executable}))
    for args, says in (
        (["--record", "x", "--replay", "y"], "exclude each other"),
        (["--replay-missing", "call"], "--replay-missing needs --replay"),
        (["--record-prompts", "false"], "--record-prompts needs --record"),
        (["--replay", "no-such-tape"], "no-such-tape: not a folder"),
    ):
        run = p.lok("hunt", "src", "-q", *args)
        assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, (args, run.stderr)
        assert says in run.stderr, (args, run.stderr)


def test_record_prompts_false_keeps_only_hashes(lok_project: LokProject) -> None:
    p = project(lok_project)
    p.write_config(*backends({"a": sys.executable}))
    assert p.lok("hunt", "src", "-q", "--record", "tape", "--record-prompts", "false").returncode == 0
    lines = [json.loads(line) for line in (p.root / "tape" / "a.jsonl").read_text().splitlines()]
    assert lines and all("prompt" not in line["request"] for line in lines)
    assert all(len(line["request"]["prompt_sha256"]) == 64 for line in lines)


def test_ask_records_and_replays(lok_project: LokProject) -> None:
    p = project(lok_project)
    p.write_config(*backends({"a": sys.executable}))
    recorded = p.lok("ask", "-b", "a", "--json", "--record", "tape", "find bugs: 1| x / len(y)")
    assert recorded.returncode == 0, recorded.stderr
    p.write_config(*backends({"a": "/nonexistent/lok-a"}))
    replayed = p.lok("ask", "--json", "--replay", "tape", "find bugs: 1| x / len(y)")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == recorded.stdout


def _review(server: GitHubStandIn) -> dict[str, Any]:
    (review,) = server.state.reviews.values()
    comments = sorted((c["path"], c.get("line"), c["body"]) for c in server.state.review_comments.values())
    return {"body": review["body"], "state": review["state"], "comments": comments}


def test_pr_review_replayed_without_backends_posts_the_same_review(
    github_stand_in: GitHubStandIn, github_openapi: Any, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    from tests.fakes.github_fixtures import READ_TOKEN, WRITE_TOKEN
    from tests.fakes.github_server import GitHubStandIn as StandIn

    def serve(server: GitHubStandIn) -> int:
        server.state.add_repo(REPO, labels=("lok",))
        pull = server.state.add_pull_request(REPO, pr_git_repo.path, "main", "feature", "Add first_item", "")
        return int(pull["number"])

    number = serve(github_stand_in)
    first = tmp_path / "first"
    first.mkdir()
    recorded = run_action(
        github_stand_in,
        pr_git_repo.path,
        first,
        "pull_request",
        pr_payload(number, pr_git_repo),
        record="tape",
    )
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    posted = _review(github_stand_in)
    assert posted["comments"]
    sarif = (pr_git_repo.path / "lok.sarif").read_bytes()
    # a second repository on a fresh stand-in, and a config whose backends' programs do not exist
    second_server = StandIn(github_openapi).start()
    try:
        second_server.add_token(WRITE_TOKEN, "write")
        second_server.add_token(READ_TOKEN, "read")
        second_server.state.sarif_polls_before_complete = 1
        assert serve(second_server) == number
        config = (pr_git_repo.path / ".github" / "lok.toml").read_text()
        broken = "\n".join(
            'command = "/nonexistent/program"' if line.startswith("command =") else line
            for line in config.splitlines()
        )
        (pr_git_repo.path / "broken-lok.toml").write_text(broken + "\n")
        second = tmp_path / "second"
        second.mkdir()
        replayed = run_action(
            second_server,
            pr_git_repo.path,
            second,
            "pull_request",
            pr_payload(number, pr_git_repo),
            replay="tape",
            extra_env={"INPUT_CONFIG": "broken-lok.toml"},
        )
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert _review(second_server) == posted
        assert (pr_git_repo.path / "lok.sarif").read_bytes() == sarif
        assert replayed.summary == recorded.summary
    finally:
        second_server.stop()


def test_debate_records_and_replays_without_its_backends(lok_project: LokProject) -> None:
    from tests.fakes.ensemble_fixtures import fake_backend

    def config(script: str) -> None:
        lok_project.write_config_only(
            *(
                fake_backend(name, script, name, "--positions", positions, "--agree-from", "2")
                for name, positions in (("alpha", "use async"), ("beta", "stay sync,use async"))
            )
        )

    config("ensemble_debater.py")
    args = ("debate", "Should we use async here?", "--rounds", "3", "-b", "alpha,beta", "--json")
    recorded = lok_project.lok(*args, "--record", "tape")
    assert recorded.returncode == 0, recorded.stderr
    config("no_such_debater.py")  # the backends' programs are gone
    replayed = lok_project.lok(*args, "--replay", "tape")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == recorded.stdout


def test_no_secret_of_the_campaign_reaches_a_cassette(lok_project: LokProject) -> None:
    """The secrets campaign's set (tests/test_secrets.py), every command it runs, recorded."""
    from tests.test_secrets import COMMANDS, plant
    from tests.test_secrets import SECRETS as CAMPAIGN

    plant(lok_project)
    for number, args in enumerate(COMMANDS):
        done = lok_project.lok(*args, "--record", f"tape-{number}", timeout=120)
        assert "Traceback" not in done.stderr, (args, done.stderr)
    tapes = sorted(lok_project.root.glob("tape-*"))
    assert len(tapes) == len(COMMANDS)
    written = "\n".join(path.read_text() for tape in tapes for path in tape.iterdir())
    assert "k=***" in written  # the echoer's answer was recorded, masked
    for secret in CAMPAIGN:
        assert secret not in written, secret


def test_a_cassette_inside_the_analysed_folder_is_not_analysed(lok_project: LokProject) -> None:
    p = project(lok_project)
    p.write_config(*backends({"a": sys.executable}))
    recorded = p.lok("hunt", ".", "-b", "a", "-q", "--json", "--record", "tape")
    assert recorded.returncode == 0, recorded.stderr
    again = p.lok("hunt", ".", "-b", "a", "-q", "--json", "--record", "tape")  # the old tape is there now
    replayed = p.lok("hunt", ".", "-b", "a", "-q", "--json", "--replay", "tape")
    assert replayed.returncode == 0, replayed.stderr
    coverage = json.loads(replayed.stdout)["coverage"]
    assert "src/stats.py" in coverage["analysed"]
    assert not [path for path in [*coverage["analysed"], *coverage["skipped"]] if path.startswith("tape/")]
    assert replayed.stdout == again.stdout
    assert json.loads(recorded.stdout)["coverage"] == json.loads(replayed.stdout)["coverage"]


def test_run_json_replayed_is_byte_identical_step_durations_included(lok_project: LokProject) -> None:
    from tests.fakes.engine_fixtures import command_backend
    from tests.test_cassette import WORKFLOW

    lok_project.write_workflow("rec", WORKFLOW)
    lok_project.write_config(
        command_backend("alpha", "--echo"), command_backend("beta", "--reply", '{"ok": 1}')
    )
    recorded = lok_project.lok("run", "rec", "sorting", "--json", "-q", "--record", "tape")
    assert recorded.returncode == 0, recorded.stderr
    assert json.loads(recorded.stdout)["duration"] > 0
    lok_project.write_config(
        '[backends.alpha]\nkind = "command"\ncommand = "/nonexistent/alpha"\n',
        '[backends.beta]\nkind = "command"\ncommand = "/nonexistent/beta"\n',
    )
    replayed = lok_project.lok("run", "rec", "sorting", "--json", "-q", "--replay", "tape")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == recorded.stdout


def test_the_actions_record_and_replay_inputs(tmp_path: Path) -> None:
    import pytest

    from lok_action.errors import UsageError
    from lok_action.github.context import ActionInputs, Plan, action_request

    def request(**inputs: str):
        env = {f"INPUT_{name.upper()}": value for name, value in inputs.items()}
        return action_request(
            Plan("analysis", "hunt"), ActionInputs.from_env(env), tmp_path, None, tmp_path / "s"
        )

    assert request().cassette is None
    recording = request(record="tapes/today").cassette
    assert recording is not None and recording.mode == "record"
    assert recording.directory == (tmp_path / "tapes" / "today").resolve()
    replaying = request(replay="tapes/today").cassette
    assert replaying is not None and replaying.mode == "replay" and replaying.missing == "fail"
    with pytest.raises(UsageError, match="input replay: ../elsewhere is outside the workspace"):
        request(replay="../elsewhere")
    with pytest.raises(UsageError, match="inputs record and replay exclude each other"):
        request(record="a", replay="b")


def test_a_run_refused_before_any_call_leaves_the_old_cassette_intact(lok_project: LokProject) -> None:
    p = project(lok_project)
    p.write_config(*backends({"a": sys.executable, "b": sys.executable}))
    assert p.lok("hunt", "src", "-q", "--record", "tape").returncode == 0
    before = {path.name: path.read_bytes() for path in (p.root / "tape").iterdir()}
    assert "a.jsonl" in before and "meta.json" in before
    refused = p.lok("hunt", "src", "-q", "-b", "nosuch", "--record", "tape")
    assert refused.returncode == 2 and "nosuch" in refused.stderr, refused.stderr
    assert {path.name: path.read_bytes() for path in (p.root / "tape").iterdir()} == before
    # the old recording still replays
    assert p.lok("hunt", "src", "-q", "--replay", "tape").returncode == 0
    # a run that does call replaces it: only this run's backend is left
    assert p.lok("hunt", "src", "-q", "-b", "a", "--record", "tape").returncode == 0
    assert sorted(path.name for path in (p.root / "tape").iterdir()) == ["a.jsonl", "meta.json"]
