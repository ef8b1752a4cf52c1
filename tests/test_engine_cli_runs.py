"""`lok run` through the real CLI: the run's hard time limit, and what a failing shell step may show."""

from __future__ import annotations

import json
import time

from tests.fakes.project import LokProject

WORKFLOW = """
name = "slow"

[[steps]]
name = "long"
shell = "sleep 30"

[[steps]]
name = "after"
depends_on = ["long"]
shell = "touch after-ran"
"""


def test_max_seconds_cuts_the_running_step_and_starts_nothing_after(lok_project: LokProject) -> None:
    lok_project.write_workflow("slow", WORKFLOW)
    started = time.monotonic()
    done = lok_project.lok("run", "slow", "--max-seconds", "1", "--json")
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert elapsed < 10
    result = json.loads(done.stdout)
    steps = {step["name"]: step for step in result["steps"]}
    assert steps["long"]["status"] == "failed"
    assert steps["after"]["status"] == "not_run"
    assert not (lok_project.root / "after-ran").exists()
    assert "time limit" in result["stop_reason"]
    assert "FAILED" in done.stderr and result["stop_reason"] in done.stderr


def test_max_seconds_must_be_positive(lok_project: LokProject) -> None:
    lok_project.write_workflow("slow", WORKFLOW)
    done = lok_project.lok("run", "slow", "--max-seconds", "0")
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "lok: error: --max-seconds must be a finite number > 0 and <= 604800 (seconds), got '0'"
    )


def test_shell_step_errors_never_show_secrets_from_the_environment(lok_project: LokProject) -> None:
    lok_project.write_workflow(
        "leaky",
        '[[steps]]\nname = "deploy"\nshell = "echo auth failed for key $DEPLOY_API_KEY >&2; exit 3"\n',
    )
    lok_project.env["DEPLOY_API_KEY"] = "sk-live-abcdef123456"
    done = lok_project.lok("run", "leaky", "--json")
    assert done.returncode == 1
    step = json.loads(done.stdout)["steps"][0]
    assert step["error"] == "exit 3: auth failed for key ***"
    assert "sk-live-abcdef123456" not in done.stdout + done.stderr
