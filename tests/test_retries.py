"""Retries a user asked for happen, and an interrupt ends a retry's back-off at once. Real `lok` runs."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from tests.fakes.engine_fixtures import command_backend
from tests.fakes.project import LokProject

SEED_EXAMPLE = """name = "retries"
[[steps]]
name = "flaky_backend"
backend = "gemini"
retries = 3
retry_delay = {delay}
prompt = "..."
"""


@pytest.mark.parametrize("code", [1, 2, 75, 255])
def test_a_command_backend_failing_with_any_exit_is_retried(lok_project: LokProject, code: int) -> None:
    # the seed's example (retries = 3), on a command backend that exits 1 with "rate limited"
    state = lok_project.root.parent / "calls"
    fake = ("--flaky", "2", "--flaky-code", str(code), "--state", str(state), "--reply", "finally")
    lok_project.write_config(command_backend("gemini", *fake))
    lok_project.write_workflow("retries", SEED_EXAMPLE.format(delay=50))
    done = lok_project.lok("run", "retries", "--json", "--no-cache")
    assert done.returncode == 0, done.stderr
    step = json.loads(done.stdout)["steps"][0]
    assert (step["output"], step["attempts"]) == ("finally", 3)
    assert state.read_text() == "3"


@pytest.mark.parametrize("code", [126, 127])
def test_cannot_run_is_not_retried(lok_project: LokProject, code: int) -> None:
    state = lok_project.root.parent / "calls"
    lok_project.write_config(
        command_backend("gemini", "--flaky", "9", "--flaky-code", str(code), "--state", str(state))
    )
    lok_project.write_workflow("retries", SEED_EXAMPLE.format(delay=50))
    done = lok_project.lok("run", "retries", "--json", "--no-cache")
    assert done.returncode == 1
    assert state.read_text() == "1" and json.loads(done.stdout)["steps"][0]["attempts"] == 1


def test_shell_steps_follow_the_same_rule(lok_project: LokProject) -> None:
    counter = lok_project.root.parent / "shell-calls"
    lok_project.write_workflow(
        "w",
        '[[steps]]\nname = "missing"\nretries = 3\nretry_delay = 10\ncontinue_on_error = true\n'
        f'shell = "echo x >> {counter}; exit 127"\n',
    )
    done = lok_project.lok("run", "w", "--json")
    assert json.loads(done.stdout)["steps"][0]["attempts"] == 1
    assert counter.read_text() == "x\n"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_during_a_back_off_ends_lok_at_once(lok_project: LokProject, sig: int) -> None:
    state = lok_project.root.parent / "calls"
    lok_project.write_config(
        command_backend("gemini", "--flaky", "9", "--flaky-code", "1", "--state", str(state))
    )
    lok_project.write_workflow("retries", SEED_EXAMPLE.format(delay=20000))  # 20 s, then 40 s...
    proc = lok_project.popen(
        "run",
        "retries",
        "--no-cache",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not state.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert state.exists(), "the backend was never called"
        time.sleep(0.3)  # the failed attempt is over; lok is in its 20 s back-off now
        sent = time.monotonic()
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert took < 1.0, f"lok took {took:.1f}s to end after the signal"
    assert proc.returncode == 130 and "lok: interrupted" in err and "Traceback" not in err
    assert state.read_text() == "1"  # and no retry started after the interrupt
