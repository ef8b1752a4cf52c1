"""The one lok comment on an issue or PR: found again by its hidden marker and edited in place."""

from __future__ import annotations

from dataclasses import dataclass

from lok_action.github.client import RepoHandle
from lok_action.github.markers import REPORT_MARKER

COMMENT_MODES = ("update", "new", "off")


@dataclass
class CommentResult:
    action: str  # "created" | "updated" | "skipped"
    url: str = ""
    comment_id: int | None = None


def publish_comment(handle: RepoHandle, number: int, body: str, mode: str = "update") -> CommentResult:
    if mode == "off":
        return CommentResult("skipped")
    if REPORT_MARKER not in body:
        body = f"{REPORT_MARKER}\n{body}"
    issue = handle.repo().get_issue(number)
    if mode == "update":
        mine = [c for c in issue.get_comments() if REPORT_MARKER in (c.body or "")]
        if mine:
            latest = mine[-1]
            if latest.body != body:
                latest.edit(body)
            return CommentResult("updated", latest.html_url, latest.id)
    created = issue.create_comment(body)
    return CommentResult("created", created.html_url, created.id)
