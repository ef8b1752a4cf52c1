"""A run deadline (RunContext.deadline): no step starts after it, and every shell command and backend
call is cut to the time left, its whole process group killed. Real shell and fake-LLM processes."""

from __future__ import annotations

import time
from pathlib import Path

from lok_action.workflow.model import parse_workflow
from lok_action.workflow.result import RunResult
from lok_action.workflow.runner import run_workflow
from tests.fakes.engine_fixtures import command_backend, engine_context
from tests.fakes.procs import live_group_members
from tests.fakes.project import LokProject


def run_with_deadline(
    project: LokProject, text: str, seconds: float, **overrides: object
) -> tuple[RunResult, float]:
    workflow = parse_workflow(text, str(project.root / "wf.toml"))
    started = time.monotonic()
    result = run_workflow(workflow, engine_context(project, deadline=started + seconds, **overrides))
    return result, time.monotonic() - started


def group_gone(pgid: int, wait: float = 2.0) -> bool:
    until = time.monotonic() + wait
    while time.monotonic() < until:
        if not live_group_members(pgid):
            return True
        time.sleep(0.05)
    return False


LONG_SHELL = """
name = "long"
timeout = 60000
[[steps]]
name = "long"
shell = "sleep 30 & echo $$ > pgid; wait"
[[steps]]
name = "after"
depends_on = ["long"]
shell = "touch after"
[[steps]]
name = "independent"
shell = "touch independent"
"""


def test_a_long_shell_step_is_cut_at_the_deadline_and_later_steps_do_not_run(lok_project: LokProject) -> None:
    lok_project.write_config()
    # one step at a time: "independent" waits behind "long" and must not start once time is up
    result, wall = run_with_deadline(lok_project, LONG_SHELL, 1.0, max_parallel=1)

    assert wall < 2.0, f"the run took {wall:.2f}s under a 1 s deadline"
    long = result.steps["long"]
    assert long.status == "failed"
    assert "process group killed" in (long.error or "") and "the run's time limit was reached" in (
        long.error or ""
    )
    assert long.duration < 1.6
    pgid = int((lok_project.root / "pgid").read_text())
    assert group_gone(pgid), "the shell's background sleep survived the deadline"
    for name in ("after", "independent"):
        assert result.steps[name].status == "not_run"
        assert result.steps[name].message == "not run: the run's time limit was reached"
    assert not (lok_project.root / "after").exists() and not (lok_project.root / "independent").exists()
    assert not result.success and result.exit_code == 1
    assert result.stop_reason == "the run's time limit was reached"


def test_running_out_of_time_fails_the_run_even_without_a_hard_step_failure(lok_project: LokProject) -> None:
    lok_project.write_config()
    text = """
name = "soft"
continue_on_error = true
[[steps]]
name = "slow"
shell = "sleep 20"
[[steps]]
name = "next"
depends_on = ["slow"]
shell = "touch next"
"""
    result, wall = run_with_deadline(lok_project, text, 0.8)

    assert wall < 1.8
    assert result.steps["slow"].status == "soft_failed"
    assert result.steps["next"].status == "not_run"
    assert not (lok_project.root / "next").exists()
    assert not result.success and result.to_dict()["stop_reason"] == "the run's time limit was reached"


def test_a_hung_backend_call_is_cut_to_the_time_left(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("codex", "--sleep", "20"))
    text = 'name = "hang"\n[[steps]]\nname = "ask"\nbackend = "codex"\nprompt = "x"\n'
    result, wall = run_with_deadline(lok_project, text, 1.0)

    assert wall < 2.0
    step = result.steps["ask"]
    assert step.status == "failed"
    assert "the run's time limit was reached" in (step.error or "")
    assert step.replies and step.replies[0].duration < 1.6


def test_retries_stop_when_the_next_wait_would_pass_the_deadline(
    lok_project: LokProject, tmp_path: Path
) -> None:
    state = tmp_path / "flaky-state"
    lok_project.write_config(command_backend("codex", "--flaky", "10", "--state", str(state)))
    text = (
        'name = "flaky"\n[[steps]]\nname = "ask"\nbackend = "codex"\nprompt = "x"\n'
        "retries = 3\nretry_delay = 600\n"
    )
    # attempts at ~0 s and ~0.6 s; the next wait (1.2 s) would end past the 1.5 s deadline
    result, wall = run_with_deadline(lok_project, text, 1.5)

    assert wall < 1.5, f"{wall:.2f}s: waited for a retry that could not finish in time"
    step = result.steps["ask"]
    assert step.status == "failed" and step.attempts == 2
    assert int(state.read_text()) == 2  # the backend really was called twice, no more


def test_shell_retries_stop_at_the_deadline(lok_project: LokProject) -> None:
    lok_project.write_config()
    text = (
        'name = "retry"\n[[steps]]\nname = "s"\nshell = "echo x >> tries; exit 1"\n'
        "retries = 5\nretry_delay = 400\n"
    )
    # attempts at ~0, ~0.4 and ~1.2 s; the wait after the third (1.6 s) would pass the 1.5 s deadline
    result, wall = run_with_deadline(lok_project, text, 1.5)

    assert wall < 1.5
    assert result.steps["s"].attempts == 3
    assert (lok_project.root / "tries").read_text().count("x") == 3


def test_the_workflow_timeout_stays_the_per_step_default_under_a_later_deadline(
    lok_project: LokProject,
) -> None:
    lok_project.write_config()
    text = 'name = "t"\ntimeout = 300\n[[steps]]\nname = "s"\nshell = "sleep 5"\n'
    result, wall = run_with_deadline(lok_project, text, 10.0)

    assert wall < 1.5
    step = result.steps["s"]
    assert step.error == "timed out after 0.3s (process group killed)"  # the step's own limit, not the run's
    assert result.stop_reason == ""


def test_without_a_deadline_nothing_changes(lok_project: LokProject) -> None:
    lok_project.write_config()
    text = 'name = "t"\n[[steps]]\nname = "a"\nshell = "sleep 0.3; echo a"\n[[steps]]\nname = "b"\ndepends_on = ["a"]\nshell = "echo b"\n'
    workflow = parse_workflow(text, "wf.toml")
    result = run_workflow(workflow, engine_context(lok_project))
    assert result.success and result.steps["b"].output == "b" and result.stop_reason == ""
