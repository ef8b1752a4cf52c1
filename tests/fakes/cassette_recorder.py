"""A real process recording backend calls into a cassette (for the test that SIGKILLs it mid-run).

Usage: python -m tests.fakes.cassette_recorder DIR CALLS SLEEP
Asks the fake LLM "question N" for N in 0..CALLS-1, one after another, each answer taking SLEEP seconds,
prints each answer as it is recorded, and finishes the cassette at the end.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lok_action.backends import create_backend
from lok_action.backends.calling import call_backend
from lok_action.cassette import Cassette
from lok_action.config import BackendConfig

FAKE_LLM = Path(__file__).with_name("fake_llm.py")


def main() -> int:
    directory, calls, sleep = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    config = BackendConfig(
        name="alpha",
        kind="command",
        command=f"{sys.executable} {FAKE_LLM} alpha",
        args=("--echo", "--sleep", sleep),
    )
    backend = create_backend(config, env=os.environ)
    cassette = Cassette.record(directory)
    for number in range(calls):
        reply = call_backend(backend, f"question {number}", Path.cwd(), 30, cassette=cassette)
        print(reply.text, flush=True)
    cassette.finish(wall_time=float(calls))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
