"""Fan-out benchmark for `lok ask`: 3 `command` backends that each take 1.0 s to answer.

Bars (issue 3): parallel wall <= 1.10 s (sequential would be 3 s); a cached repeat makes no backend
call and takes under 0.3 s. Prints both ratios, measured in this run. Run: python bench/fanout.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANSWER_SECONDS = 1.0
BACKENDS = ("alpha", "beta", "gamma")
REPO_ROOT = Path(__file__).resolve().parents[1]

SLOW_BACKEND = """#!/bin/sh
# a backend that takes {seconds}s; every call is logged so the cached run can prove it made none
echo "$0" >> {calls}
cat > /dev/null
sleep {seconds}
echo "answer from $0"
"""


def run_ask(project: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "lok_action", "ask", "-q", "-b", ",".join(BACKENDS), "What is 6 * 7?"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return time.perf_counter() - started, result


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="lok-bench-") as tmp:
        root = Path(tmp)
        project = root / "project"
        project.mkdir()
        calls = root / "calls.log"
        config = []
        for name in BACKENDS:
            script = root / name
            script.write_text(SLOW_BACKEND.format(seconds=ANSWER_SECONDS, calls=calls))
            script.chmod(0o755)
            config.append(f'[backends.{name}]\nkind = "command"\ncommand = "{script}"\n')
        (project / "lok.toml").write_text("\n".join(config))
        env = dict(os.environ)
        env.update(
            HOME=str(root),
            XDG_CONFIG_HOME=str(root / "config"),
            XDG_CACHE_HOME=str(root / "cache"),
            PYTHONPATH=str(REPO_ROOT),
        )

        cold, first = run_ask(project, env)
        calls_after_first = len(calls.read_text().splitlines())
        warm, second = run_ask(project, env)
        calls_after_second = len(calls.read_text().splitlines())

    for result in (first, second):
        if result.returncode != 0 or result.stdout.count("answer from") != len(BACKENDS):
            print(f"lok ask failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
            return 1
    sequential = ANSWER_SECONDS * len(BACKENDS)
    new_calls = calls_after_second - calls_after_first
    fanout_ok = cold <= 1.10
    cache_ok = warm < 0.3 and new_calls == 0
    print(f"backends: {len(BACKENDS)} x {ANSWER_SECONDS:.1f}s; sequential would take {sequential:.1f}s")
    print(f"parallel ask wall:  {cold:.3f}s  ratio to sequential {cold / sequential:.3f}  (bar: <= 1.10s) "
          f"{'OK' if fanout_ok else 'MISSED'}")  # fmt: skip
    print(f"cached repeat wall: {warm:.3f}s  ratio to first run   {warm / cold:.3f}  backend calls: {new_calls}"
          f"  (bar: < 0.3s, 0 calls) {'OK' if cache_ok else 'MISSED'}")  # fmt: skip
    return 0 if fanout_ok and cache_ok else 1


if __name__ == "__main__":
    sys.exit(main())
