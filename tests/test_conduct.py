"""`lok conduct` end to end: the real CLI, a scripted conductor and helpers as real backend processes,
edits applied to a real tmp project through the engine's apply_edits."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.fakes.ensemble_fixtures import fake_backend
from tests.fakes.project import LokProject

APP = "def add(a, b):\n    return a - b\n"
CHECK = "from app import add\nassert add(2, 3) == 5, 'add is wrong'\n"
VERIFY = "python3 check.py"


def conductor(project: LokProject, name: str, answers: list[object], *args: str, **table: object) -> str:
    """A conductor backend answering ``answers`` in turn (dicts are sent as JSON, strings verbatim)."""
    script = project.state / f"{name}.script.json"
    script.write_text(json.dumps([a if isinstance(a, str) else json.dumps(a) for a in answers]))
    return fake_backend(name, "ensemble_conductor.py", name, str(script), *args, **table)  # type: ignore[arg-type]


def tree_hash(root: Path) -> str:
    """Every file's path and bytes outside .lok/ (where runs are logged)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and relative.parts[0] != ".lok" and "__pycache__" not in relative.parts:
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def make_app(project: LokProject) -> None:
    (project.root / "app.py").write_text(APP)
    (project.root / "util.py").write_text("X = 1\n")
    (project.root / "check.py").write_text(CHECK)


def log_lines(data: dict) -> list[dict]:
    return [json.loads(line) for line in (Path(data["run_dir"]) / "conduct.jsonl").read_text().splitlines()]


def test_stops_at_round_limit_and_never_leaves_a_partial_edit(lok_project: LokProject) -> None:
    make_app(lok_project)
    wrong_fix = {
        "action": "edit",
        "edits": [
            {"file": "util.py", "old": "X = 1", "new": "X = 2"},
            {"file": "app.py", "old": "return a - b", "new": "return a * b"},
        ],
        "verify": VERIFY,
    }
    half_applicable = {
        "action": "edit",
        "edits": [
            {"file": "util.py", "old": "X = 1", "new": "X = 3"},
            {"file": "app.py", "old": "return a / b", "new": "return a + b"},
        ],
    }
    lok_project.write_config_only(
        conductor(lok_project, "boss", [wrong_fix, half_applicable, "let me think about it", wrong_fix])
    )
    before = tree_hash(lok_project.root)
    result = lok_project.lok(
        "conduct", "make add() correct", "--max-rounds", "3", "--verify", VERIFY, "--json"
    )
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["finished"] is False and data["stop_reason"] == "round limit reached (3 rounds)"
    assert data["rounds_run"] == 3 and lok_project.calls("boss") == 3
    assert tree_hash(lok_project.root) == before
    assert (lok_project.root / "app.py").read_text() == APP
    rounds = log_lines(data)
    assert [r["action"] for r in rounds] == ["edit", "edit", "invalid"]
    assert "verification failed" in rounds[0]["error"] and "add is wrong" in rounds[0]["error"]
    assert "restored" in rounds[0]["error"]
    assert "edit 2 (app.py): 'old' text not found" in rounds[1]["error"]
    assert rounds[1]["decision"]["verify"] == VERIFY  # the allowed command is used when none is named
    assert rounds[2]["error"].startswith("invalid decision: output is not JSON")
    # each failure was fed back to the conductor in the next round
    prompts = lok_project.prompts("boss")
    assert "verification failed" in prompts.split("=== call 2")[1]
    assert "'old' text not found" in prompts.split("=== call 3")[1]
    assert "round 3: invalid decision" in result.stderr


def test_good_edit_is_kept_then_conductor_finishes(lok_project: LokProject) -> None:
    make_app(lok_project)
    fix = {
        "action": "edit",
        "edits": [{"file": "app.py", "old": "return a - b", "new": "return a + b"}],
        "verify": VERIFY,
    }
    done = {"action": "finish", "summary": "add() fixed and verified"}
    lok_project.write_config_only(conductor(lok_project, "boss", [fix, done]))
    result = lok_project.lok("conduct", "make add() correct", "--verify", VERIFY, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["finished"] is True and data["summary"] == "add() fixed and verified"
    assert data["stop_reason"] == "conductor finished" and data["rounds_run"] == 2
    assert (lok_project.root / "app.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert log_lines(data)[0]["result"] == "applied 1 edit(s), verified"
    # the human form: the summary, then rounds, spend and where the log is (the script now says finish)
    human = lok_project.lok("conduct", "again", "--verify", VERIFY)
    assert human.returncode == 0
    lines = human.stdout.splitlines()
    assert lines[0] == "add() fixed and verified" and lines[1].startswith("(1 rounds, $0.0000; log: ")


def test_query_and_workflow_results_are_fed_back(lok_project: LokProject) -> None:
    lok_project.write_workflow(
        "greet",
        'name = "greet"\ndescription = "say hello"\n[[steps]]\nname = "hello"\nshell = "echo greeting-{{ args[0] }}"\n',
    )
    answers = [
        {"action": "query", "backend": "helper", "prompt": "Your part (look): find slow code"},
        {"action": "workflow", "name": "greet", "args": ["x; touch pwned"]},
        {"action": "finish", "summary": "done"},
    ]
    lok_project.write_config_only(
        conductor(lok_project, "boss", answers),
        fake_backend("helper", "ensemble_worker.py", "helper"),
    )
    result = lok_project.lok("conduct", "look around", "-b", "boss", "--json")
    assert result.returncode == 0, result.stderr
    prompts = lok_project.prompts("boss")
    assert "helper did look" in prompts.split("=== call 2")[1]
    assert "greeting-x; touch pwned" in prompts.split("=== call 3")[1]  # the arg stayed one quoted word
    assert not (lok_project.root / "pwned").exists()
    first = prompts.split("=== call 2")[0]
    assert "NAME one of: boss, helper" in first and "greet" in first
    assert "editing files is not allowed in this run" in first


def test_unsafe_or_unknown_choices_are_refused_and_fed_back(lok_project: LokProject) -> None:
    make_app(lok_project)
    answers = [
        {
            "action": "edit",
            "edits": [{"file": "app.py", "old": "a - b", "new": "a + b"}],
            "verify": "touch owned",
        },
        {"action": "edit", "edits": [{"file": "../outside.py", "old": "x", "new": "y"}]},
        {"action": "query", "backend": "nosuch", "prompt": "hi"},
        {"action": "dance"},
        {"action": "finish", "summary": "gave up"},
    ]
    lok_project.write_config_only(conductor(lok_project, "boss", answers))
    before = tree_hash(lok_project.root)
    result = lok_project.lok("conduct", "g", "--verify", VERIFY, "--json")
    assert result.returncode == 0, result.stderr
    errors = [r["error"] for r in log_lines(json.loads(result.stdout))][:4]
    assert "'verify' must be one of the allowed commands: 'python3 check.py'" in errors[0]
    assert "'..' is not allowed" in errors[1]
    assert "unknown backend 'nosuch'" in errors[2]
    assert "'action' must be one of query, workflow, edit, finish, got 'dance'" in errors[3]
    assert tree_hash(lok_project.root) == before and not (lok_project.root / "owned").exists()


def test_spend_limit_from_reported_costs(lok_project: LokProject) -> None:
    # a `claude` kind backend: the real claude parser reads total_cost_usd from the result JSON
    query = {"action": "query", "backend": "boss", "prompt": "anything"}
    lok_project.write_config_only(
        conductor(lok_project, "boss", [query], kind="claude", env={"ENSEMBLE_COST": "0.2"})
    )
    result = lok_project.lok("conduct", "g", "--max-cost", "1.0", "--max-rounds", "50", "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    # each round costs 0.4 (the decision and the query): 0.4, 0.8, 1.2 -> stop after round 3
    assert data["rounds_run"] == 3 and abs(data["spend_usd"] - 1.2) < 1e-9
    assert data["stop_reason"] == "spend limit reached ($1.2000 of $1)"


def test_wall_time_limit_is_hard(lok_project: LokProject) -> None:
    query = {"action": "query", "backend": "boss", "prompt": "anything"}
    lok_project.write_config_only(conductor(lok_project, "boss", [query], "--sleep", "0.3"))
    result = lok_project.lok("conduct", "g", "--max-seconds", "1.5", "--max-rounds", "50", "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 1
    assert data["stop_reason"] == "time limit reached (1.5s)"
    assert data["duration"] < 1.5 + 0.6  # the last call's timeout is cut to the time left
    assert data["unpriced_calls"] >= 2  # command backends report no cost; counted, not guessed


def test_wall_time_limit_is_hard_inside_a_workflow(lok_project: LokProject) -> None:
    lok_project.write_workflow(
        "slow",
        'name = "slow"\ndescription = "a long build"\n'
        '[[steps]]\nname = "build"\nshell = "echo $$ > build.pgid; sleep 10; touch built"\n'
        '[[steps]]\nname = "after"\ndepends_on = ["build"]\nshell = "touch after"\n',
    )
    run_slow = {"action": "workflow", "name": "slow", "args": []}
    lok_project.write_config_only(conductor(lok_project, "boss", [run_slow]))
    result, wall = lok_project.timed_lok(
        "conduct", "build it", "--max-seconds", "2", "--max-rounds", "5", "--json"
    )
    assert result.returncode == 1, result.stderr
    assert wall < 3.5, f"lok conduct --max-seconds 2 took {wall:.2f}s"
    data = json.loads(result.stdout)
    assert data["stop_reason"] == "time limit reached (2s)" and data["duration"] < 2.6
    assert data["rounds_run"] == 1  # the workflow used up the time; no second round started
    outcome = log_lines(data)[0]["result"]
    assert outcome.startswith("workflow slow: FAILED (the run's time limit was reached)")
    assert "- build: failed: timed out after" in outcome and "process group killed" in outcome
    assert "- after: not_run: not run: the run's time limit was reached" in outcome
    root = lok_project.root
    assert (root / "build.pgid").exists() and not (root / "built").exists() and not (root / "after").exists()


def test_bad_limits_are_usage_errors(lok_project: LokProject) -> None:
    lok_project.write_config_only(conductor(lok_project, "boss", ["{}"]))
    for args, message in [
        (["--max-rounds", "0"], "--max-rounds must be an integer from 1 to 1000"),
        (["--max-cost", "-1"], "--max-cost must be a finite number > 0"),
        (["-b", "chief"], "unknown backend 'chief'"),
    ]:
        result = lok_project.lok("conduct", "g", *args)
        assert result.returncode == 2 and message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_recorded_loop_replays_without_its_backends_and_redoes_the_edits(lok_project: LokProject) -> None:
    """--record keeps the conductor's, its query's and its workflow's calls; --replay answers all of
    them with the backends gone: the same rounds, spend and timings, and the edit applied and verified
    again in the restored project."""
    make_app(lok_project)
    lok_project.write_workflow(
        "look",
        'name = "look"\n[[steps]]\nname = "ask"\nbackend = "helper"\nprompt = "Your part (scan): {{ args[0] }}"\n',
    )
    answers = [
        {"action": "query", "backend": "helper", "prompt": "Your part (look): find the bug"},
        {"action": "workflow", "name": "look", "args": ["app.py"]},
        {
            "action": "edit",
            "edits": [{"file": "app.py", "old": "return a - b", "new": "return a + b"}],
            "verify": VERIFY,
        },
        {"action": "finish", "summary": "add() fixed"},
    ]

    def config(conductor_script: str, worker_script: str) -> None:
        boss = conductor(lok_project, "boss", answers)
        lok_project.write_config_only(
            boss.replace("ensemble_conductor.py", conductor_script),
            fake_backend("helper", worker_script, "helper"),
        )

    config("ensemble_conductor.py", "ensemble_worker.py")
    args = ("conduct", "make add() correct", "-b", "boss", "--verify", VERIFY, "--json")
    recorded = lok_project.lok(*args, "--record", "tape")
    assert recorded.returncode == 0, recorded.stderr
    calls = (lok_project.calls("boss"), lok_project.calls("helper"))
    assert calls == (4, 2)
    assert "1800s time limit" in lok_project.prompts("boss")  # not the seconds left: prompts repeat
    assert (lok_project.root / "app.py").read_text() == "def add(a, b):\n    return a + b\n"

    (lok_project.root / "app.py").write_text(APP)  # the project as it was
    config("no_such_conductor.py", "no_such_worker.py")  # the backends' programs are gone
    replayed = lok_project.lok(*args, "--replay", "tape")
    assert replayed.returncode == 0, replayed.stderr
    assert (lok_project.calls("boss"), lok_project.calls("helper")) == calls  # nobody was asked
    assert (lok_project.root / "app.py").read_text() == "def add(a, b):\n    return a + b\n"
    mine, theirs = json.loads(recorded.stdout), json.loads(replayed.stdout)
    for data in (mine, theirs):  # a run folder of its own each time
        del data["run_id"], data["run_dir"]
    assert theirs == mine
    assert [r["result"] for r in mine["rounds"]][2] == "applied 1 edit(s), verified"
    assert "helper did look" in json.dumps(mine["rounds"][0])

    (lok_project.root / "app.py").write_text(APP)
    missed = lok_project.lok("conduct", "another goal", "-b", "boss", "--verify", VERIFY, "--replay", "tape")
    assert missed.returncode == 2 and "boss" in missed.stderr and "Traceback" not in missed.stderr


def test_a_loop_the_time_limit_stopped_replays_to_the_same_stop(lok_project: LokProject) -> None:
    """A replay asks no backend, so it runs faster than the recording: it stops where the recording's
    time limit stopped it, not one round later (which the cassette does not hold)."""
    query = {"action": "query", "backend": "boss", "prompt": "anything"}
    lok_project.write_config_only(conductor(lok_project, "boss", [query], "--sleep", "0.3"))
    args = ("conduct", "g", "-b", "boss", "--max-seconds", "1.5", "--max-rounds", "50", "--json")
    recorded = lok_project.lok(*args, "--record", "tape")
    assert recorded.returncode == 1, recorded.stderr
    mine = json.loads(recorded.stdout)
    assert mine["stop_reason"] == "time limit reached (1.5s)" and mine["rounds_run"] >= 2
    calls = lok_project.calls("boss")
    replayed = lok_project.lok(*args, "--replay", "tape")
    assert replayed.returncode == 1, replayed.stderr
    theirs = json.loads(replayed.stdout)
    assert lok_project.calls("boss") == calls
    for data in (mine, theirs):
        del data["run_id"], data["run_dir"]
    assert theirs == mine
