"""Publish a finished result to every GitHub surface the user asked for.

Read-only runs (fork pull requests, read-only tokens) still write the job summary, annotations, outputs
and the SARIF file, and make no write request at all; the summary says so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lok_action.errors import UsageError
from lok_action.github.client import RepoHandle, is_write_denied, open_repo, repository_name
from lok_action.github.comment import publish_comment
from lok_action.github.issues import create_finding_issues
from lok_action.github.render import comment_markdown, summary_markdown
from lok_action.github.report import PublishReport
from lok_action.github.review import publish_review
from lok_action.github.sarif_upload import upload_sarif
from lok_action.github.summary import write_step_summary
from lok_action.github.workflow_commands import append_outputs, write_annotations
from lok_action.workflow.model import Workflow
from lok_action.workflow.result import RunResult

if TYPE_CHECKING:
    from lok_action.workflow.runner import RunContext

READ_ONLY_NOTE = (
    "Read-only run ({why}): results are in this summary and the SARIF file; nothing was posted to the {kind}."
)


@dataclass
class PublishOptions:
    comment: str = "update"  # update | new | off
    review: str = "inline"  # inline | summary | off
    issues: bool = False  # one issue per finding (lok hunt --issues)
    annotations: bool = True
    summary_path: Path | None = None
    output_path: Path | None = None
    report_path: Path | None = None
    sarif_file: Path | None = None
    upload_sarif: bool = False
    read_only_reason: str = ""  # "fork pull request", "read-only token"; "" = may write
    commit_sha: str = ""
    ref: str = ""
    stream: TextIO = field(default_factory=lambda: sys.stdout)


@dataclass
class PublishOutcome:
    actions: list[str] = field(default_factory=list)  # human-readable, in order
    read_only_reason: str = ""


def publish(
    handle: RepoHandle | None,
    report: PublishReport,
    issue_number: int | None,
    pr_number: int | None,
    options: PublishOptions,
) -> PublishOutcome:
    from lok_action.atomic import atomic_write_text

    outcome = PublishOutcome(read_only_reason=options.read_only_reason)
    kind = "pull request" if pr_number else "issue" if issue_number else "repository"
    if outcome.read_only_reason:
        report.notes.append(READ_ONLY_NOTE.format(why=outcome.read_only_reason, kind=kind))
    summary = summary_markdown(report)
    if options.report_path is not None:
        atomic_write_text(options.report_path, summary)
    if options.annotations:
        write_annotations(report.sorted_findings(), options.stream)
    if handle is not None and not outcome.read_only_reason:
        _write_to_github(handle, report, issue_number, pr_number, options, outcome)
    if outcome.read_only_reason and not options.read_only_reason:  # learnt from a 403 on the way
        report.notes.append(READ_ONLY_NOTE.format(why=outcome.read_only_reason, kind=kind))
        summary = summary_markdown(report)
    if options.summary_path is not None:
        write_step_summary(options.summary_path, summary)
        outcome.actions.append("job summary written")
    if options.output_path is not None:
        append_outputs(
            options.output_path,
            {
                "findings": json.dumps([f.to_dict() for f in report.sorted_findings()]),
                "verdict": report.verdict,
                "sarif-file": str(options.sarif_file or ""),
                "report": str(options.report_path or ""),
            },
        )
    return outcome


def _write_to_github(
    handle: RepoHandle,
    report: PublishReport,
    issue_number: int | None,
    pr_number: int | None,
    options: PublishOptions,
    outcome: PublishOutcome,
) -> None:
    from github import GithubException

    try:
        if pr_number is not None and options.review != "off" and report.findings:
            result = publish_review(handle, pr_number, report, options.review)
            outcome.actions.append(
                f"review: {result.action} ({result.inline} inline, {result.in_body} in body, {result.already_posted} already posted)"
            )
            outcome.actions.extend(result.errors)
        number = pr_number if pr_number is not None else issue_number
        if number is not None and options.comment != "off":
            comment = publish_comment(handle, number, comment_markdown(report), options.comment)
            outcome.actions.append(f"comment {comment.action}: {comment.url}")
        if options.issues and report.findings:
            issues = create_finding_issues(handle, report.sorted_findings())
            outcome.actions.append(
                f"issues: {len(issues.created)} created, {len(issues.existing)} already open"
            )
        if options.upload_sarif and options.sarif_file is not None and options.sarif_file.exists():
            upload = upload_sarif(handle, options.sarif_file, options.commit_sha, options.ref)
            outcome.actions.append(f"SARIF upload {upload.sarif_id}: {upload.status}")
    except GithubException as error:
        if not is_write_denied(error):
            raise
        outcome.read_only_reason = "the token may not write to this repository"
        outcome.actions.append("write refused by GitHub (403); stopped posting")


# ---------------------------------------------------------------- `lok run` with `publish` set


def report_from_run(
    workflow: Workflow, result: RunResult, workdir: Path, min_consensus: int = 1
) -> PublishReport:
    from lok_action.findings import apply_min_consensus
    from lok_action.github.collect import findings_from_run
    from lok_action.github.report import BackendStatus

    findings, dropped = findings_from_run(workflow, result, workdir)
    statuses: dict[str, BackendStatus] = {}
    for step in result.steps.values():
        for reply in step.replies:
            status = statuses.setdefault(reply.backend, BackendStatus(reply.backend, ok=False, cost_usd=None))
            status.ok = status.ok or reply.ok
            if reply.cost_usd is not None:
                status.cost_usd = (status.cost_usd or 0.0) + reply.cost_usd
            if not reply.ok and not status.detail:
                status.detail = (reply.error or "failed")[:120]
    for name, count in dropped.items():
        if count and name in statuses:
            statuses[name].detail = f"{count} answer(s)/finding(s) dropped as malformed"
    used = {dep for step in workflow.steps for dep in step.depends_on}
    finals = [result.steps[s.name] for s in workflow.steps if s.name not in used and s.name in result.steps]
    texts = [
        step.output if isinstance(step.output, str) else json.dumps(step.output, indent=2)
        for step in finals
        if step.status == "success" and not _is_findings_step(workflow, step.name)
    ]
    return PublishReport(
        title=workflow.name,
        findings=apply_min_consensus(findings, min_consensus),
        backends=[statuses[name] for name in sorted(statuses)],
        text="\n\n".join(t.strip() for t in texts if t.strip()),
        min_consensus=min_consensus,
    )


def _is_findings_step(workflow: Workflow, name: str) -> bool:
    return any(step.findings for step in workflow.steps if step.name == name)


def publish_workflow_result(
    workflow: Workflow,
    result: RunResult,
    args: argparse.Namespace,
    env: Mapping[str, str] | None = None,
    context: RunContext | None = None,
) -> PublishOutcome:
    """Called by `lok run NAME NUMBER` when the workflow has `publish` set (terminal or CI). With a
    read-only token nothing is written (not even attempted) and stderr says so."""
    from lok_action.github.client import token_read_only
    from lok_action.github.pr_review import PullRequestChunker, review_analysis
    from lok_action.github.report import report_from_analysis

    env = dict(os.environ if env is None else env)
    workdir = Path(getattr(args, "dir", ".") or ".").resolve()
    positional = [a for a in getattr(args, "args", []) if "=" not in a]
    if not positional or not positional[0].isdigit():
        raise UsageError(
            f"workflow '{workflow.name}' publishes to GitHub: give the issue or PR number, e.g. lok run {workflow.name} 123"
        )
    number = int(positional[0])
    min_consensus = int(env.get("LOK_MIN_CONSENSUS", "1") or 1)
    handle = open_repo(repository_name(workdir, env), env)
    chunker = context.chunker if context is not None else None
    if isinstance(chunker, PullRequestChunker):
        report = report_from_analysis(review_analysis(workflow, result, chunker, workdir, min_consensus))
    else:
        report = report_from_run(workflow, result, workdir, min_consensus)
    read_only = token_read_only(handle)
    if read_only:
        print(
            f"github: {read_only}: the token may not write to {handle.full_name}, so nothing was posted "
            f"(the result is above)",
            file=sys.stderr,
        )
    options = PublishOptions(
        annotations=False,
        issues=workflow.publish == "issues",
        comment="off" if workflow.publish == "issues" else "update",
        read_only_reason=read_only,
        stream=sys.stderr,
    )
    pr = number if workflow.publish == "pr-review" else None
    outcome = publish(handle, report, None if pr else number, pr, options)
    for line in outcome.actions:
        print(f"github: {line}", file=sys.stderr)
    return outcome
