"""`lok suggest TASK`: the best available backend for a task, and why."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("task", nargs="+", help="what you want done, e.g. 'security audit of the API'")
    parser.add_argument("--json", action="store_true", help="print the suggestion as JSON")
    parser.add_argument("-C", "--dir", metavar="DIR", default=".", help="project directory (default: .)")


def run(args: argparse.Namespace) -> int:
    from lok_action.backends.selection import ready_backends
    from lok_action.config import load_config
    from lok_action.errors import BackendError
    from lok_action.suggest import pick_backend

    task = " ".join(args.task)
    config = load_config(Path(args.dir), Path(args.config) if args.config else None)
    # static analyzers answer no tasks
    ready = ready_backends(config, env=os.environ)
    available = {backend.name: backend.kind for backend in ready if backend.answers_prompts}
    try:
        name, reason = pick_backend(task, available)
    except BackendError as error:
        print(f"lok: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"task": task, "backend": name, "reason": reason, "available": sorted(available)}))
    else:
        print(f"Suggested backend: {name}")
        print(f"Reason: {reason}")
        print(f"Available: {', '.join(available)}")
    return 0
