"""`lok ci [PR] [--run ID]`: why did this pull request's CI fail? The failed jobs of its head commit's
failed workflow runs (newest per workflow), or of the run given by --run (log tails of the failing
steps, via the API), go to several backends; the agreed cause and fix is printed, or posted as the
PR's lok comment with --post. Inside GitHub Actions the PR and run come from GITHUB_EVENT_PATH."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from lok_action import json_text, ranges
from lok_action.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.epilog = "example:  lok ci 123 -b codex,claude --post"
    parser.add_argument(
        "pr",
        nargs="?",
        type=ranges.ISSUE_NUMBER.option("PR"),
        help="pull request number (default: from GITHUB_EVENT_PATH)",
    )
    parser.add_argument(
        "--run",
        type=ranges.RUN_ID.option("--run"),
        metavar="ID",
        help="analyse this workflow run (default: the PR head's failed runs)",
    )
    parser.add_argument("-b", "--backends", metavar="A,B", help="backends to use (default: the ready ones)")
    parser.add_argument("--post", action="store_true", help="post the answer as the PR's lok comment")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("-C", "--dir", metavar="DIR", default=".", help="repository checkout (default .)")
    from lok_action.commands.options import add_cassette_options

    add_cassette_options(parser)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def target_from_event(env: dict[str, str]) -> tuple[int | None, int | None]:
    """(PR number, run id) from the Actions event file: a pull_request/issue_comment event names the
    PR; a workflow_run event names the run and, unless it came from a fork, its PR."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None, None
    try:
        payload = json_text.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: cannot read the event file ({error.strerror})") from None
    except ValueError as error:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: not valid JSON ({error})") from None
    if not isinstance(payload, dict):
        raise UsageError(f"GITHUB_EVENT_PATH {path}: the event is not a JSON object")
    run = _object(payload.get("workflow_run"))
    pulls = [p for p in run.get("pull_requests") or [] if isinstance(p, dict)]
    number = (
        _object(payload.get("pull_request")).get("number")
        or _object(payload.get("issue")).get("number")
        or (pulls[0].get("number") if pulls else None)
    )
    run_id = run.get("id")
    try:
        return (int(number) if number else None), (int(run_id) if run_id else None)
    except (TypeError, ValueError):
        raise UsageError(f"GITHUB_EVENT_PATH {path}: the PR number or run id is not a number") from None


def run(args: argparse.Namespace) -> int:
    from lok_action.commands.requests import ci_request, github_repository
    from lok_action.config import load_config
    from lok_action.github.client import open_repo
    from lok_action.github.comment import publish_comment
    from lok_action.github.render import comment_markdown
    from lok_action.pipeline import execute
    from lok_action.progress import Progress

    env = dict(os.environ)
    number, run_id = args.pr, args.run
    if number is None and run_id is None:
        number, run_id = target_from_event(env)
    if number is None and run_id is None:
        raise UsageError("ci: give the pull request number or a run id, e.g. lok ci 123 or lok ci --run 456")
    if args.post and number is None:
        raise UsageError(
            "ci: --post needs the pull request number to comment on, e.g. lok ci 123 --run 456 --post"
        )
    workdir = Path(args.dir).resolve()
    config = load_config(workdir, Path(args.config) if args.config else None, env)
    request = ci_request(args, number, run_id, workdir)
    progress = Progress(quiet=args.quiet)
    outcome = execute(request, config, env=env, progress=progress)
    result = outcome.run
    assert result is not None  # a run's Outcome always carries its steps
    progress.summary(result)
    logs = result.steps["logs"].output if "logs" in result.steps else ""
    posted = ""
    if args.post and outcome.text and number is not None:
        handle = open_repo(github_repository(workdir, env), env)
        posted = publish_comment(handle, number, comment_markdown(outcome)).url
    if args.json:
        print(
            json.dumps(
                {
                    "pr": number,
                    "run": run_id,
                    "answer": outcome.text,
                    "logs": logs,
                    "backends": [
                        {"name": b.name, "ok": b.status == "ok", "detail": b.detail(count_findings=False)}
                        for b in outcome.backends
                    ],
                    "comment": posted,
                    "success": result.success and bool(outcome.text),
                },
                indent=2,
            )
        )
    else:
        print(
            outcome.text or "lok ci: no backend produced an answer",
            file=sys.stdout if outcome.text else sys.stderr,
        )
    return 0 if result.success and outcome.text else 1
