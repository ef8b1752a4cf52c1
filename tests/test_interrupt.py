"""Ctrl-C (SIGINT) and a runner's cancel (SIGTERM) end every running backend at once, with the real CLI."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.fakes.procs import live_group_members
from tests.fakes.project import LokProject

SLOW_BACKEND = "#!/bin/sh\necho $$ >> {pids}\ncat > /dev/null\nsleep 30\necho too late\n"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_ends_running_backends_instead_of_waiting_for_them(
    lok_project: LokProject, tmp_path: Path, sig: int
) -> None:
    pids = tmp_path / "pids"
    config = []
    for name in ("slow1", "slow2"):
        script = tmp_path / name
        script.write_text(SLOW_BACKEND.format(pids=pids))
        script.chmod(0o755)
        config.append(f'[backends.{name}]\nkind = "command"\ncommand = "{script}"\n')
    lok_project.write_toml("\n".join(config))
    proc = lok_project.popen(
        "ask",
        "--no-cache",
        "-b",
        "slow1,slow2",
        "hi",
        env={"PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while (not pids.exists() or len(pids.read_text().split()) < 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pids.exists() and len(pids.read_text().split()) == 2, "backends never started"
        sent = time.monotonic()
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=10)
        assert time.monotonic() - sent < 5  # not the 30 s the backends would take
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "lok: interrupted" in err and "Traceback" not in err
    for pgid in map(int, pids.read_text().split()):
        assert not live_group_members(pgid)
