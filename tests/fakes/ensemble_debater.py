"""A scripted debater for `lok debate` tests: a `command` backend (prompt on stdin, answer on stdout).

Usage: ensemble_debater.py NAME --positions P1,P2,... [--agree-from N] [--fail-round N] [--garbage-round N]
       [--sleep-round N:SECONDS] [--agree-form object|bool|word|list]

Round k answers with the k-th position (the last one repeats). From round --agree-from on it agrees
with every other participant it is asked about; before that it disagrees. The round is counted from
its own calls, kept in $ENSEMBLE_STATE_DIR/NAME.calls; --agree-form picks how it says so (the asked-for
per-participant object, or the plain forms real models answer: true, "yes", a list of names); every prompt is appended to NAME.prompts so a
test can check what the backend was shown.
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
    parser.add_argument("--positions", required=True)
    parser.add_argument("--agree-from", type=int, default=0)  # 0 = never agrees
    parser.add_argument("--fail-round", type=int, default=0)
    parser.add_argument("--garbage-round", type=int, default=0)
    parser.add_argument("--sleep-round", default="")
    parser.add_argument("--agree-form", choices=["object", "bool", "word", "list"], default="object")
    args = parser.parse_args()

    prompt = sys.stdin.read()
    state = Path(os.environ["ENSEMBLE_STATE_DIR"])
    calls_file = state / f"{args.name}.calls"
    calls = int(calls_file.read_text()) + 1 if calls_file.exists() else 1
    calls_file.write_text(str(calls))
    with (state / f"{args.name}.prompts").open("a") as log:
        log.write(f"=== call {calls}\n{prompt}\n")

    if "final synthesis" in prompt.lower():
        print(f"SYNTHESIS by {args.name}: the debate is settled.")
        return 0
    match = re.search(r"This is round (\d+)\.", prompt)
    round_number = int(match.group(1)) if match else 1
    if args.sleep_round:
        when, seconds = args.sleep_round.split(":")
        if int(when) == round_number:
            time.sleep(float(seconds))
    if round_number == args.fail_round:
        print(f"{args.name}: simulated crash", file=sys.stderr)
        return 3
    if round_number == args.garbage_round:
        print("I refuse to answer in JSON today.")
        return 0

    positions = args.positions.split(",")
    position = positions[min(round_number, len(positions)) - 1]
    if round_number == 1:
        print(f"Here is my view:\n```json\n{json.dumps({'position': position})}\n```")
        return 0
    previous = positions[min(round_number - 1, len(positions)) - 1]
    # the participants it is asked about are the keys of the agree template in the prompt
    template = re.search(r'"agree": \{(.*?)\}\}', prompt)
    others = re.findall(r'"([^"]+)": true or false', template.group(1)) if template else []
    agrees = bool(args.agree_from) and round_number >= args.agree_from
    verdict = {
        "position": position,
        "changed": "" if position == previous else f"was '{previous}', convinced by the others",
        "agree": {
            "object": {other: agrees for other in others},
            "bool": agrees,
            "word": "yes" if agrees else "no",
            "list": others if agrees else [],
        }[args.agree_form],
    }
    print("After reading the others, my verdict:\n" + json.dumps(verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
