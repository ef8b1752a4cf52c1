"""`lok backends`: the configured backends, their kind, command or URL, and whether they are usable."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.add_argument("-C", "--dir", metavar="DIR", default=".", help="project directory (default: .)")


def run(args: argparse.Namespace) -> int:
    from lok_action.backends import create_backend
    from lok_action.backends.selection import check_availability
    from lok_action.config import load_config

    config = load_config(Path(args.dir), Path(args.config) if args.config else None)
    configs = list(config.backends.values())
    backends = [create_backend(bc, env=os.environ) for bc in configs]
    enabled = [b for b in backends if b.config.enabled]
    states = dict(zip((b.name for b in enabled), check_availability(enabled), strict=True))
    rows = []
    for backend in backends:
        bc = backend.config
        state = states.get(bc.name)
        rows.append(
            {
                "name": bc.name,
                "kind": bc.kind,
                "command": backend.target(),
                "model": bc.model,
                "enabled": bc.enabled,
                "available": bool(state and state.ready),
                "reason": state.reason if state else "disabled",
                "source": bc.source,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    headers = ("NAME", "KIND", "COMMAND/URL", "MODEL", "ENABLED", "AVAILABLE")
    table = [
        (
            r["name"],
            r["kind"],
            r["command"],
            r["model"] or "-",
            "yes" if r["enabled"] else "no",
            "yes" if r["available"] else f"no: {r['reason']}",
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in [headers, *table]) for i in range(len(headers) - 1)]
    for row in [headers, *table]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, str(row[-1])]).rstrip())
    return 0
