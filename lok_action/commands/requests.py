"""argv (and the environment) -> Request: the CLI's one place that turns options into what to run and
where the result goes. Everything below reads the Request, never argparse or os.environ."""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lok_action.context.shards import parse_shard
from lok_action.errors import UsageError
from lok_action.findings.model import Severity, as_severity
from lok_action.findings.modes import as_mode
from lok_action.ranges import CONSENSUS, ISSUE_NUMBER
from lok_action.request import (
    REPORT_FORMATS,
    CassetteSpec,
    GitHubSinks,
    PublishSpec,
    ReportFormat,
    Request,
    frozen_map,
    workflow_context,
)

if TYPE_CHECKING:
    from lok_action.workflow.model import Workflow

NAMED_ARG = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
REPORT_OPTIONS = (("output", "-o/--output"), ("sarif", "--sarif"))


def backend_names(value: str | None, option: str = "-b/--backends") -> tuple[str, ...] | None:
    """-b a,b -> ("a", "b"); None when the option was not given (the ready backends are used)."""
    from lok_action.commands.options import split_names

    return None if value is None else tuple(split_names(value, option))


def split_args(raw: list[str]) -> tuple[list[str], dict[str, str]]:
    """Positional args and KEY=VALUE named args."""
    positional: list[str] = []
    named: dict[str, str] = {}
    for item in raw:
        match = NAMED_ARG.match(item)
        if match:
            named[match.group(1)] = match.group(2)
        else:
            positional.append(item)
    return positional, named


def cassette_spec(args: argparse.Namespace) -> CassetteSpec | None:
    """--record DIR | --replay DIR [--replay-missing call] [--record-prompts false], checked now."""
    record, replay = getattr(args, "record", None), getattr(args, "replay", None)
    missing, prompts = getattr(args, "replay_missing", None), getattr(args, "record_prompts", None)
    if record and replay:
        raise UsageError("--record and --replay exclude each other (--replay-missing call records misses)")
    if missing is not None and not replay:
        raise UsageError("--replay-missing needs --replay DIR")
    if prompts is not None and not (record or missing == "call"):
        raise UsageError("--record-prompts needs --record DIR (or --replay DIR --replay-missing call)")
    if not (record or replay):
        return None
    return CassetteSpec(
        mode="record" if record else "replay",
        directory=Path(str(record or replay)),
        missing="call" if missing == "call" else "fail",
        record_prompts=prompts != "false",
    )


def report_format(args: argparse.Namespace) -> ReportFormat:
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json conflicts with --format {args.format}")
    chosen = "json" if args.json else (args.format or "text")
    return next(fmt for fmt in REPORT_FORMATS if fmt == chosen)


def publish_spec(args: argparse.Namespace) -> PublishSpec:
    """The report options (hunt, audit, explain, diff, merge), checked before any backend is called:
    a long analysis must not end in a write error."""
    from lok_action.report.sarif import check_category

    fmt = report_format(args)
    category = getattr(args, "sarif_category", None)
    if category is not None:
        category = check_category(category, "--sarif-category")
        if not args.sarif:
            raise UsageError("--sarif-category needs --sarif FILE (it names the SARIF runs' category)")
    for attr, option in REPORT_OPTIONS:
        _check_writable(getattr(args, attr, None), option)
    return PublishSpec(
        format=fmt,
        output=Path(args.output) if args.output else None,
        sarif=Path(args.sarif) if args.sarif else None,
        sarif_category=category,
        fail_on=as_severity(args.fail_on) if args.fail_on else None,
        github=GitHubSinks(issues=True) if getattr(args, "issues", False) else None,
    )


def _check_writable(value: str | None, option: str) -> None:
    if not value:
        return
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"{option} {value}: is a directory")
    parent = path.absolute().parent
    if not parent.is_dir():
        raise UsageError(f"{option} {value}: directory {parent} does not exist")
    try:  # a real probe: os.access says yes to root even on /proc
        handle, probe = tempfile.mkstemp(prefix=".lok-probe-", dir=parent)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise UsageError(f"{option} {value}: cannot write in {parent} ({error.strerror})") from None


def analysis_request(args: argparse.Namespace, project_dir: Path, env: Mapping[str, str]) -> Request:
    """`lok hunt|audit|explain [DIR]` (the files under DIR) and `lok diff [RANGE]` (a git diff)."""
    publish = publish_spec(args)
    is_diff = args.command == "diff"
    target = project_dir if is_diff else Path(args.dir)
    if not target.is_dir():
        raise UsageError(f"{args.command}: '{target}' is not a directory")
    return Request(
        command=args.command,
        workflow=args.command,
        project_dir=project_dir,
        target=target,
        context="diff" if is_diff else "files",
        revision_range=args.range if is_diff else None,
        backends=backend_names(args.backends) if args.backends else None,
        min_consensus=args.min_consensus or 1,
        shard=parse_shard(args.shard, env),
        use_cache=not args.no_cache,
        verify=as_mode(args.verify) if args.verify else None,
        max_verify_calls=args.max_verify_calls if args.max_verify_calls is not None else 40,
        unconfirmed_floor=unconfirmed_floor(args.unconfirmed),
        publish=publish,
        cassette=cassette_spec(args),
        depth=getattr(args, "depth", None),
        plan_only=args.plan,
        max_cost=args.max_cost,
        since=getattr(args, "since", None),
    )


def eval_case_request(
    args: argparse.Namespace,
    project_dir: Path,
    target: Path,
    revision_range: str | None,
    cassette: CassetteSpec | None,
) -> Request:
    """`lok eval`: one case's analysis (its scratch copy of tree/, or its scratch repository's diff),
    with the case's own cassette folder. The challenge round puts every finding to the other backends
    (verify "all"): the eval scores the same run with and without its verdicts, which compares the
    two at every quorum only when every finding was asked about ("below-quorum" would ask about
    none at k=1 but the critical and high ones)."""
    is_diff = revision_range is not None
    return Request(
        command="eval",
        workflow=args.diff_workflow if is_diff else args.workflow,
        project_dir=project_dir,
        target=target,
        context="diff" if is_diff else "files",
        revision_range=revision_range,
        backends=backend_names(args.backends) if args.backends else None,
        use_cache=not args.no_cache,
        cassette=cassette,
        verify="all",
    )


def unconfirmed_floor(text: str | None) -> Severity | None:
    """--unconfirmed / the `unconfirmed` input: a severity, "none" (no floor), unset (critical)."""
    if text is None or text == "":
        return "critical"
    return None if text == "none" else as_severity(text)


def run_request(
    args: argparse.Namespace, workflow: Workflow, workdir: Path, env: Mapping[str, str]
) -> Request:
    """`lok run NAME [ARGS...]`. A workflow with `publish` set takes the issue or PR number from its
    first argument and LOK_MIN_CONSENSUS from the environment, both refused before any step runs."""
    positional, named = split_args(args.args)
    number: int | None = None
    min_consensus = 1
    if workflow.publish:
        if not positional:
            raise UsageError(
                f"workflow '{workflow.name}' publishes to GitHub: give the issue or PR number, e.g. lok run {workflow.name} 123"
            )
        number = int(ISSUE_NUMBER.parse(f"workflow '{workflow.name}': the issue or PR number", positional[0]))
        min_consensus = int(CONSENSUS.parse("LOK_MIN_CONSENSUS", env.get("LOK_MIN_CONSENSUS", "") or "1"))
    pr_number = number if workflow.publish == "pr-review" else None
    github = None
    if workflow.publish:
        issues = workflow.publish == "issues"
        github = GitHubSinks(
            comment="off" if issues else "update",
            review="inline",
            issues=issues,
            max_inline_comments=getattr(args, "max_inline_comments", 10),
            inline_min_severity=as_severity(getattr(args, "inline_min_severity", "low")),
        )
    return Request(
        command="run",
        workflow=args.workflow,
        project_dir=workdir,
        target=workdir,
        context=workflow_context(workflow.publish, pr_number),
        pr_number=pr_number,
        issue_number=number if pr_number is None else None,
        backends=backend_names(args.backends),
        min_consensus=min_consensus,
        args=tuple(positional),
        named_args=frozen_map(named),
        max_parallel=args.max_parallel,
        max_seconds=args.max_seconds,
        use_cache=not args.no_cache,
        publish=PublishSpec(github=github),
        cassette=cassette_spec(args),
    )


def ci_request(args: argparse.Namespace, pr: int | None, run_id: int | None, workdir: Path) -> Request:
    """`lok ci [PR] [--run ID]`: the built-in ci workflow for that pull request and/or run."""
    return Request(
        command="ci",
        workflow="ci",
        project_dir=workdir,
        target=workdir,
        pr_number=pr,
        backends=backend_names(args.backends) if args.backends else None,
        args=(str(pr),) if pr is not None else (),
        named_args=frozen_map({"run": str(run_id)} if run_id is not None else {}),
        use_cache=not args.no_cache,
        cassette=cassette_spec(args),
    )


def github_repository(workdir: Path, env: Mapping[str, str]) -> str:
    """owner/name: GITHUB_REPOSITORY, else the checkout's github.com `origin` remote."""
    from lok_action import git
    from lok_action.github.client import repo_from_remote

    return env.get("GITHUB_REPOSITORY") or repo_from_remote(git.origin_url(workdir), workdir)
