"""`lok workflow list` and `lok workflow validate FILE...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lok_action.errors import LokError


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list workflows with their origin: (local), (user), (built-in)")
    listing.add_argument("-C", "--dir", metavar="DIR", default=".", help="project directory (default: .)")
    validate = actions.add_parser("validate", help="check workflow files without running them (exit 0/2)")
    validate.add_argument("files", nargs="+", metavar="FILE")


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        return list_command(Path(args.dir).resolve())
    return validate_command(args.files)


def list_command(project_dir: Path) -> int:
    from lok_action.workflow.lookup import list_workflows

    infos = list_workflows(project_dir)
    if not infos:
        print("no workflows found (create .lok/workflows/NAME.toml)")
        return 0
    width = max(len(info.name) for info in infos)
    for info in infos:
        origin = f"({info.origin})"
        print(f"{info.name.ljust(width)}  {origin:<11} {info.description}".rstrip())
    return 0


def validate_command(files: list[str]) -> int:
    from lok_action.workflow.model import load_workflow_file

    failed = 0
    for file in files:
        try:
            workflow = load_workflow_file(Path(file))
        except LokError as error:
            failed += 1
            print(f"lok: error: {error}", file=sys.stderr)
            continue
        print(f"ok: {file} ({workflow.name}, {len(workflow.steps)} steps)")
    return 2 if failed else 0
