"""Output beyond [defaults] max_output_mb is cut, and never silently: the step or reply says so, and a
cut JSON answer fails saying why instead of "not JSON". Real `lok` runs, real processes."""

from __future__ import annotations

import json
import shlex
import sys

import pytest

from lok_action.process import MIB, run_process
from tests.fakes.project import LokProject


def big_backend(name: str, program: str) -> str:
    code = f"import sys; sys.stdin.read(); {program}"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"
    return f'[backends.{name}]\nkind = "command"\ncommand = {json.dumps(command)}\n'


HUGE_TEXT = "sys.stdout.write('x' * (50 * 1024 * 1024))"
JSON_6MB = "import json; sys.stdout.write(json.dumps({'items': ['y' * 1000] * 6000}))"
JSON_2MB = "import json; sys.stdout.write(json.dumps({'items': ['y' * 1000] * 2000}))"


def step(name: str, output_format: str = "text", **keys: str) -> str:
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
    return f'[[steps]]\nname = "{name}"\noutput_format = "{output_format}"\n{extra}'


def test_a_50_mb_answer_is_cut_at_the_default_and_the_step_says_so(lok_project: LokProject) -> None:
    lok_project.write_config(big_backend("huge", HUGE_TEXT))
    lok_project.write_workflow("w", step("a", backend="huge", prompt="q"))
    done = lok_project.lok("run", "w", timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "output cut at 16 MiB" in done.stderr and "max_output_mb" in done.stderr
    assert len(done.stdout.strip()) == 16 * MIB


def test_a_valid_6_mb_json_answer_is_read_whole(lok_project: LokProject) -> None:
    lok_project.write_config(big_backend("big", JSON_6MB))
    lok_project.write_workflow("w", step("a", "json", backend="big", prompt="q"))
    done = lok_project.lok("run", "w", "--json", timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)["steps"][0]
    assert len(result["output"]["items"]) == 6000 and not result["replies"][0]["truncated"]


@pytest.mark.parametrize("fmt", ["json", "json_array", "jsonl"])
def test_a_cut_json_answer_fails_saying_why(lok_project: LokProject, fmt: str) -> None:
    lok_project.write_config(big_backend("big", JSON_2MB), defaults="max_output_mb = 1")
    lok_project.write_workflow("w", step("a", fmt, backend="big", prompt="q"))
    done = lok_project.lok("run", "w", "--json", timeout=120)
    assert done.returncode == 1
    error = json.loads(done.stdout)["steps"][0]["error"]
    assert "output cut at 1 MiB" in error and f"cannot be read as {fmt}" in error, error
    assert "not JSON" not in error and "no JSON" not in error


def test_a_cut_answer_is_marked_in_lok_ask(lok_project: LokProject) -> None:
    lok_project.write_config(big_backend("big", JSON_2MB), defaults="max_output_mb = 1")
    shown = lok_project.lok("ask", "-b", "big", "q", timeout=120)
    assert shown.returncode == 0 and "=== big (" in shown.stdout
    assert "output cut at 1 MiB (raise [defaults] max_output_mb" in shown.stdout.splitlines()[0]
    replies = json.loads(lok_project.lok("ask", "-b", "big", "--json", "--no-cache", "q", timeout=120).stdout)
    assert replies[0]["truncated"] is True and len(replies[0]["text"]) == MIB


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_shell_output_is_cut_and_said_too(lok_project: LokProject, fmt: str) -> None:
    lok_project.write_config(defaults="max_output_mb = 1")
    program = (
        f"{shlex.quote(sys.executable)} -c {shlex.quote(JSON_2MB.replace('sys.', 'import sys; sys.', 1))}"
    )
    lok_project.write_workflow("w", step("a", fmt, shell=program))
    done = lok_project.lok("run", "w", "--json", timeout=120)
    result = json.loads(done.stdout)["steps"][0]
    if fmt == "text":
        assert done.returncode == 0 and "output cut at 1 MiB" in result["message"]
        assert len(result["output"]) == MIB
    else:
        assert done.returncode == 1 and "output cut at 1 MiB" in result["error"]
        assert "cannot be read as json" in result["error"]


@pytest.mark.parametrize("value", ["0", "-1", "1e9", "nan", "inf", '"big"', "true"])
def test_the_cap_is_checked_when_the_config_loads(lok_project: LokProject, value: str) -> None:
    lok_project.write_config(defaults=f"max_output_mb = {value}")
    lok_project.write_workflow("w", step("a", shell="true"))
    done = lok_project.lok("run", "w")
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "max_output_mb" in done.stderr
    assert "lok.toml" in done.stderr and "Traceback" not in done.stderr


def test_stderr_keeps_its_end_when_cut() -> None:
    code = "import sys; sys.stderr.write('early ' * 100000 + 'THE REAL ERROR')"
    result = run_process([sys.executable, "-c", code], output_cap=1000)
    assert result.stderr_truncated and len(result.stderr) == 1000
    assert result.stderr.endswith("THE REAL ERROR")
