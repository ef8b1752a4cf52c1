"""`lok hunt --issues`: one GitHub issue per new finding, never two for the same fingerprint, and the
issues of findings that are gone closed.

Before creating, the repository's issues (open and closed) are searched for the fingerprint marker. A
closed one is reopened when lok closed it (closed by lok's account, with lok's closing comment and no
reopen since, not as "not planned") and its finding is back; one a person closed stays closed, so
"won't fix" is respected.
Only issues lok wrote are ever closed or reopened. Labels are only applied when they exist: the action
never creates labels as a side effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lok_action.findings.model import Finding
from lok_action.github.client import RepoHandle
from lok_action.github.comment import own_login, written_by_us
from lok_action.github.markers import CLOSED_MARKER, file_in, file_marker, fingerprints_in
from lok_action.github.render import finding_details, key_of

if TYPE_CHECKING:
    from github.Issue import Issue

DEFAULT_LABELS = ("lok",)


@dataclass
class IssuesResult:
    created: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    labels_missing: list[str] = field(default_factory=list)


def issue_for_fingerprint(handle: RepoHandle, fingerprint: str) -> Issue | None:
    query = f'repo:{handle.full_name} is:issue in:body "lok-fingerprint: {fingerprint}"'
    for issue in handle.gh.search_issues(query):
        if f"lok-fingerprint: {fingerprint} " in (issue.body or ""):
            return issue
    return None


def closed_by_lok(handle: RepoHandle, issue: Issue) -> bool:
    """Whether lok closed ``issue`` as no longer found: lok wrote it and closed it (GitHub's closed_by),
    not as "not planned", lok's closing comment is on it, and nobody reopened it since that comment.
    Anything else is a person's decision: one who runs lok with their own token closes as the same
    login, so a reopen after lok's last closing comment is what tells their close from lok's."""
    if issue.state != "closed" or issue.state_reason == "not_planned":
        return False
    login = own_login(handle)
    if not written_by_us(issue.user, login) or not written_by_us(issue.closed_by, login):
        return False
    closings = [
        comment.created_at
        for comment in issue.get_comments()
        if closing_comment(comment.body or "") and written_by_us(comment.user, login)
    ]
    if not closings:
        return False
    if any(when is None for when in closings):
        return False  # no time to compare with: leave it to a person
    last_closing = max(closings)
    # GitHub's times are to the second: a reopen in the very second of lok's comment counts as after it
    # (lok never closes and reopens one issue in one run, so a tie can only be someone else's reopen)
    return not any(
        event.event == "reopened" and (event.created_at is None or event.created_at >= last_closing)
        for event in issue.get_events()
    )


# how lok's closing comment began before it carried CLOSED_MARKER: those issues are lok-closed too
LEGACY_CLOSING = "`lok hunt` no longer finds this in `"


def closing_comment(body: str) -> bool:
    return CLOSED_MARKER in body or body.startswith(LEGACY_CLOSING)


def label_exists(handle: RepoHandle, name: str) -> bool:
    """The REST subset the action may use has no label listing; an existing label is one that issues
    of this repository carry (searching by label is the read-only way to learn that)."""
    result = handle.gh.search_issues(f'repo:{handle.full_name} label:"{name}"')
    return result.totalCount > 0


def issue_title(finding: Finding) -> str:
    return f"[lok] {finding.severity}: {finding.title} ({finding.file}:{finding.start_line})"[:250]


def create_finding_issues(
    handle: RepoHandle, findings: list[Finding], labels: tuple[str, ...] = DEFAULT_LABELS, commit: str = ""
) -> IssuesResult:
    """File each finding with no issue yet; reopen the issue lok closed of one that is back (a comment
    naming ``commit``); leave the others (open, or closed by a person) as they are."""
    result = IssuesResult()
    usable: list[str] = []
    for name in labels:
        (usable if label_exists(handle, name) else result.labels_missing).append(name)
    repo = handle.repo()
    for finding in findings:
        key = key_of(finding)
        known = issue_for_fingerprint(handle, key)
        if known is not None and closed_by_lok(handle, known):
            at = f" at {commit}" if commit else ""
            known.create_comment(f"`lok hunt` finds this again in `{finding.file}`{at}: reopening.")
            known.edit(state="open")
            result.reopened.append(int(known.number))
            continue
        if known is not None:
            result.existing.append(int(known.number))
            continue
        # the file marker is the first line: the only place file_in reads, above any model text
        body = file_marker(finding.file) + "\nFound by `lok hunt`.\n\n" + finding_details(finding)
        issue = (
            repo.create_issue(title=issue_title(finding), body=body, labels=usable)
            if usable
            else repo.create_issue(title=issue_title(finding), body=body)
        )
        result.created.append(issue.number)
    return result


def close_fixed_issues(handle: RepoHandle, found: set[str], analysed: set[str], commit: str) -> list[int]:
    """Close the open issues lok filed whose finding this run no longer found in a file it analysed
    (``analysed``: the files analysed, and the ones deleted since --since), each with a comment naming
    ``commit``. An issue about a file not analysed this run is left alone: absence proves nothing there."""
    closed: list[int] = []
    login: str | None = None  # asked once, when an issue needs it
    for issue in handle.repo().get_issues(state="open"):
        if issue.pull_request is not None:
            continue  # the issues listing holds pull requests too
        body = issue.body or ""
        fingerprints = fingerprints_in(body)
        path = file_in(body)
        if not fingerprints or path is None or path not in analysed or fingerprints & found:
            continue
        if login is None:
            login = own_login(handle)
        if not written_by_us(issue.user, login):
            continue  # someone's issue that carries lok's markers is theirs to close
        issue.create_comment(
            f"`lok hunt` no longer finds this in `{path}` at {commit}: closing."
            " Reopen it if the problem is still there; lok reopens it if it finds it again.\n\n"
            + CLOSED_MARKER
        )
        issue.edit(state="closed", state_reason="completed")
        closed.append(int(issue.number))
    return closed
