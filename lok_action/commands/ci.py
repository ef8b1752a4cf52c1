"""`lok ci [PR]`: why did this pull request's CI fail? The failed jobs of its latest workflow run
(log tails of the failing steps, via the API) go to several backends; the agreed cause and fix is
printed, or posted as the PR's lok comment with --post."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lok_action.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.epilog = "example:  lok ci 123 -b codex,claude --post"
    parser.add_argument(
        "pr", nargs="?", type=int, help="pull request number (default: from GITHUB_EVENT_PATH)"
    )
    parser.add_argument("-b", "--backends", metavar="A,B", help="backends to use (default: the ready ones)")
    parser.add_argument("--post", action="store_true", help="post the answer as the PR's lok comment")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("-C", "--dir", metavar="DIR", default=".", help="repository checkout (default .)")


def pr_from_event(env: dict[str, str]) -> int | None:
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return None
    payload = json.loads(Path(path).read_text(encoding="utf-8"))
    number = (payload.get("pull_request") or {}).get("number") or (payload.get("issue") or {}).get("number")
    return int(number) if number else None


def run(args: argparse.Namespace) -> int:
    from lok_action.analysis import default_backends
    from lok_action.backends.calling import open_cache
    from lok_action.config import load_config
    from lok_action.github.client import open_repo, repository_name
    from lok_action.github.comment import publish_comment
    from lok_action.github.publish import report_from_run
    from lok_action.github.render import comment_markdown
    from lok_action.progress import Progress
    from lok_action.workflow.lookup import find_workflow
    from lok_action.workflow.runner import RunContext, run_workflow

    env = dict(os.environ)
    number = args.pr or pr_from_event(env)
    if number is None:
        raise UsageError("ci: give the pull request number, e.g. lok ci 123")
    workdir = Path(args.dir).resolve()
    config = load_config(workdir, Path(args.config) if args.config else None, env)
    backends = (
        [b.strip() for b in args.backends.split(",") if b.strip()]
        if args.backends
        else default_backends(config)
    )
    workflow = find_workflow("ci", workdir)
    progress = Progress(quiet=args.quiet)
    result = run_workflow(
        workflow,
        RunContext(
            config=config,
            workdir=workdir,
            args=[str(number)],
            env=env,
            default_backends=backends,
            cache=open_cache(config.cache_enabled, config.cache_ttl_hours, args.no_cache),
            progress=progress,
        ),
    )
    progress.summary(result)
    report = report_from_run(workflow, result, workdir)
    logs = result.steps["logs"].output if "logs" in result.steps else ""
    posted = ""
    if args.post and report.text:
        handle = open_repo(repository_name(workdir, env), env)
        posted = publish_comment(handle, number, comment_markdown(report)).url
    if args.json:
        print(
            json.dumps(
                {
                    "pr": number,
                    "answer": report.text,
                    "logs": logs,
                    "backends": [{"name": b.name, "ok": b.ok, "detail": b.detail} for b in report.backends],
                    "comment": posted,
                    "success": result.success and bool(report.text),
                },
                indent=2,
            )
        )
    else:
        print(
            report.text or "lok ci: no backend produced an answer",
            file=sys.stdout if report.text else sys.stderr,
        )
    return 0 if result.success and report.text else 1
