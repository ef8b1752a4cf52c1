"""`lok doctor`: which backends are ready, and how to fix the others."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

INSTALL_COMMANDS = ("npm install", "pip install", "brew install", "apt-get install", "curl ")


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("-C", "--dir", metavar="DIR", default=".", help="project directory (default: .)")
    parser.add_argument(
        "--replay",
        metavar="DIR",
        help="as a replay of the cassette in DIR sees them: its recorded backends are ready, installed or not",
    )


def fix_text(fix: str) -> str:
    if not fix:
        return ""
    label = "install" if fix.startswith(INSTALL_COMMANDS) else "fix"
    return f" ({label}: {fix})"


def run(args: argparse.Namespace) -> int:
    from lok_action.backends.selection import check_availability, enabled_backends
    from lok_action.config import load_config

    config = load_config(Path(args.dir), Path(args.config) if args.config else None)
    backends = enabled_backends(config, env=os.environ)
    if not args.json:
        print("Checking backends...", flush=True)
    states = check_availability(backends)
    if args.replay:
        from lok_action.cassette import Cassette

        cassette = Cassette.replay(Path(args.replay))
        states = [cassette.availability(b.name) or s for b, s in zip(backends, states, strict=True)]
    # the exit code and count are about backends that answer prompts; analyzers only add findings
    ready = sum(
        state.ready for backend, state in zip(backends, states, strict=True) if backend.answers_prompts
    )
    analyzers = [b.name for b, s in zip(backends, states, strict=True) if s.ready and not b.answers_prompts]
    if args.json:
        rows = [
            {
                "name": b.name,
                "kind": b.kind,
                "ready": s.ready,
                "reason": s.reason,
                "fix": s.fix,
                "analyzer": not b.answers_prompts,
            }
            for b, s in zip(backends, states, strict=True)
        ]
        print(json.dumps({"backends": rows, "ready": ready, "analyzers_ready": analyzers}, indent=2))
    else:
        for backend, state in zip(backends, states, strict=True):
            role = "" if backend.answers_prompts else " (static analyzer, SARIF: findings steps only)"
            if state.ready:
                print(f"✓ {backend.name} - {state.reason}{role}")
            else:
                print(f"✗ {backend.name} - {state.reason}{fix_text(state.fix)}")
        if analyzers:
            print(f"✓ {len(analyzers)} static analyzer(s) ready: {', '.join(analyzers)}.")
        if ready:
            print(f"✓ {ready} backend(s) ready.")
        else:
            print("✗ 0 backend(s) ready. Install one of the tools above, or pip install 'lok-action[local]'.")
    return 0 if ready else 1
