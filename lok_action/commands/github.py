"""`lok github pr|issue|diff|ci-logs NUMBER` (ci-logs also `--run ID`): GitHub data as prompt-ready text (used by the built-in
review-pr, fix and ci workflows' shell steps; token from GITHUB_TOKEN, repo from GITHUB_REPOSITORY or
the git remote)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lok_action import ranges
from lok_action.errors import UsageError

KINDS = ("pr", "issue", "diff", "ci-logs")


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.epilog = "example:  lok github pr 123    (prints the PR's title, description and annotated diff)"
    parser.add_argument(
        "kind",
        choices=KINDS,
        help="pr: title, body and diff; issue: issue and comments; diff: the raw diff; ci-logs: failed job logs",
    )
    parser.add_argument(
        "number",
        type=ranges.ISSUE_NUMBER.option("NUMBER"),
        nargs="?",
        help="issue or pull request number (ci-logs: optional with --run)",
    )
    parser.add_argument(
        "--run",
        type=ranges.RUN_ID.option("--run"),
        metavar="ID",
        help="ci-logs: this workflow run's failed jobs (default: the PR head's failed runs, newest per workflow)",
    )
    parser.add_argument(
        "--no-diff",
        action="store_true",
        help="pr: title and description only (review-pr chunks the diff itself)",
    )
    parser.add_argument(
        "--repo", metavar="OWNER/NAME", help="repository (default: GITHUB_REPOSITORY or the git remote)"
    )


def run(args: argparse.Namespace) -> int:
    from lok_action.commands.requests import github_repository
    from lok_action.github import pr_data
    from lok_action.github.ci_logs import ci_logs_text
    from lok_action.github.client import open_repo

    if args.number is None and not (args.kind == "ci-logs" and args.run is not None):
        raise UsageError(
            f"github {args.kind}: give the issue or pull request number, e.g. lok github {args.kind} 123"
        )
    if args.run is not None and args.kind != "ci-logs":
        raise UsageError(f"github {args.kind}: --run only applies to ci-logs")
    env = dict(os.environ)
    handle = open_repo(args.repo or github_repository(Path.cwd(), env), env)
    if args.kind == "pr":
        text = pr_data.pull_request_text(handle, args.number, with_diff=not args.no_diff)
    elif args.kind == "issue":
        text = pr_data.issue_text(handle, args.number)
    elif args.kind == "diff":
        diff = pr_data.pull_request_diff(handle, args.number)
        text = diff.text.rstrip("\n")
        if diff.skipped:  # the diff on stdout stays a diff; what it lacks goes to stderr
            print(pr_data.skipped_note(diff.skipped), file=sys.stderr)
    else:
        text = ci_logs_text(handle, args.number, args.run)
    print(text)
    return 0
