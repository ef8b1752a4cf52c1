"""A pull request review: inline comments on diff lines, everything else in the review body.

A quiet review: at most max-inline-comments inline (most severe, most agreed first), none below
inline-min-severity; the others are listed in the review body's table.

Findings already posted on this PR (by fingerprint marker, in a review comment, a review body or an
earlier fallback issue comment) are not posted again. When GitHub refuses the inline comments (422), the same review is sent again with
every finding in its body, and if that fails too, as an issue comment: a finding is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from lok_action.findings.model import Finding, Severity, severity_at_least, sort_findings
from lok_action.github.client import RepoHandle
from lok_action.github.diffmap import DiffMap
from lok_action.github.markers import fingerprints_in
from lok_action.github.render import inline_comment_body, key_of, review_body
from lok_action.outcome import Outcome
from lok_action.request import ReviewMode

ReviewAction = Literal["created", "fallback-body", "fallback-comment", "nothing-new", "skipped"]
# Marks the issue comment a twice-refused review became, so the next run counts its findings as posted.
FALLBACK_MARKER = "<!-- lok:review-fallback -->"


@dataclass
class ReviewResult:
    action: ReviewAction
    inline: int = 0
    in_body: int = 0
    already_posted: int = 0
    errors: list[str] = field(default_factory=list)


def posted_fingerprints(pull: Any) -> set[str]:
    seen: set[str] = set()
    for comment in pull.get_review_comments():
        seen |= fingerprints_in(comment.body)
    for review in pull.get_reviews():
        seen |= fingerprints_in(review.body)
    for comment in pull.as_issue().get_comments():
        if FALLBACK_MARKER in (comment.body or ""):
            seen |= fingerprints_in(comment.body)
    return seen


def build_inline(
    findings: list[Finding], diff: DiffMap, max_inline: int = 10, min_severity: Severity = "low"
) -> tuple[list[dict[str, object]], list[Finding]]:
    """Inline comments for at most ``max_inline`` findings at or above ``min_severity``, most severe and
    most agreed first (the report order); the others, and those outside the diff, for the body."""
    comments: list[dict[str, object]] = []
    outside: list[Finding] = []
    for finding in sort_findings(findings):
        quiet = len(comments) >= max_inline or not severity_at_least(finding.severity, min_severity)
        placement = None if quiet else diff.place(finding.file, finding.start_line, finding.end_line)
        if placement is None:
            outside.append(finding)
            continue
        suggestion = bool(finding.suggested_fix) and placement.covers_whole_finding
        comments.append(placement.to_review_comment(inline_comment_body(finding, suggestion)))
    return comments, outside


def publish_review(
    handle: RepoHandle,
    number: int,
    outcome: Outcome,
    mode: ReviewMode = "inline",
    max_inline: int = 10,
    min_severity: Severity = "low",
) -> ReviewResult:
    from github import GithubException

    if mode == "off":
        return ReviewResult("skipped")
    pull = handle.repo().get_pull(number)
    seen = posted_fingerprints(pull)
    reported = outcome.reported
    fresh = [f for f in reported if key_of(f) not in seen]
    already = len(reported) - len(fresh)
    if not fresh:
        return ReviewResult("nothing-new", already_posted=already)
    if mode == "inline":
        diff = DiffMap.from_patches((f.filename, f.patch) for f in pull.get_files())
        comments, outside = build_inline(fresh, diff, max_inline, min_severity)
    else:
        comments, outside = [], fresh
    path = f"/repos/{handle.full_name}/pulls/{number}/reviews"
    payload: dict[str, Any] = {
        "commit_id": pull.head.sha,
        "event": "COMMENT",
        "body": review_body(outcome, len(comments), outside, fallback=False),
    }
    if comments:
        payload["comments"] = comments
    errors: list[str] = []
    try:
        handle.request_json("POST", path, payload)
        return ReviewResult("created", inline=len(comments), in_body=len(outside), already_posted=already)
    except GithubException as error:
        if error.status != 422:
            raise
        errors.append(f"inline review refused: {error.data}")
    # 422: a line GitHub does not consider part of the diff. Everything goes into the body.
    payload = {
        "commit_id": pull.head.sha,
        "event": "COMMENT",
        "body": review_body(outcome, 0, fresh, fallback=True),
    }
    try:
        handle.request_json("POST", path, payload)
        return ReviewResult("fallback-body", in_body=len(fresh), already_posted=already, errors=errors)
    except GithubException as error:
        if error.status != 422:
            raise
        errors.append(f"review refused: {error.data}")
    pull.as_issue().create_comment(f"{FALLBACK_MARKER}\n{review_body(outcome, 0, fresh, fallback=True)}")
    return ReviewResult("fallback-comment", in_body=len(fresh), already_posted=already, errors=errors)
