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


ACTIONS_BOT = "github-actions[bot]"  # who the Actions GITHUB_TOKEN posts as


def latest_lok_comment(handle: RepoHandle, issue: Issue) -> IssueComment | None:
    """The newest comment carrying lok's marker that lok itself wrote, if any."""
    marked = [c for c in issue.get_comments() if REPORT_MARKER in (c.body or "")]
    if not marked:
        return None
    login = own_login(handle)
    mine = [c for c in marked if written_by_us(c.user, login)]
    return mine[-1] if mine else None


VIEWER_QUERY = "query { viewer { login } }"


def own_login(handle: RepoHandle) -> str:
    """The login the token posts as: GET /user for a person's token; GitHub App installation tokens
    get 403 there, and GraphQL's `viewer` names their bot ("my-app[bot]"). "" when neither says.
    Asked once per handle (a run looks its own comments, threads and issues up many times); an answer
    lost to an error (a 5xx, a rate limit) is not kept, so the next lookup asks again."""
    if handle.known_login is None:
        login = _ask_own_login(handle)
        if login is None:
            return ""
        handle.known_login = login
    return handle.known_login


def _ask_own_login(handle: RepoHandle) -> str | None:
    """The login, "" when GitHub says nothing usable, None when an error kept it from saying."""
    from github import GithubException, RateLimitExceededException

    try:
        return str(handle.gh.get_user().login or "")
    except RateLimitExceededException:
        return None
    except GithubException as error:
        if error.status != 403:  # what an installation token gets; anything else says nothing of the token
            return None
    try:
        _headers, data = handle.gh.requester.graphql_query(VIEWER_QUERY, {})
    except GithubException:
        return None
    login = ((data.get("data") or {}).get("viewer") or {}).get("login") if isinstance(data, dict) else None
    if not isinstance(login, str) or not login:
        return ""
    # only an installation token is refused GET /user, and it always acts as its app's bot, which
    # GraphQL may name without the "[bot]" that REST authors carry
    return login if login.endswith("[bot]") else f"{login}[bot]"


def written_by_us(author: NamedUser | Organization | None, login: str) -> bool:
    """Whether a comment carrying lok's marker is lok's own, not someone's copy of the marker (whose
    comment lok would then keep editing, while they could edit the "report" too)."""
    if author is None:
        return False
    return is_our_login(str(author.login or ""), author.type == "Bot", login)


def is_our_login(author: str, bot: bool, own: str) -> bool:
    """The author is the token's own login (``own``, see own_login), or, when the token may not say who
    it is, the Actions bot: not any bot, since other apps' bots can post lok's markers too. GraphQL
    names a bot without the "[bot]" REST gives its login."""
    if not own:
        return bot and author in (ACTIONS_BOT, ACTIONS_BOT.removesuffix("[bot]"))
    if bot:
        return own.endswith("[bot]") and own in (author, f"{author}[bot]")
    return author == own
