"""Publish a finished result to every GitHub surface the user asked for.

Read-only runs still write the job summary, annotations, outputs and the SARIF file; the summary says
so. Fork pull requests are known read-only from the event and make no write request at all; any
other token is trusted until GitHub refuses a write (403), after which nothing more is attempted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
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
from lok_action.ranges import CONSENSUS, ISSUE_NUMBER
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
    failures: list[str] = field(default_factory=list)  # one line per requested sink that failed


def publish(
    handle: RepoHandle | None,
    report: PublishReport,
    issue_number: int | None,
    pr_number: int | None,
    options: PublishOptions,
) -> PublishOutcome:
    """Every sink on its own: a failing GitHub write never keeps the summary or outputs from being
    written, and each failure is named on stderr and in the summary (the caller exits 1)."""
    outcome = PublishOutcome(read_only_reason=options.read_only_reason)
    kind = "pull request" if pr_number else "issue" if issue_number else "repository"
    if outcome.read_only_reason:
        report.notes.append(READ_ONLY_NOTE.format(why=outcome.read_only_reason, kind=kind))
    if options.annotations:
        write_annotations(report.sorted_findings(), options.stream)
    if handle is not None and not outcome.read_only_reason:
        _write_to_github(handle, report, issue_number, pr_number, options, outcome)
    if outcome.read_only_reason and not options.read_only_reason:  # learnt from a 403 on the way
        report.notes.append(READ_ONLY_NOTE.format(why=outcome.read_only_reason, kind=kind))
    report.notes.extend(f"Failed: {failure}" for failure in outcome.failures)
    summary = summary_markdown(report)
    _local_sink("markdown report", outcome, lambda: _write_report(options, summary))
    if options.summary_path is not None:
        summary_path = options.summary_path
        if _local_sink("job summary", outcome, lambda: write_step_summary(summary_path, summary)):
            outcome.actions.append("job summary written")
    if options.output_path is not None:
        output_path = options.output_path
        _local_sink("step outputs", outcome, lambda: _write_outputs(output_path, report, options))
    for failure in outcome.failures:
        print(f"lok: {failure}", file=sys.stderr)
    return outcome


def _write_report(options: PublishOptions, summary: str) -> None:
    from lok_action.atomic import atomic_write_text

    if options.report_path is not None:
        atomic_write_text(options.report_path, summary)


def _write_outputs(path: Path, report: PublishReport, options: PublishOptions) -> None:
    append_outputs(
        path,
        {
            "findings": json.dumps([f.to_dict() for f in report.sorted_findings()]),
            "verdict": report.verdict,
            "sarif-file": str(options.sarif_file or ""),
            "report": str(options.report_path or ""),
        },
    )


def _local_sink(name: str, outcome: PublishOutcome, write: Callable[[], None]) -> bool:
    try:
        write()
    except OSError as error:
        outcome.failures.append(f"{name} not written: {error}")
        return False
    return True


def _write_to_github(
    handle: RepoHandle,
    report: PublishReport,
    issue_number: int | None,
    pr_number: int | None,
    options: PublishOptions,
    outcome: PublishOutcome,
) -> None:
    """Each requested sink is attempted; the first 403 'not accessible' (the token may read but not
    write: a read-only GITHUB_TOKEN) stops all further posting. Other errors fail only their sink."""
    sinks: list[tuple[str, Callable[[], None]]] = []
    if pr_number is not None and options.review != "off" and report.findings:
        sinks.append(
            ("pull request review", lambda: _post_review(handle, pr_number, report, options, outcome))
        )
    number = pr_number if pr_number is not None else issue_number
    if number is not None and options.comment != "off":
        sinks.append(("lok comment", lambda: _post_comment(handle, number, report, options, outcome)))
    if options.issues and report.findings:
        sinks.append(("finding issues", lambda: _post_issues(handle, report, outcome)))
    if options.upload_sarif and options.sarif_file is not None and options.sarif_file.exists():
        sinks.append(("SARIF upload", lambda: _post_sarif(handle, options, outcome)))
    for name, post in sinks:
        try:
            post()
        except Exception as error:  # noqa: BLE001 - one sink's failure must not cost the others
            if is_write_denied(error):
                outcome.read_only_reason = "the token may not write to this repository"
                outcome.actions.append(
                    f"{name}: write refused by GitHub (403 Resource not accessible by integration); "
                    "stopped posting, nothing was posted"
                )
                return
            outcome.failures.append(f"{name} failed: {_describe(error)}")


def _describe(error: Exception) -> str:
    from github import GithubException

    if isinstance(error, GithubException):
        message = error.data.get("message") if isinstance(error.data, dict) else error.data
        return f"GitHub API error {error.status}: {message}"
    return f"{type(error).__name__}: {error}"


def _post_review(
    handle: RepoHandle, number: int, report: PublishReport, options: PublishOptions, outcome: PublishOutcome
) -> None:
    result = publish_review(handle, number, report, options.review)
    outcome.actions.append(
        f"review: {result.action} ({result.inline} inline, {result.in_body} in body, {result.already_posted} already posted)"
    )
    outcome.actions.extend(result.errors)


def _post_comment(
    handle: RepoHandle, number: int, report: PublishReport, options: PublishOptions, outcome: PublishOutcome
) -> None:
    comment = publish_comment(handle, number, comment_markdown(report), options.comment)
    outcome.actions.append(f"comment {comment.action}: {comment.url}")


def _post_issues(handle: RepoHandle, report: PublishReport, outcome: PublishOutcome) -> None:
    issues = create_finding_issues(handle, report.sorted_findings())
    outcome.actions.append(f"issues: {len(issues.created)} created, {len(issues.existing)} already open")


def _post_sarif(handle: RepoHandle, options: PublishOptions, outcome: PublishOutcome) -> None:
    assert options.sarif_file is not None
    upload = upload_sarif(handle, options.sarif_file, options.commit_sha, options.ref)
    outcome.actions.append(f"SARIF upload {upload.sarif_id}: {upload.status}")


# ---------------------------------------------------------------- `lok run` with `publish` set


def report_from_run(
    workflow: Workflow, result: RunResult, workdir: Path, min_consensus: int = 1
) -> PublishReport:
    from lok_action.findings.model import apply_min_consensus
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


def publish_inputs(workflow: Workflow, args: argparse.Namespace, env: Mapping[str, str]) -> tuple[int, int]:
    """The issue or PR number and LOK_MIN_CONSENSUS of `lok run NAME NUMBER` for a workflow with
    `publish` set; `lok run` asks before any step runs, so a bad one costs nothing."""
    positional = [a for a in getattr(args, "args", []) if "=" not in a]
    if not positional:
        raise UsageError(
            f"workflow '{workflow.name}' publishes to GitHub: give the issue or PR number, e.g. lok run {workflow.name} 123"
        )
    number = int(ISSUE_NUMBER.parse(f"workflow '{workflow.name}': the issue or PR number", positional[0]))
    min_consensus = int(CONSENSUS.parse("LOK_MIN_CONSENSUS", env.get("LOK_MIN_CONSENSUS", "") or "1"))
    return number, min_consensus


def publish_workflow_result(
    workflow: Workflow,
    result: RunResult,
    args: argparse.Namespace,
    env: Mapping[str, str] | None = None,
    context: RunContext | None = None,
) -> PublishOutcome:
    """Called by `lok run NAME NUMBER` when the workflow has `publish` set (terminal or CI). A
    read-only token is found out by GitHub's 403 on the first write: nothing more is tried and
    stderr says so."""
    from lok_action.github.pr_review import PullRequestChunker, review_analysis
    from lok_action.github.report import report_from_analysis

    env = dict(os.environ if env is None else env)
    workdir = Path(getattr(args, "dir", ".") or ".").resolve()
    number, min_consensus = publish_inputs(workflow, args, env)
    handle = open_repo(repository_name(workdir, env), env)
    chunker = context.chunker if context is not None else None
    if isinstance(chunker, PullRequestChunker):
        report = report_from_analysis(review_analysis(workflow, result, chunker, workdir, min_consensus))
    else:
        report = report_from_run(workflow, result, workdir, min_consensus)
    options = PublishOptions(
        annotations=False,
        issues=workflow.publish == "issues",
        comment="off" if workflow.publish == "issues" else "update",
        stream=sys.stderr,
    )
    pr = number if workflow.publish == "pr-review" else None
    outcome = publish(handle, report, None if pr else number, pr, options)
    for line in outcome.actions:
        print(f"github: {line}", file=sys.stderr)
    if outcome.read_only_reason:
        print(
            f"github: read-only token: the token may not write to {handle.full_name}, so nothing was posted "
            f"(the result is above)",
            file=sys.stderr,
        )
    return outcome
