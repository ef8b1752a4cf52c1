"""Review threads of findings that are gone: resolved through GraphQL, or answered when the token may not.

GitHub gates `resolveReviewThread` on contents: write; a GITHUB_TOKEN with pull-requests: write only
gets FORBIDDEN, and may still reply to the thread through REST ("no longer found in <sha>").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from lok_action.findings.model import Finding
from lok_action.github.client import RepoHandle
from lok_action.github.markers import fingerprints_in
from lok_action.github.render import key_of

THREADS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $after) {
        nodes {
          id
          isResolved
          comments(first: 1) { nodes { body databaseId author { __typename login } } }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""
RESOLVE_MUTATION = """
mutation($threadId: ID!) { resolveReviewThread(input: {threadId: $threadId}) { thread { id isResolved } } }
"""
NO_LONGER_FOUND = "no longer found in {sha}"


@dataclass
class ThreadResult:
    resolved: int = 0
    replied: int = 0


@dataclass
class _Thread:
    node_id: str
    comment_id: int
    fingerprints: set[str] = field(default_factory=set)


def settle_fixed_threads(
    handle: RepoHandle, number: int, fixed: Sequence[Finding], head: str
) -> ThreadResult:
    """Each open thread lok started for a finding in ``fixed`` is resolved, or (FORBIDDEN) answered."""
    from github import GithubException

    result = ThreadResult()
    gone = {key_of(finding) for finding in fixed}
    if not gone:
        return result
    pull = None
    for thread in _open_lok_threads(handle, number):
        if not thread.fingerprints & gone:
            continue
        try:
            handle.gh.requester.graphql_query(RESOLVE_MUTATION, {"threadId": thread.node_id})
            result.resolved += 1
            continue
        except GithubException as error:
            if not _forbidden(error):
                raise
        pull = pull or handle.repo().get_pull(number)
        pull.create_review_comment_reply(thread.comment_id, NO_LONGER_FOUND.format(sha=head[:7]))
        result.replied += 1
    return result


def _open_lok_threads(handle: RepoHandle, number: int) -> Iterator[_Thread]:
    """Unresolved threads whose first comment is lok's own and carries lok's fingerprint marker."""
    after: str | None = None
    me: list[str] = []  # the token's login, once known
    while True:
        variables = {"owner": handle.owner, "name": handle.name, "number": number, "after": after}
        _headers, data = handle.gh.requester.graphql_query(THREADS_QUERY, variables)
        page = ((data.get("data") or {}).get("repository") or {}).get("pullRequest") or {}
        threads = page.get("reviewThreads") or {}
        for node in threads.get("nodes") or []:
            first = ((node.get("comments") or {}).get("nodes") or [None])[0]
            if node.get("isResolved") or not first or not _by_us(handle, first, me):
                continue
            marks = fingerprints_in(first.get("body"))
            if marks:
                yield _Thread(str(node["id"]), int(first["databaseId"]), marks)
        info = threads.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        after = info.get("endCursor")


def _by_us(handle: RepoHandle, comment: dict[str, Any], me: list[str]) -> bool:
    """lok's own thread: started by the token's login (GET /user, asked once), or by the Actions bot
    when the token may not read /user; a person's or another app's copy of a marker is theirs."""
    from lok_action.github.comment import is_our_login, own_login

    author = comment.get("author") or {}
    if not me:
        me.append(own_login(handle))
    return is_our_login(str(author.get("login") or ""), author.get("__typename") == "Bot", me[0])


def _forbidden(error: Exception) -> bool:
    data = getattr(error, "data", None)
    errors = data.get("errors") if isinstance(data, dict) else None
    return bool(errors) and all(isinstance(e, dict) and e.get("type") == "FORBIDDEN" for e in errors or [])
