"""The GitHub stand-in's GraphQL endpoint, driven by PyGithub over real HTTP: review threads listed and
resolved through GitHub's published schema, GitHub's refusals, and the REST replies that are the fallback.

The `github_stand_in` fixture fails a test at teardown on any violation; the tests that show a wrong
request is caught start their own stand-in and read its violations instead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import github
import pytest
import requests

from tests.fakes.git_repos import PullRequestRepo, run_git
from tests.fakes.github_fixtures import READ_TOKEN, REPO, WRITE_TOKEN
from tests.fakes.github_graphql import global_id, parse_global_id
from tests.fakes.github_server import PULL_REQUESTS_WRITE, GitHubStandIn

PULLS_TOKEN = "ghs_pullstoken0000000000000000000000"  # pull-requests: write, contents: read

THREADS = """
query Threads($owner: String!, $name: String!, $number: Int!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: $first, after: $after) {
        totalCount
        nodes {
          id
          isResolved
          isOutdated
          path
          line
          viewerCanResolve
          viewerCanReply
          comments(first: 1) { totalCount nodes { body databaseId author { login } } }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""

RESOLVE = (
    "mutation Resolve($id: ID!) { resolveReviewThread(input: {threadId: $id}) { thread { id isResolved } } }"
)


def client(server: GitHubStandIn, token: str = WRITE_TOKEN) -> github.Github:
    return github.Github(auth=github.Auth.Token(token), base_url=server.url, retry=None)


def open_pr(server: GitHubStandIn, repo: PullRequestRepo) -> int:
    server.add_token(PULLS_TOKEN, PULL_REQUESTS_WRITE)
    server.state.add_repo(REPO)
    return int(
        server.state.add_pull_request(REPO, repo.path, "main", "feature", "Add first_item", "")["number"]
    )


def review_with_comments(gh: github.Github, number: int, lines: list[int]) -> list[int]:
    """A review through REST with one inline comment per line of app.py; their REST ids, in order."""
    pull = gh.get_repo(REPO).get_pull(number)
    pull.create_review(
        commit=head_commit(gh, pull.head.sha),
        body="lok review",
        event="COMMENT",
        comments=[
            {"path": "app.py", "line": line, "side": "RIGHT", "body": f"finding at {line}"} for line in lines
        ],
    )
    return sorted(c.id for c in pull.get_review_comments())


def head_commit(gh: github.Github, sha: str) -> Any:
    """A Commit that PyGithub does not fetch (the stand-in serves no commits endpoint)."""
    return gh.withLazy(True).get_repo(REPO).get_commit(sha)


def threads(gh: github.Github, number: int, first: int = 100, after: str | None = None) -> dict[str, Any]:
    owner, name = REPO.split("/")
    variables = {"owner": owner, "name": name, "number": number, "first": first, "after": after}
    _headers, data = gh.requester.graphql_query(THREADS, variables)
    page: dict[str, Any] = data["data"]["repository"]["pullRequest"]["reviewThreads"]
    return page


def post_graphql(
    server: GitHubStandIn, token: str, query: str, variables: dict[str, Any]
) -> requests.Response:
    return requests.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"bearer {token}"},
        timeout=30,
    )


@pytest.fixture
def own_stand_in(github_openapi: Any) -> Iterator[GitHubStandIn]:
    """A stand-in whose violations the test reads itself (github_stand_in would fail on them)."""
    server = GitHubStandIn(github_openapi).start()
    server.add_token(WRITE_TOKEN, "write")
    server.add_token(READ_TOKEN, "read")
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- threads: list, resolve, see it resolved


def test_threads_are_listed_resolved_and_seen_resolved(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    gh = client(github_stand_in)
    first_id, second_id = review_with_comments(gh, number, [13, 18])

    page = threads(gh, number)
    assert page["totalCount"] == 2 and page["pageInfo"]["hasNextPage"] is False
    listed = page["nodes"]
    assert [(t["path"], t["line"], t["isResolved"], t["isOutdated"]) for t in listed] == [
        ("app.py", 13, False, False),
        ("app.py", 18, False, False),
    ]
    # each thread's first comment is the REST review comment: same id, body and author
    assert [t["comments"]["nodes"][0]["databaseId"] for t in listed] == [first_id, second_id]
    assert listed[0]["comments"]["nodes"][0] == {
        "body": "finding at 13",
        "databaseId": first_id,
        "author": {"login": "github-actions[bot]"},
    }
    assert all(t["id"].startswith("PRRT_kwDO") and t["viewerCanResolve"] for t in listed)
    assert len({t["id"] for t in listed}) == 2

    _headers, payload = gh.requester.graphql_named_mutation(
        "resolveReviewThread", {"threadId": listed[0]["id"]}, "thread { id isResolved }"
    )
    assert payload == {"thread": {"id": listed[0]["id"], "isResolved": True}}

    again = threads(gh, number)["nodes"]
    assert [(t["id"], t["isResolved"], t["viewerCanResolve"]) for t in again] == [
        (listed[0]["id"], True, False),
        (listed[1]["id"], False, True),
    ]
    assert github_stand_in.state.resolved_threads == {first_id: "github-actions[bot]"}
    # the thread ids are stable: the same thread has the same id in every answer
    assert threads(gh, number)["nodes"][0]["id"] == listed[0]["id"]
    assert len(github_stand_in.graphql_requests()) == 4


def test_node_ids_are_githubs_shape_and_decode_back() -> None:
    thread_id = global_id("PRRT", 1001, 4242)
    assert thread_id.startswith("PRRT_kwDO") and len(thread_id) == len("PRRT_") + 16
    assert parse_global_id("PRRT", thread_id) == (1001, 4242)
    assert parse_global_id("PRRC", thread_id) is None  # a thread id does not name a comment
    assert parse_global_id("PRRT", "PRRT_not-an-id") is None


def test_threads_page_with_first_and_after(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    gh = client(github_stand_in)
    review_with_comments(gh, number, [13, 14, 18])
    first = threads(gh, number, first=2)
    assert [t["line"] for t in first["nodes"]] == [13, 14] and first["pageInfo"]["hasNextPage"] is True
    rest = threads(gh, number, first=2, after=first["pageInfo"]["endCursor"])
    assert [t["line"] for t in rest["nodes"]] == [18] and rest["pageInfo"]["hasNextPage"] is False


def test_node_query_answers_a_thread(github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    gh = client(github_stand_in)
    review_with_comments(gh, number, [13])
    (thread,) = threads(gh, number)["nodes"]
    _headers, data = gh.requester.graphql_node(thread["id"], "isResolved path", "PullRequestReviewThread")
    assert data["data"]["node"] == {
        "__typename": "PullRequestReviewThread",
        "isResolved": False,
        "path": "app.py",
    }


# ---------------------------------------------------------------- GitHub's refusals (answers, not violations)


def test_read_only_token_gets_forbidden_the_way_github_answers(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    review_with_comments(client(github_stand_in), number, [13])
    (thread,) = threads(client(github_stand_in, READ_TOKEN), number)["nodes"]
    assert (thread["viewerCanResolve"], thread["viewerCanReply"]) == (False, False)

    answer = post_graphql(github_stand_in, READ_TOKEN, RESOLVE, {"id": thread["id"]})
    assert answer.status_code == 200
    body = answer.json()
    assert body["data"] == {"resolveReviewThread": None}
    (error,) = body["errors"]
    assert error["type"] == "FORBIDDEN" and error["message"] == "Resource not accessible by integration"
    assert error["path"] == ["resolveReviewThread"] and error["extensions"] == {"saml_failure": False}
    with pytest.raises(github.GithubException):  # PyGithub raises on `errors`
        client(github_stand_in, READ_TOKEN).requester.graphql_query(RESOLVE, {"id": thread["id"]})
    assert github_stand_in.state.resolved_threads == {}


def test_pull_requests_write_token_may_reply_but_not_resolve(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    """GITHUB_TOKEN with pull-requests: write and contents: read: GitHub refuses resolveReviewThread
    (it is gated on contents: write) while a REST reply on the same thread goes through."""
    number = open_pr(github_stand_in, pr_git_repo)
    (root_id,) = review_with_comments(client(github_stand_in), number, [13])
    gh = client(github_stand_in, PULLS_TOKEN)
    (thread,) = threads(gh, number)["nodes"]
    assert (thread["viewerCanResolve"], thread["viewerCanReply"]) == (False, True)
    body = post_graphql(github_stand_in, PULLS_TOKEN, RESOLVE, {"id": thread["id"]}).json()
    assert body["data"] == {"resolveReviewThread": None} and body["errors"][0]["type"] == "FORBIDDEN"

    reply = (
        gh.get_repo(REPO).get_pull(number).create_review_comment_reply(root_id, "no longer found in abc1234")
    )
    assert reply.in_reply_to_id == root_id
    (thread,) = threads(gh, number)["nodes"]
    assert (thread["isResolved"], thread["comments"]["totalCount"]) == (False, 2)


def test_unknown_thread_is_not_found(github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo) -> None:
    open_pr(github_stand_in, pr_git_repo)
    missing = global_id("PRRT", 1, 999_999)
    with pytest.raises(github.UnknownObjectException):
        client(github_stand_in).requester.graphql_query(RESOLVE, {"id": missing})
    body = post_graphql(github_stand_in, WRITE_TOKEN, RESOLVE, {"id": missing}).json()
    assert body["data"] == {"resolveReviewThread": None}
    assert body["errors"][0]["type"] == "NOT_FOUND" and missing in body["errors"][0]["message"]


def test_unknown_repository_and_pull_request_are_not_found(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    owner, _name = REPO.split("/")
    variables = {"owner": owner, "name": "nope", "number": number, "first": 10, "after": None}
    body = post_graphql(github_stand_in, WRITE_TOKEN, THREADS, variables).json()
    assert body["data"] == {"repository": None} and body["errors"][0]["type"] == "NOT_FOUND"
    variables = {**variables, "name": REPO.split("/")[1], "number": 999}
    body = post_graphql(github_stand_in, WRITE_TOKEN, THREADS, variables).json()
    assert body["data"] == {"repository": {"pullRequest": None}}
    assert body["errors"][0]["message"] == "Could not resolve to a PullRequest with the number of 999."


def test_graphql_needs_a_known_token(github_stand_in: GitHubStandIn) -> None:
    assert post_graphql(github_stand_in, "ghs_unknown", RESOLVE, {"id": "x"}).status_code == 401
    assert (
        requests.post(
            f"{github_stand_in.url}/graphql", json={"query": "{ __typename }"}, timeout=30
        ).status_code
        == 401
    )


# ---------------------------------------------------------------- wrong requests are violations


@pytest.mark.parametrize(
    ("query", "variables", "said"),
    [
        pytest.param(
            "query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { noSuchField } }",
            {"owner": "lok-test", "name": "demo"},
            "Cannot query field 'noSuchField' on type 'Repository'",
            id="unknown-field",
        ),
        pytest.param(
            RESOLVE.replace("$id: ID!", "$id: Int!"),
            {"id": 5},
            "Variable '$id' of type 'Int!' used in position expecting type 'ID!'",
            id="wrong-variable-type-in-document",
        ),
        pytest.param(
            THREADS,
            {"owner": "lok-test", "name": "demo", "number": "one", "first": 10},
            "Variable '$number' got invalid value 'one'",
            id="wrong-variable-value",
        ),
        pytest.param(
            THREADS,
            {"owner": "lok-test", "name": "demo", "first": 10},
            "Variable '$number' of required type 'Int!' was not provided",
            id="missing-variable",
        ),
        pytest.param(
            "mutation { resolveReviewThread(input: {}) { thread { id } } }",
            {},
            "Field 'ResolveReviewThreadInput.threadId' of required type 'ID!' was not provided",
            id="missing-input-field",
        ),
        pytest.param('{ repository(owner: "a", name: "b") { name ', {}, "Syntax Error", id="syntax"),
    ],
)
def test_a_request_the_schema_refuses_is_a_violation(
    own_stand_in: GitHubStandIn, query: str, variables: dict[str, Any], said: str
) -> None:
    own_stand_in.state.add_repo(REPO)
    answer = post_graphql(own_stand_in, WRITE_TOKEN, query, variables)
    assert answer.status_code == 200
    body = answer.json()
    assert "data" not in body and body["errors"], body  # refused whole: nothing executed
    assert len(own_stand_in.violations) >= 1
    assert all(v.startswith("POST /graphql: ") for v in own_stand_in.violations)
    assert any(said in v for v in own_stand_in.violations), own_stand_in.violations


def test_a_valid_request_records_no_violation(own_stand_in: GitHubStandIn) -> None:
    """The other side of the test above: the check passes what GitHub would take."""
    own_stand_in.state.add_repo(REPO)
    body = post_graphql(
        own_stand_in,
        WRITE_TOKEN,
        'query { repository(owner: "lok-test", name: "demo") { nameWithOwner } }',
        {},
    ).json()
    assert body == {"data": {"repository": {"nameWithOwner": REPO}}}
    assert own_stand_in.violations == []


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            "",
            "You must provide a `first` or `last` value to properly paginate the `reviewThreads` connection.",
        ),
        (
            "(first: 101)",
            "Requesting 101 records on the `reviewThreads` connection exceeds the `first` limit of 100",
        ),
        ('(first: 5, after: "bogus")', "`bogus` does not appear to be a valid cursor."),
    ],
)
def test_githubs_pagination_rules_are_violations(
    own_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, arguments: str, said: str
) -> None:
    number = open_pr(own_stand_in, pr_git_repo)
    query = f'{{ repository(owner: "lok-test", name: "demo") {{ pullRequest(number: {number}) {{ reviewThreads{arguments} {{ totalCount }} }} }} }}'
    body = post_graphql(own_stand_in, WRITE_TOKEN, query, {}).json()
    # reviewThreads is non-null in the schema, so its error nulls the pull request
    assert body["data"] == {"repository": {"pullRequest": None}}
    assert body["errors"][0]["path"] == ["repository", "pullRequest", "reviewThreads"]
    assert any(said in v for v in own_stand_in.violations), own_stand_in.violations


def test_a_field_the_stand_in_does_not_serve_is_said_not_answered_null(own_stand_in: GitHubStandIn) -> None:
    own_stand_in.state.add_repo(REPO)
    body = post_graphql(
        own_stand_in, WRITE_TOKEN, '{ repository(owner: "lok-test", name: "demo") { stargazerCount } }', {}
    ).json()
    assert body["errors"] and body["data"] == {"repository": None}
    assert own_stand_in.violations == [
        "POST /graphql: the GitHub stand-in does not serve Repository.stargazerCount (at repository.stargazerCount): "
        "add it to tests/fakes/github_graphql.py"
    ]


def test_a_body_that_is_no_graphql_request_is_a_violation(own_stand_in: GitHubStandIn) -> None:
    headers = {"Authorization": f"bearer {WRITE_TOKEN}"}
    no_query = requests.post(
        f"{own_stand_in.url}/graphql", json={"mutation": "x"}, headers=headers, timeout=30
    )
    not_json = requests.post(f"{own_stand_in.url}/graphql", data=b"{", headers=headers, timeout=30)
    assert (no_query.status_code, not_json.status_code) == (200, 400)
    assert len(own_stand_in.violations) == 2


# ---------------------------------------------------------------- REST replies, the fallback


def test_reply_through_rest_lists_with_in_reply_to_id(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    gh = client(github_stand_in)
    (root_id,) = review_with_comments(gh, number, [13])
    pull = gh.get_repo(REPO).get_pull(number)
    reply = pull.create_review_comment_reply(root_id, "no longer found in abc1234")
    listed = {c.id: c for c in pull.get_review_comments()}
    assert set(listed) == {root_id, reply.id}
    assert listed[reply.id].in_reply_to_id == root_id and listed[root_id].in_reply_to_id is None
    assert (listed[reply.id].path, listed[reply.id].line) == ("app.py", 13)
    assert "in_reply_to_id" not in github_stand_in.state.review_comments[root_id]
    (thread,) = threads(gh, number)["nodes"]
    assert thread["comments"]["totalCount"] == 2
    assert (
        github_stand_in.requests_matching("POST", rf"/pulls/{number}/comments/{root_id}/replies$")[0].status
        == 201
    )


def test_single_review_comment_and_in_reply_to(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    gh = client(github_stand_in)
    pull = gh.get_repo(REPO).get_pull(number)
    commit = head_commit(gh, pr_git_repo.head_sha)
    root = pull.create_review_comment("first", commit, "app.py", line=18, side="RIGHT")
    reply = pull.create_review_comment("second", commit, "app.py", line=18, in_reply_to=root.id)
    assert (root.in_reply_to_id, reply.in_reply_to_id) == (None, root.id)
    assert [t["comments"]["totalCount"] for t in threads(gh, number)["nodes"]] == [2]


def test_wrong_replies_are_violations(own_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo) -> None:
    number = open_pr(own_stand_in, pr_git_repo)
    gh = client(own_stand_in)
    (root_id,) = review_with_comments(gh, number, [13])
    url = f"{own_stand_in.url}/repos/{REPO}/pulls/{number}/comments/{root_id}/replies"
    headers = {"Authorization": f"bearer {WRITE_TOKEN}"}
    no_body = requests.post(url, json={"text": "x"}, headers=headers, timeout=30)  # body is required
    assert no_body.status_code == 422
    assert len(own_stand_in.violations) == 1 and "replies" in own_stand_in.violations[0]
    reply = gh.get_repo(REPO).get_pull(number).create_review_comment_reply(root_id, "ok")
    with pytest.raises(github.GithubException):
        gh.get_repo(REPO).get_pull(number).create_review_comment_reply(reply.id, "a reply to a reply")
    assert "replies to a thread's first comment only" in own_stand_in.violations[1]


# ---------------------------------------------------------------- a push moves or outdates threads


def test_a_push_moves_untouched_threads_and_outdates_changed_ones(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    gh = client(github_stand_in)
    kept_id, changed_id = review_with_comments(gh, number, [13, 18])
    app = pr_git_repo.path / "app.py"
    # one line added on top (every line moves down by one) and greet's line 18 changed
    app.write_text("import os\n" + app.read_text().replace('"hello " + name.upper()', '"hi " + name.upper()'))
    run_git(pr_git_repo.path, "commit", "-q", "-am", "push")
    new_head = run_git(pr_git_repo.path, "rev-parse", "HEAD").strip()
    github_stand_in.state.push_pull_request(REPO, number, pr_git_repo.path, "HEAD")

    pull = gh.get_repo(REPO).get_pull(number)
    assert pull.head.sha == new_head
    rest = {c.id: c for c in pull.get_review_comments()}
    assert (rest[kept_id].line, rest[kept_id].original_line, rest[kept_id].commit_id) == (14, 13, new_head)
    assert (rest[changed_id].line, rest[changed_id].original_line) == (None, 18)
    listed = threads(gh, number)["nodes"]
    assert [(t["line"], t["isOutdated"]) for t in listed] == [(14, False), (None, True)]

    # a force-push to a branch without the commented code outdates every thread
    run_git(pr_git_repo.path, "checkout", "-q", "-B", "feature", "main")
    (pr_git_repo.path / "other.py").write_text("print('other')\n")
    run_git(pr_git_repo.path, "add", "other.py")
    run_git(pr_git_repo.path, "commit", "-q", "-m", "rewrite")
    github_stand_in.state.push_pull_request(REPO, number, pr_git_repo.path, "HEAD")
    assert [(t["line"], t["isOutdated"]) for t in threads(gh, number)["nodes"]] == [
        (None, True),
        (None, True),
    ]
    assert [f.filename for f in gh.get_repo(REPO).get_pull(number).get_files()] == ["other.py"]


def test_a_seeded_human_thread_answers_its_author_and_who_resolved_it(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    root = github_stand_in.state.add_review_comment(
        REPO, number, "please rename", path="app.py", line=14, start_line=13, author="alice"
    )
    github_stand_in.state.add_review_comment(REPO, number, "done", in_reply_to=root["id"], author="bob")
    query = """query($owner: String!, $name: String!, $number: Int!) {
      repository(owner: $owner, name: $name) { pullRequest(number: $number) {
        reviewThreads(last: 10) { nodes { id startLine line originalStartLine resolvedBy { login }
          comments(first: 10) { nodes { body author { __typename login } replyTo { databaseId } } } } } } } }"""
    gh = client(github_stand_in)
    variables = {"owner": "lok-test", "name": "demo", "number": number}
    (thread,) = gh.requester.graphql_query(query, variables)[1]["data"]["repository"]["pullRequest"][
        "reviewThreads"
    ]["nodes"]
    assert (thread["startLine"], thread["line"], thread["originalStartLine"], thread["resolvedBy"]) == (
        13,
        14,
        13,
        None,
    )
    assert thread["comments"]["nodes"] == [
        {"body": "please rename", "author": {"__typename": "User", "login": "alice"}, "replyTo": None},
        {
            "body": "done",
            "author": {"__typename": "User", "login": "bob"},
            "replyTo": {"databaseId": root["id"]},
        },
    ]
    gh.requester.graphql_query(RESOLVE, {"id": thread["id"]})
    (thread,) = gh.requester.graphql_query(query, variables)[1]["data"]["repository"]["pullRequest"][
        "reviewThreads"
    ]["nodes"]
    assert thread["resolvedBy"] == {"login": "github-actions[bot]"}
