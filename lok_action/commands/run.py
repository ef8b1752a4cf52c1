"""`lok run NAME [ARGS...]`: run a workflow by name or path."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lok_action import ranges
from lok_action.errors import UsageError
from lok_action.findings.model import SEVERITIES

if TYPE_CHECKING:
    from lok_action.context.diffs import PullRequestSource
    from lok_action.github.client import RepoHandle
    from lok_action.github.publish import PublishResult
    from lok_action.outcome import Outcome
    from lok_action.request import Request
    from lok_action.workflow.model import Workflow
    from lok_action.workflow.result import RunResult


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("workflow", help="workflow name (see 'lok workflow list') or path to a .toml file")
    parser.add_argument(
        "args",
        nargs="*",
        help="workflow arguments: {{ args[0] }}, ...; KEY=VALUE ones become {{ arg.KEY }} instead",
    )
    parser.add_argument("--json", action="store_true", help="print the full run result as JSON on stdout")
    parser.add_argument(
        "-b", "--backends", metavar="NAMES", help="comma-separated backends for steps that name none"
    )
    parser.add_argument("-C", "--dir", metavar="DIR", default=".", help="target directory (default: .)")
    parser.add_argument(
        "--max-parallel",
        type=ranges.PARALLEL.option("--max-parallel"),
        metavar="N",
        help=f"most steps at once ({ranges.PARALLEL.span()}; default: config)",
    )
    parser.add_argument(
        "--max-inline-comments",
        type=ranges.INLINE_COMMENTS.option("--max-inline-comments"),
        metavar="N",
        default=10,
        help=f"a workflow that posts a pull request review: at most N inline comments, most severe and most"
        f" agreed first ({ranges.INLINE_COMMENTS.span()}; default: 10); the others go in the review body",
    )
    parser.add_argument(
        "--inline-min-severity",
        choices=SEVERITIES,
        default="low",
        help="findings below this severity go in the review body only (default: low)",
    )
    parser.add_argument(
        "--max-seconds",
        type=ranges.SECONDS.option("--max-seconds"),
        metavar="S",
        help=f"hard limit on the whole run ({ranges.SECONDS.span()}): no step starts after it, running calls"
        " are cut to it",
    )
    from lok_action.commands.options import add_cassette_options

    add_cassette_options(parser)


def run(args: argparse.Namespace) -> int:
    from lok_action.commands.requests import run_request
    from lok_action.config import load_config
    from lok_action.pipeline import execute
    from lok_action.progress import Progress
    from lok_action.workflow.lookup import find_workflow

    workdir = Path(args.dir).resolve()
    if not workdir.is_dir():
        raise UsageError(f"-C/--dir: {args.dir}: not a directory")
    env = dict(os.environ)
    config = load_config(workdir, Path(args.config) if args.config else None)
    workflow = find_workflow(args.workflow, workdir)
    request = run_request(args, workflow, workdir, env)  # a publishing workflow's number, checked now
    handle = _open_repo(workdir, env) if request.is_pull_request_review else None
    progress = Progress(quiet=args.quiet)
    outcome = execute(
        request,
        config,
        env=env,
        progress=progress,
        pull_requests=_pull_requests(handle) if handle is not None else None,
    )
    result = outcome.run
    assert result is not None  # a run's Outcome always carries its steps
    progress.summary(result)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        print_final_outputs(workflow, result)
    if request.publish.github is not None:
        posted = publish_to_github(request, outcome, handle or _open_repo(workdir, env))
        if posted.failures:  # a requested GitHub write failed (listed on stderr): the run did not do its job
            return max(result.exit_code, 1)
    return result.exit_code


def _open_repo(workdir: Path, env: Mapping[str, str]) -> RepoHandle:
    """The repository a publishing workflow writes to (token from GITHUB_TOKEN, repo from
    GITHUB_REPOSITORY or the git remote)."""
    from lok_action.commands.requests import github_repository
    from lok_action.github.client import open_repo

    return open_repo(github_repository(workdir, env), env)


def _pull_requests(handle: RepoHandle) -> PullRequestSource:
    from lok_action.github.pr_data import pull_request_patch

    return lambda number: pull_request_patch(handle, number)


def publish_to_github(request: Request, outcome: Outcome, handle: RepoHandle) -> PublishResult:
    """`lok run NAME NUMBER` for a workflow with `publish` set (terminal or CI). A read-only token is
    found out by GitHub's 403 on the first write: nothing more is tried and stderr says so."""
    from lok_action.github.publish import PublishOptions, publish

    assert request.publish.github is not None
    options = PublishOptions(sinks=request.publish.github, stream=sys.stderr)
    posted = publish(handle, outcome, request.issue_number, request.pr_number, options)
    for line in posted.actions:
        print(f"github: {line}", file=sys.stderr)
    if posted.read_only_reason:
        print(
            f"github: read-only token: the token may not write to {handle.full_name}, so nothing was posted "
            f"(the result is above)",
            file=sys.stderr,
        )
    return posted


def print_final_outputs(workflow: Workflow, result: RunResult) -> None:
    """The outputs of the steps nothing depends on (the workflow's answer) on stdout."""
    used = {dep for step in workflow.steps for dep in step.depends_on}
    finals = [result.steps[s.name] for s in workflow.steps if s.name not in used]
    shown = [step for step in finals if step.status == "success"]
    for step in shown:
        output = step.output if isinstance(step.output, str) else json.dumps(step.output, indent=2)
        if len(shown) > 1:
            print(f"== {step.name} ==")
        print(output.rstrip("\n"))
    sys.stdout.flush()
