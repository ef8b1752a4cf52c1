"""Publish a finished result to every GitHub surface the user asked for.

Read-only runs still write the job summary, annotations, outputs and the SARIF file; the summary says
so. Fork pull requests are known read-only from the event and make no write request at all; any
other token is trusted until GitHub refuses a write (403), after which nothing more is attempted.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lok_action.github.client import RepoHandle, is_write_denied
from lok_action.github.comment import publish_comment
from lok_action.github.issues import create_finding_issues
from lok_action.github.render import comment_markdown, summary_markdown
from lok_action.github.review import publish_review
from lok_action.github.sarif_upload import upload_sarif
from lok_action.github.summary import write_step_summary
from lok_action.github.workflow_commands import append_outputs, write_annotations
from lok_action.outcome import Outcome
from lok_action.request import GitHubSinks

READ_ONLY_NOTE = (
    "Read-only run ({why}): results are in this summary and the SARIF file; nothing was posted to the {kind}."
)


@dataclass
class PublishOptions:
    sinks: GitHubSinks  # which surfaces the request asked for
    summary_path: Path | None = None
    output_path: Path | None = None
    report_path: Path | None = None
    sarif_file: Path | None = None
    read_only_reason: str = ""  # "fork pull request", "read-only token"; "" = may write
    commit_sha: str = ""
    ref: str = ""
    stream: TextIO = field(default_factory=lambda: sys.stdout)


@dataclass
class PublishResult:
    actions: list[str] = field(default_factory=list)  # human-readable, in order
    read_only_reason: str = ""
    failures: list[str] = field(default_factory=list)  # one line per requested sink that failed


def publish(
    handle: RepoHandle | None,
    outcome: Outcome,
    issue_number: int | None,
    pr_number: int | None,
    options: PublishOptions,
) -> PublishResult:
    """Every sink on its own: a failing GitHub write never keeps the summary or outputs from being
    written, and each failure is named on stderr and in the summary (the caller exits 1)."""
    posted = PublishResult(read_only_reason=options.read_only_reason)
    kind = "pull request" if pr_number else "issue" if issue_number else "repository"
    outcome = dataclasses.replace(outcome, notes=list(outcome.notes))  # the caller's Outcome stays as it was
    if posted.read_only_reason:
        outcome.notes.append(READ_ONLY_NOTE.format(why=posted.read_only_reason, kind=kind))
    if options.sinks.annotations:
        write_annotations(outcome.reported, options.stream)
    if handle is not None and not posted.read_only_reason:
        _write_to_github(handle, outcome, issue_number, pr_number, options, posted)
    if posted.read_only_reason and not options.read_only_reason:  # learnt from a 403 on the way
        outcome.notes.append(READ_ONLY_NOTE.format(why=posted.read_only_reason, kind=kind))
    outcome.notes.extend(f"Failed: {failure}" for failure in posted.failures)
    summary = summary_markdown(outcome)
    _local_sink("markdown report", posted, lambda: _write_report(options, summary))
    if options.summary_path is not None:
        summary_path = options.summary_path
        if _local_sink("job summary", posted, lambda: write_step_summary(summary_path, summary)):
            posted.actions.append("job summary written")
    if options.output_path is not None:
        output_path = options.output_path
        _local_sink("step outputs", posted, lambda: _write_outputs(output_path, outcome, options))
    for failure in posted.failures:
        print(f"lok: {failure}", file=sys.stderr)
    return posted


def _write_report(options: PublishOptions, summary: str) -> None:
    from lok_action.atomic import atomic_write_text

    if options.report_path is not None:
        atomic_write_text(options.report_path, summary)


def _write_outputs(path: Path, outcome: Outcome, options: PublishOptions) -> None:
    append_outputs(
        path,
        {
            "findings": json.dumps([f.to_dict() for f in outcome.reported]),
            "verdict": outcome.verdict,
            "sarif-file": str(options.sarif_file or ""),
            "report": str(options.report_path or ""),
        },
    )


def _local_sink(name: str, posted: PublishResult, write: Callable[[], None]) -> bool:
    try:
        write()
    except OSError as error:
        posted.failures.append(f"{name} not written: {error}")
        return False
    return True


def _write_to_github(
    handle: RepoHandle,
    outcome: Outcome,
    issue_number: int | None,
    pr_number: int | None,
    options: PublishOptions,
    posted: PublishResult,
) -> None:
    """Each requested sink is attempted; the first 403 'not accessible' (the token may read but not
    write: a read-only GITHUB_TOKEN) stops all further posting. Other errors fail only their sink."""
    sinks: list[tuple[str, Callable[[], None]]] = []
    wanted, reported = options.sinks, outcome.reported
    if pr_number is not None and wanted.review != "off" and reported:
        sinks.append(
            ("pull request review", lambda: _post_review(handle, pr_number, outcome, options, posted))
        )
    fixed = outcome.review.fixed if outcome.review is not None else []
    if pr_number is not None and wanted.review != "off" and fixed:
        sinks.append(("review threads", lambda: _settle_threads(handle, pr_number, outcome, posted)))
    number = pr_number if pr_number is not None else issue_number
    if number is not None and wanted.comment != "off":
        sinks.append(("lok comment", lambda: _post_comment(handle, number, outcome, options, posted)))
    if wanted.issues and reported:
        sinks.append(("finding issues", lambda: _post_issues(handle, outcome, posted)))
    if wanted.upload_sarif and options.sarif_file is not None and options.sarif_file.exists():
        sinks.append(("SARIF upload", lambda: _post_sarif(handle, options, posted)))
    for name, post in sinks:
        try:
            post()
        except Exception as error:  # noqa: BLE001 - one sink's failure must not cost the others
            if is_write_denied(error):
                posted.read_only_reason = "the token may not write to this repository"
                posted.actions.append(
                    f"{name}: write refused by GitHub (403 Resource not accessible by integration); "
                    "stopped posting, nothing was posted"
                )
                return
            posted.failures.append(f"{name} failed: {_describe(error)}")


def _describe(error: Exception) -> str:
    from github import GithubException

    if isinstance(error, GithubException):
        message = error.data.get("message") if isinstance(error.data, dict) else error.data
        return f"GitHub API error {error.status}: {message}"
    return f"{type(error).__name__}: {error}"


def _post_review(
    handle: RepoHandle, number: int, outcome: Outcome, options: PublishOptions, posted: PublishResult
) -> None:
    sinks = options.sinks
    review = publish_review(
        handle, number, outcome, sinks.review, sinks.max_inline_comments, sinks.inline_min_severity
    )
    posted.actions.append(
        f"review: {review.action} ({review.inline} inline, {review.in_body} in body, {review.already_posted} already posted)"
    )
    posted.actions.extend(review.errors)


def _settle_threads(handle: RepoHandle, number: int, outcome: Outcome, posted: PublishResult) -> None:
    from lok_action.github.threads import settle_fixed_threads

    assert outcome.review is not None
    settled = settle_fixed_threads(handle, number, outcome.review.fixed, outcome.review.head)
    posted.actions.append(
        f"review threads of fixed findings: {settled.resolved} resolved, {settled.replied} answered"
    )


def _post_comment(
    handle: RepoHandle, number: int, outcome: Outcome, options: PublishOptions, posted: PublishResult
) -> None:
    comment = publish_comment(handle, number, comment_markdown(outcome), options.sinks.comment)
    posted.actions.append(f"comment {comment.action}: {comment.url}")


def _post_issues(handle: RepoHandle, outcome: Outcome, posted: PublishResult) -> None:
    issues = create_finding_issues(handle, outcome.reported)
    posted.actions.append(f"issues: {len(issues.created)} created, {len(issues.existing)} already open")


def _post_sarif(handle: RepoHandle, options: PublishOptions, posted: PublishResult) -> None:
    assert options.sarif_file is not None
    upload = upload_sarif(handle, options.sarif_file, options.commit_sha, options.ref)
    posted.actions.append(f"SARIF upload {upload.sarif_id}: {upload.status}")
