"""`lok run --max-seconds`: the run's hard time limit, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

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


def lok(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lok_action", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_max_seconds_cuts_the_running_step_and_starts_nothing_after(tmp_path: Path) -> None:
    (tmp_path / "slow.toml").write_text(WORKFLOW)
    started = time.monotonic()
    done = lok("run", "slow.toml", "--max-seconds", "1", "--json", cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert elapsed < 10
    result = json.loads(done.stdout)
    steps = {step["name"]: step for step in result["steps"]}
    assert steps["long"]["status"] == "failed"
    assert steps["after"]["status"] == "not_run"
    assert not (tmp_path / "after-ran").exists()
    assert "time limit" in result["stop_reason"]
    assert "FAILED" in done.stderr and result["stop_reason"] in done.stderr


def test_max_seconds_must_be_positive(tmp_path: Path) -> None:
    (tmp_path / "slow.toml").write_text(WORKFLOW)
    done = lok("run", "slow.toml", "--max-seconds", "0", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "lok: error: --max-seconds must be > 0, got 0"
