"""The one lok comment on an issue or PR: found again by its hidden marker and edited in place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from lok_action.github.client import RepoHandle
from lok_action.github.markers import REPORT_MARKER
from lok_action.request import CommentMode

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment
    from github.NamedUser import NamedUser
    from github.Organization import Organization

CommentAction = Literal["created", "updated", "skipped"]


@dataclass
class CommentResult:
    action: CommentAction
    url: str = ""
    comment_id: int | None = None


def publish_comment(
    handle: RepoHandle, number: int, body: str, mode: CommentMode = "update"
) -> CommentResult:
    if mode == "off":
        return CommentResult("skipped")
    if REPORT_MARKER not in body:
        body = f"{REPORT_MARKER}\n{body}"
    issue = handle.repo().get_issue(number)
    if mode == "update":
        latest = latest_lok_comment(handle, issue)
        if latest is not None:
            if latest.body != body:
                latest.edit(body)
            return CommentResult("updated", latest.html_url, latest.id)
    created = issue.create_comment(body)
    return CommentResult("created", created.html_url, created.id)


def latest_lok_comment(handle: RepoHandle, issue: Issue) -> IssueComment | None:
    """The newest comment carrying lok's marker that lok itself wrote, if any."""
    marked = [c for c in issue.get_comments() if REPORT_MARKER in (c.body or "")]
    mine = [c for c in marked if written_by_us(handle, c.user)]
    return mine[-1] if mine else None


def written_by_us(handle: RepoHandle, author: NamedUser | Organization | None) -> bool:
    """Whether a comment carrying lok's marker is lok's own, not someone's copy of the marker (whose
    comment lok would then keep editing, while they could edit the "report" too). The Actions token
    posts as a bot; a personal token posts as its user, learnt from GET /user only when needed."""
    if author is None:
        return False
    if author.type == "Bot":
        return True
    from github import GithubException

    try:
        return bool(author.login == handle.gh.get_user().login)
    except GithubException:  # an installation token may not read /user: only bot comments are ours
        return False
