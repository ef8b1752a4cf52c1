"""JSON nested deeper than Python's recursion limit, wherever lok reads JSON: a report given to
`lok merge`, an Actions event payload, a backend's answer. Each is bad input (a one-line error, exit 2)
or a failed answer, never a RecursionError traceback. Real `lok` subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fakes.engine_fixtures import REPO_ROOT, LokProject, command_backend
from tests.test_malformed_inputs import check_one_line_error

DEPTH = 100_000  # far past the interpreter's recursion limit (1,000) and the C decoder's


def deep_json(key: str = "findings") -> str:
    return '{"' + key + '": ' + "[" * DEPTH + "]" * DEPTH + "}"


def test_lok_merge_of_a_deeply_nested_report_is_one_line_exit_2(lok_project: LokProject) -> None:
    report = lok_project.root / "shard-1.json"
    report.write_text(deep_json(), encoding="utf-8")
    done = lok_project.lok("merge", str(report))
    check_one_line_error(done, [str(report), "not JSON", "nested too deeply"])


def test_a_deeply_nested_event_payload_is_one_line_exit_2(lok_project: LokProject) -> None:
    event = lok_project.root / "event.json"
    event.write_text(deep_json("pull_request"), encoding="utf-8")
    lok_project.env.update({"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": "x"})
    done = lok_project.lok("ci")  # the PR comes from the event
    check_one_line_error(done, ["GITHUB_EVENT_PATH", str(event), "nested too deeply"])


def test_the_action_given_a_deeply_nested_event_says_so_in_one_error_line(lok_project: LokProject) -> None:
    event = lok_project.root / "event.json"
    event.write_text(deep_json("pull_request"), encoding="utf-8")
    env = {
        **lok_project.env,
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_WORKSPACE": str(lok_project.root),
    }
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "entrypoint.py")],
        env=env,
        cwd=lok_project.root,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2, done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    [error] = [line for line in output.splitlines() if line.startswith("::error")]
    assert "GITHUB_EVENT_PATH" in error and "nested too deeply" in error, error


def test_a_deeply_nested_answer_fails_its_step_and_names_the_backend(
    lok_project: LokProject, tmp_path: Path
) -> None:
    answer = tmp_path / "answer.json"
    answer.write_text(deep_json(), encoding="utf-8")
    lok_project.write_config(command_backend("deep", "--reply-file", str(answer)))
    lok_project.write_workflow(
        "scan",
        'name = "scan"\n[[steps]]\nname = "a"\nbackend = "deep"\nprompt = "p"\noutput_format = "json"\n',
    )
    done = lok_project.lok("run", "scan", "--json")
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stdout + done.stderr
    assert done.returncode == 1, done.stderr
    [step] = json.loads(done.stdout)["steps"]
    assert step["success"] is False and "not JSON" in step["error"], step
