"""run_process: process groups, timeouts, caps, stdin handling — with real processes."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from lok_action.process import run_process
from tests.fakes.procs import live_group_members


def group_alive(pgid: int) -> bool:
    return bool(live_group_members(pgid))


def test_output_and_exit_status_are_captured():
    result = run_process(
        [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"]
    )
    assert result.returncode == 3
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    assert not result.ok and not result.timed_out


def test_prompt_goes_to_stdin_and_stdin_is_closed_after():
    code = "import sys; data = sys.stdin.read(); print(len(data), data[-3:])"
    result = run_process([sys.executable, "-c", code], input_text="x" * 200_000 + "end")
    assert result.ok
    assert result.stdout.split() == ["200003", "end"]


def test_stdin_is_closed_when_no_input_is_given():
    # A program that reads stdin must see EOF at once (codex waits forever on an open pipe).
    result = run_process([sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"], timeout=5)
    assert result.ok and result.stdout.strip() == "''"


def test_timeout_kills_the_whole_process_group():
    # The child starts a grandchild that would outlive it; both must be gone after the timeout.
    code = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    result = run_process([sys.executable, "-c", code], timeout=0.5)
    assert result.timed_out and result.returncode is None
    assert time.monotonic() - started < 5
    assert not group_alive(result.pid)


def test_leftover_children_are_ended_after_a_normal_exit():
    code = "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    result = run_process([sys.executable, "-c", code], timeout=10)
    assert result.returncode == 0
    assert not group_alive(result.pid)


def test_output_is_capped_and_marked_truncated():
    result = run_process([sys.executable, "-c", "print('y' * 100_000)"], output_cap=1000)
    assert len(result.stdout) == 1000
    assert result.truncated


def test_missing_program_raises_file_not_found():
    try:
        run_process(["definitely-not-a-program-lok"])
    except FileNotFoundError:
        return
    raise AssertionError("expected FileNotFoundError")


def test_timeout_holds_when_the_program_never_reads_a_large_prompt():
    # 1 MiB is far beyond the pipe buffer: writing it would block until the program reads
    started = time.monotonic()
    result = run_process(["sleep", "30"], input_text="x" * 2**20, timeout=1)
    assert result.timed_out
    assert time.monotonic() - started < 5
    assert not group_alive(result.pid)


def test_a_large_prompt_still_arrives_whole():
    result = run_process(["cat"], input_text="y" * 2**20 + "end", timeout=10)
    assert result.ok and len(result.stdout) == 2**20 + 3 and result.stdout.endswith("end")


def test_nothing_of_a_run_outlives_it_when_a_descendant_keeps_the_pipes(tmp_path):
    # A program that leaves a grandchild in a session of its own (out of reach of the group kill)
    # holding stdin, stdout and stderr, and never reading the prompt, which is larger than a pipe holds.
    pid_file = tmp_path / "grandchild"
    code = (
        "import subprocess, sys\n"
        "child = subprocess.Popen(['sleep', '30'], start_new_session=True)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('answer')\n"
    )
    before = set(threading.enumerate())
    started = time.monotonic()
    try:
        result = run_process([sys.executable, "-c", code], input_text="x" * 2**20, timeout=20)
        took = time.monotonic() - started
        leftover = [thread for thread in threading.enumerate() if thread not in before]
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
    assert result.ok and result.stdout == "answer\n"
    assert leftover == []  # no reader or writer thread left attached to those pipes
    assert took < 10  # stopped reading pipes only an outsider holds, instead of waiting for it
