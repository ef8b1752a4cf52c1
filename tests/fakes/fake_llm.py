"""A stand-in LLM CLI for engine tests: a real program, prompt on stdin, answer on stdout.

Usage: python3 fake_llm.py NAME [--echo] [--reply TEXT] [--reply-file F] [--fail] [--kill] [--sleep S]
                               [--flaky N --state F [--flaky-code C]] [--record F]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--echo", action="store_true", help="answer '[NAME] <prompt>'")
    parser.add_argument("--reply", help="answer exactly this text")
    parser.add_argument("--reply-file", help="answer with this file's content")
    parser.add_argument("--fail", action="store_true", help="exit 1 with an error on stderr")
    parser.add_argument("--kill", action="store_true", help="die of SIGKILL (as the OOM killer does)")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--flaky", type=int, default=0, help="exit 75 (retryable) for the first N calls")
    parser.add_argument("--flaky-code", type=int, default=75, help="the exit status --flaky fails with")
    parser.add_argument("--state", help="file counting calls (for --flaky)")
    parser.add_argument("--record", help="append each prompt to this file, separated by a NUL byte")
    options = parser.parse_args()
    prompt = sys.stdin.read()
    if options.record:
        with open(options.record, "a", encoding="utf-8") as handle:
            handle.write(prompt + "\0")
    if options.sleep:
        time.sleep(options.sleep)
    if options.flaky:
        state = Path(options.state)
        calls = int(state.read_text()) if state.exists() else 0
        state.write_text(str(calls + 1))
        if calls < options.flaky:
            print(f"{options.name}: rate limited (call {calls + 1})", file=sys.stderr)
            return options.flaky_code
    if options.fail:
        print(f"{options.name}: backend exploded", file=sys.stderr)
        return 1
    if options.kill:
        os.kill(os.getpid(), signal.SIGKILL)
    if options.reply_file:
        sys.stdout.write(Path(options.reply_file).read_text(encoding="utf-8"))
    elif options.reply is not None:
        sys.stdout.write(options.reply)
    else:
        sys.stdout.write(f"[{options.name}] {prompt}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
