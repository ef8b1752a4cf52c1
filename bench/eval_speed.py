"""How long `lok eval` takes over the shipped corpus with its 3 replayed backends (the bar: under 10 s).

    python bench/eval_speed.py [RUNS]      (default 3 runs; prints each, then the best)

The real CLI as a user runs it, from the repository root: `lok eval eval/corpus --config
eval/fakes/lok.toml --replay eval/cassettes --json -q`. A replay asks no backend, so this measures
lok itself: loading the corpus, laying out each case (a copy, or a scratch git repository for a diff
case), the pipeline, the merge and the scoring.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [
    sys.executable, "-m", "lok_action", "eval", "eval/corpus", "--config", "eval/fakes/lok.toml",
    "--replay", "eval/cassettes", "--json", "-q", "--no-cache",
]  # fmt: skip


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    times = []
    for number in range(1, runs + 1):
        started = time.monotonic()
        done = subprocess.run(COMMAND, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            sys.exit(f"eval_speed: lok eval failed ({done.returncode}): {done.stderr.strip()}")
        data = json.loads(done.stdout)
        cases, backends = data["cases"], len(data["backends"])
        times.append(elapsed)
        print(
            f"run {number}: {elapsed:.2f} s for {cases} cases x {backends} backends, {elapsed / cases * 1000:.0f} ms a case"
        )
    best = min(times)
    print(
        f"best: {best:.2f} s ({best / cases * 1000:.0f} ms a case); bar: under 10 s -> {'ok' if best < 10 else 'SLOW'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
