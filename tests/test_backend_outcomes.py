"""One meaning of "succeeded" (issue 10) and the outcome defects of issue 15: a call whose answer was not
usable is not "ok"; a step that lost calls names who failed; a signal is named; a hunt that analysed
nothing is not green. Real `lok` subprocesses, real fake backends, a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.engine_fixtures import command_backend
from tests.fakes.project import LokProject


def test_a_backend_killed_by_a_signal_is_named_with_the_signal(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("oom", "--kill"))

    done = lok_project.lok("ask", "-b", "oom", "--json", "--no-cache", "hi")

    [reply] = json.loads(done.stdout)
    assert reply["error"] == "killed by SIGKILL"  # not "exit -9"


def test_a_shell_step_killed_by_a_signal_is_named_with_the_signal(lok_project: LokProject) -> None:
    lok_project.write_config()
    workflow = lok_project.write_workflow(
        "die", 'name = "die"\n[[steps]]\nname = "s"\nshell = "kill -9 $$"\n'
    )

    done = lok_project.lok("run", str(workflow), "--json")

    [step] = json.loads(done.stdout)["steps"]
    assert done.returncode == 1 and step["error"] == "killed by SIGKILL"


def test_a_step_that_lost_a_call_names_the_backend_and_why(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("good", "--reply", "fine"), command_backend("bad", "--fail"))
    workflow = lok_project.write_workflow(
        "two", 'name = "two"\n[[steps]]\nname = "ask"\nbackends = ["good", "bad"]\nprompt = "hi"\n'
    )

    done = lok_project.lok("run", str(workflow))

    assert done.returncode == 0, done.stderr
    assert "ask success" in done.stderr
    assert "1/2 backend calls succeeded; failed: bad: exit 1: bad: backend exploded" in done.stderr


def hunt(lok_project, repo: Path, backends: str) -> tuple[int, dict, str]:
    done = lok_project.lok("hunt", ".", "-b", backends, "--format", "json", "-o", "../out.json", cwd=repo)
    return done.returncode, json.loads((repo.parent / "out.json").read_text()), done.stderr


def test_a_hunt_whose_every_answer_was_not_json_exits_1_with_the_reason(analysis_repo, lok_project):
    code, data, stderr = hunt(lok_project, analysis_repo, "garbage")

    assert code == 1  # 0 files analysed is no pass for --fail-on
    assert "lok: nothing was analysed: no backend gave a usable answer (garbage: no answer was JSON" in stderr
    [status] = data["backends"]
    assert status["status"] == "failed" and status["usable"] == 0 and status["unparseable"] == 1  # one pass
    assert data["summary"]["coverage"].startswith("0 files analysed")


def test_answers_that_were_not_json_are_not_counted_ok(analysis_repo, lok_project):
    # three passes, so that `half` answers prose to one of them (the performance prompt)
    done = lok_project.lok("hunt", ".", "-b", "half,garbage", "--depth", "thorough", cwd=analysis_repo)

    assert done.returncode == 0, done.stderr
    assert "  half: ok, 2/3 answers usable (1 not JSON)," in done.stdout
    assert "  garbage: failed (no answer was JSON (garbage: " in done.stdout
    assert "0/3 answers usable (3 not JSON)" in done.stdout
