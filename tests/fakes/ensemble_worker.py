"""A worker/planner/merger for `lok spawn` tests: a `command` backend (prompt on stdin, answer on stdout).

Usage: ensemble_worker.py NAME [--plan JSON] [--sleep SECONDS] [--fail]

- planner prompt ("Split the following task"): prints --plan (raw, so a test can also feed bad JSON)
- subtask prompt ("Your part (X):"): sleeps --sleep seconds, answers "NAME did X", and appends
  "X start end" (wall-clock seconds) to $ENSEMBLE_STATE_DIR/NAME.spans so a test sees the overlap
- run as a `claude` kind (argv has --output-format json) the answer is wrapped in Claude Code's result
  object; as a `codex` kind (argv has exec --json) in codex's JSONL events
- merge prompt ("Merge them"): answers "MERGED BY NAME:" followed by each part's first result line
Every prompt is appended to NAME.prompts, and NAME.calls counts calls.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--plan", default="")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--fail", action="store_true")
    # run as a `codex` or `claude` kind backend, the CLI arguments those kinds add are ignored here
    args, _cli_args = parser.parse_known_args()

    prompt = sys.stdin.read()
    state = Path(os.environ["ENSEMBLE_STATE_DIR"])
    calls_file = state / f"{args.name}.calls"
    # several subtasks may call one worker at once; an append-only log counts calls without races
    with (state / f"{args.name}.prompts").open("a") as log:
        log.write(f"=== call\n{prompt}\n")
    calls_file.write_text(str((state / f"{args.name}.prompts").read_text().count("=== call\n")))

    if args.fail:
        print(f"{args.name}: simulated failure", file=sys.stderr)
        return 4
    if "Split the following task" in prompt:
        return answer(args.plan)
    if "Merge them" in prompt:
        done = re.findall(r"^(\S+ did .*)$", prompt, flags=re.MULTILINE)
        return answer(f"MERGED BY {args.name}: " + " | ".join(done))
    part = re.search(r"Your part \(([^)]+)\):", prompt)
    name = part.group(1) if part else "?"
    start = time.time()
    time.sleep(args.sleep)
    with (state / f"{args.name}.spans").open("a") as spans:
        spans.write(f"{name} {start} {time.time()}\n")
    return answer(f"{args.name} did {name}")


def answer(text: str) -> int:
    if "--output-format" in sys.argv:
        print(json.dumps({"type": "result", "is_error": False, "result": text}))
    elif "exec" in sys.argv and "--json" in sys.argv:
        print(json.dumps({"type": "thread.started", "thread_id": "t1"}))
        print(json.dumps({"type": "item.completed", "item": {"type": "agent_message", "text": text}}))
        print(json.dumps({"type": "turn.completed", "usage": {"input_tokens": 1, "output_tokens": 1}}))
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
