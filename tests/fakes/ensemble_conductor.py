"""A scripted conductor for `lok conduct` tests: a `command` backend (prompt on stdin, answer on stdout).

Usage: ensemble_conductor.py NAME SCRIPT_FILE [--sleep SECONDS] [any args a CLI kind adds]

SCRIPT_FILE is a JSON list of raw answers (strings, so malformed ones can be scripted); call k prints
answer k, the last one repeats. When run as a `claude` kind backend (its argv carries
`--output-format json`), the answer is wrapped in Claude Code's result object with total_cost_usd
from $ENSEMBLE_COST, so spend limits can be tested through the real claude backend parser.
Every prompt is appended to $ENSEMBLE_STATE_DIR/NAME.prompts; NAME.calls counts calls.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("script")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--output-format", default="")
    args, _unknown = parser.parse_known_args()

    prompt = sys.stdin.read()
    state = Path(os.environ["ENSEMBLE_STATE_DIR"])
    calls_file = state / f"{args.name}.calls"
    calls = int(calls_file.read_text()) + 1 if calls_file.exists() else 1
    calls_file.write_text(str(calls))
    with (state / f"{args.name}.prompts").open("a") as log:
        log.write(f"=== call {calls}\n{prompt}\n")

    answers = json.loads(Path(args.script).read_text())
    answer = answers[min(calls, len(answers)) - 1]
    time.sleep(args.sleep)
    if args.output_format == "json":
        cost = float(os.environ.get("ENSEMBLE_COST", "0"))
        answer = json.dumps({"type": "result", "is_error": False, "result": answer, "total_cost_usd": cost})
    print(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
