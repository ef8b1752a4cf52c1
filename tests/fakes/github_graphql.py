"""GitHub's GraphQL endpoint (POST /graphql) for the GitHub stand-in.

Every document is parsed and validated against GitHub's published schema (npm @octokit/graphql-schema,
its schema.json loaded with graphql-core the way the package's own validator loads it with graphql-js),
its variables are coerced against the operation's definitions, and it is then executed through that same
schema by graphql-core, with resolvers over the stand-in's state. So an answer has the schema's shape by
construction, and a field the schema has but the stand-in does not serve is said, never answered null.

What a request gets wrong that GitHub would refuse (syntax, unknown fields, wrong variable types,
connections without `first`/`last` or over 100) is recorded as a violation, which fails the test at
teardown like a REST violation. GitHub's own refusals of a well-formed request (NOT_FOUND, FORBIDDEN) are
answers, not violations: HTTP 200, `errors` with GitHub's `type`, the field null in `data`.

Served: `repository(owner, name)` -> `pullRequest(number)` -> `reviewThreads` (each with its comments),
`node(id)` for a review thread, and the mutation `resolveReviewThread`. A review thread is the stand-in's
REST review comments: a first comment (no `in_reply_to_id`) and its replies; resolving one is kept in
`GitHubState.resolved_threads`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationType,
    build_client_schema,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

if TYPE_CHECKING:
    from graphql import IntrospectionQuery

    from tests.fakes.github_server import GitHubState

GRAPHQL_PATH = "/graphql"
MAX_PAGE = 100  # GitHub's limit on `first` / `last` of any connection
FORBIDDEN = "Resource not accessible by integration"
# GitHub's global ids: a type prefix and urlsafe base64 of a MessagePack array [0, repository id, object id]
# (both as uint32, hence the "kwDO" every id starts with); cursors are "cursor:v2:" and MessagePack [offset].
MSGPACK_ARRAY3_ZERO = b"\x93\x00"
MSGPACK_UINT32 = b"\xce"
THREAD_PREFIX = "PRRT"


@cache
def load_graphql_schema() -> GraphQLSchema:
    from tests.fakes.refdata import github_graphql_introspection

    return build_client_schema(cast("IntrospectionQuery", github_graphql_introspection()))


# ---------------------------------------------------------------- errors


class GitHubAnswer(Exception):
    """A refusal GitHub answers in `errors` with its `type` (NOT_FOUND, FORBIDDEN): not the client's fault."""

    def __init__(self, error_type: str, message: str, extensions: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.extensions = extensions


class Rejected(Exception):
    """A request GitHub refuses because it is wrong (its own rules beyond the schema): a violation."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class Unserved(Exception):
    """A field the schema has and the stand-in does not answer yet: a violation, so it is added, not guessed."""

    def __init__(self, field: str) -> None:
        super().__init__(f"the GitHub stand-in does not serve {field}")
        self.field = field


def forbidden() -> GitHubAnswer:
    return GitHubAnswer("FORBIDDEN", FORBIDDEN, {"saml_failure": False})


def unresolvable_node(node_id: str) -> GitHubAnswer:
    return GitHubAnswer("NOT_FOUND", f"Could not resolve to a node with the global id of '{node_id}'")


# ---------------------------------------------------------------- ids and cursors


def global_id(prefix: str, repository_id: int, object_id: int) -> str:
    packed = MSGPACK_ARRAY3_ZERO + b"".join(
        MSGPACK_UINT32 + number.to_bytes(4, "big") for number in (repository_id, object_id)
    )
    return f"{prefix}_{base64.urlsafe_b64encode(packed).decode().rstrip('=')}"


def parse_global_id(prefix: str, value: str) -> tuple[int, int] | None:
    head, _, encoded = value.partition("_")
    if head != prefix:
        return None
    try:
        packed = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        return None
    if (
        len(packed) != 12
        or not packed.startswith(MSGPACK_ARRAY3_ZERO + MSGPACK_UINT32)
        or packed[7:8] != MSGPACK_UINT32
    ):
        return None
    return int.from_bytes(packed[3:7], "big"), int.from_bytes(packed[8:12], "big")


def cursor(offset: int) -> str:
    return base64.b64encode(b"cursor:v2:\x91" + MSGPACK_UINT32 + offset.to_bytes(4, "big")).decode()


def parse_cursor(value: str) -> int:
    try:
        packed = base64.b64decode(value, validate=True)
    except ValueError:
        packed = b""
    if len(packed) != 16 or not packed.startswith(b"cursor:v2:\x91" + MSGPACK_UINT32):
        raise Rejected("INVALID_CURSOR_ARGUMENTS", f"`{value}` does not appear to be a valid cursor.")
    return int.from_bytes(packed[12:16], "big")


def connection(name: str, items: list[Any], args: Mapping[str, Any]) -> dict[str, Any]:
    """A Relay connection page over ITEMS, with GitHub's rules: `first` or `last` required, at most 100."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise Rejected(
            "MISSING_PAGINATION_BOUNDARIES",
            f"You must provide a `first` or `last` value to properly paginate the `{name}` connection.",
        )
    for argument, value in (("first", first), ("last", last)):
        if value is not None and value > MAX_PAGE:
            raise Rejected(
                "EXCESSIVE_PAGINATION",
                f"Requesting {value} records on the `{name}` connection exceeds the `{argument}` limit of "
                f"{MAX_PAGE} records.",
            )
        if value is not None and value < 0:
            raise Rejected("INVALID_PAGINATION", f"`{argument}` on `{name}` cannot be negative.")
    start, end = 0, len(items)
    if args.get("after") is not None:
        start = max(start, parse_cursor(args["after"]) + 1)
    if args.get("before") is not None:
        end = min(end, parse_cursor(args["before"]))
    end = max(start, end)
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    offsets = range(start, end)
    return {
        "nodes": [items[i] for i in offsets],
        "edges": [{"cursor": cursor(i), "node": items[i]} for i in offsets],
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": cursor(start) if offsets else None,
            "endCursor": cursor(end - 1) if offsets else None,
        },
        "totalCount": len(items),
    }


# ---------------------------------------------------------------- resolving over the stand-in's state


def strict_resolver(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """Objects are dicts keyed by field name; a callable value is called with the field's arguments.
    A field missing from the dict is one the stand-in does not serve (graphql-core's default would
    answer null, which would hide it)."""
    if not isinstance(source, Mapping) or info.field_name not in source:
        raise Unserved(f"{info.parent_type.name}.{info.field_name}")
    value = source[info.field_name]
    return value(**args) if callable(value) else value


@dataclass(frozen=True)
class Viewer:
    """Who a request's token acts as and what it may do (the stand-in's token permissions decide)."""

    login: str
    may_write: bool  # reply, comment
    may_resolve: bool  # resolveReviewThread: GitHub gates it on contents: write


class Resolvers:
    """The object graph one request sees: dicts built from GitHubState, as VIEWER sees them."""

    def __init__(self, state: GitHubState, viewer: Viewer) -> None:
        self.state = state
        self.viewer = viewer
        self.may_write = viewer.may_write
        self.may_resolve = viewer.may_resolve

    def query(self) -> dict[str, Any]:
        # GraphQL names a bot without the "[bot]" its REST login carries ("github-actions")
        login = self.viewer.login
        kind = "Bot" if login.endswith("[bot]") else "User"
        return {
            "repository": self.repository,
            "node": self.node,
            "viewer": self.actor({"login": login.removesuffix("[bot]"), "type": kind}),
        }

    def mutation(self) -> dict[str, Any]:
        return {"resolveReviewThread": self.resolve_review_thread}

    def actor(self, user: Mapping[str, Any]) -> dict[str, Any]:
        login = str(user["login"])
        return {
            "__typename": "Bot" if user.get("type") == "Bot" else "User",
            "login": login,
            "url": f"https://github.com/{login}",
            "avatarUrl": lambda size=None: user.get("avatar_url", ""),
        }

    def repository(self, owner: str, name: str, followRenames: bool = True) -> dict[str, Any]:  # noqa: N803
        full_name = f"{owner}/{name}"
        repo = self.state.repos.get(full_name)
        if repo is None:
            raise GitHubAnswer("NOT_FOUND", f"Could not resolve to a Repository with the name '{full_name}'.")
        return {
            "__typename": "Repository",
            "id": f"R_{repo.id}",
            "databaseId": repo.id,
            "name": repo.name,
            "nameWithOwner": full_name,
            "url": f"https://github.com/{full_name}",
            "owner": {"__typename": "Organization", "login": repo.owner},
            "pullRequest": lambda number: self.pull_request(full_name, number),
        }

    def pull_request(self, full_name: str, number: int) -> dict[str, Any]:
        pull = self.state.pulls.get((full_name, number))
        if pull is None:
            raise GitHubAnswer(
                "NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}."
            )
        return {
            "__typename": "PullRequest",
            "id": pull["node_id"],
            "databaseId": pull["id"],
            "number": number,
            "title": pull["title"],
            "url": pull["html_url"],
            "state": pull["state"].upper(),
            "headRefName": pull["head"]["ref"],
            "headRefOid": pull["head"]["sha"],
            "baseRefName": pull["base"]["ref"],
            "baseRefOid": pull["base"]["sha"],
            "reviewThreads": lambda **args: connection(
                "reviewThreads",
                [self.thread(full_name, root) for root in self.state.thread_roots(full_name, number)],
                args,
            ),
        }

    def thread(self, full_name: str, root: Mapping[str, Any]) -> dict[str, Any]:
        root_id = int(root["id"])
        resolved_by = self.state.resolved_threads.get(root_id)
        number = int(str(root["pull_request_url"]).rsplit("/", 1)[1])
        owner, name = full_name.split("/")
        return {
            "__typename": "PullRequestReviewThread",
            "id": global_id(THREAD_PREFIX, self.state.repos[full_name].id, root_id),
            "isResolved": resolved_by is not None,
            "isCollapsed": resolved_by is not None,
            "isOutdated": root["line"] is None,
            "resolvedBy": self.actor(
                self.state.user(resolved_by, "Bot" if resolved_by.endswith("[bot]") else "User")
            )
            if resolved_by
            else None,
            "path": root["path"],
            "line": root["line"],
            "originalLine": root["original_line"],
            "startLine": root["start_line"],
            "originalStartLine": root["original_start_line"],
            "diffSide": root["side"],
            "startDiffSide": root["start_side"],
            "subjectType": "LINE",
            "viewerCanReply": self.may_write,
            "viewerCanResolve": self.may_resolve and resolved_by is None,
            "viewerCanUnresolve": self.may_resolve and resolved_by is not None,
            "comments": lambda **args: connection(
                "comments", [self.comment(c) for c in self.state.thread_comments(root_id)], args
            ),
            "pullRequest": lambda: self.pull_request(full_name, number),
            "repository": lambda: self.repository(owner, name),
        }

    def comment(self, comment: Mapping[str, Any]) -> dict[str, Any]:
        reply_to = comment.get("in_reply_to_id")
        return {
            "__typename": "PullRequestReviewComment",
            "id": comment["node_id"],
            "databaseId": comment["id"],
            "fullDatabaseId": str(comment["id"]),
            "body": comment["body"],
            "path": comment["path"],
            "line": comment["line"],
            "originalLine": comment["original_line"],
            "startLine": comment["start_line"],
            "originalStartLine": comment["original_start_line"],
            "outdated": comment["line"] is None,
            "diffHunk": comment["diff_hunk"],
            "url": comment["html_url"],
            "createdAt": comment["created_at"],
            "updatedAt": comment["updated_at"],
            "author": self.actor(comment["user"]),
            "viewerDidAuthor": comment["user"]["login"] == self.viewer.login,
            "replyTo": (lambda: self.comment(self.state.review_comments[reply_to])) if reply_to else None,
        }

    def locate_thread(self, node_id: str) -> tuple[str, dict[str, Any]]:
        """The repository and first comment of the thread NODE_ID names."""
        ids = parse_global_id(THREAD_PREFIX, node_id)
        if ids is not None:
            repository_id, root_id = ids
            root = self.state.review_comments.get(root_id)
            full_name = next(
                (name for name, repo in self.state.repos.items() if repo.id == repository_id), None
            )
            if root is not None and full_name is not None and "in_reply_to_id" not in root:
                return full_name, root
        raise unresolvable_node(node_id)

    def node(self, id: str) -> dict[str, Any]:  # noqa: A002 (the argument's name in the schema)
        return self.thread(*self.locate_thread(id))

    def resolve_review_thread(self, input: Mapping[str, Any]) -> dict[str, Any]:  # noqa: A002
        full_name, root = self.locate_thread(input["threadId"])
        if not self.may_resolve:
            raise forbidden()
        self.state.resolved_threads.setdefault(int(root["id"]), self.viewer.login)
        return {
            "__typename": "ResolveReviewThreadPayload",
            "clientMutationId": input.get("clientMutationId"),
            "thread": self.thread(full_name, root),
        }


# ---------------------------------------------------------------- the endpoint


def located(error: GraphQLError) -> dict[str, Any]:
    """An error as GitHub words it: graphql-core's fields, and GitHub's `type` where it gives one."""
    answer: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if isinstance(original, (GitHubAnswer, Rejected)):
        answer = {"type": original.error_type, **answer}
    if isinstance(original, GitHubAnswer) and original.extensions is not None:
        answer["extensions"] = original.extensions
    return answer


class GraphQLEndpoint:
    """Answers one POST /graphql body. Called under the stand-in's lock; `violation` records a problem."""

    def __init__(
        self,
        state: GitHubState,
        violation: Callable[[str], None],
        schema: Callable[[], GraphQLSchema] = load_graphql_schema,
    ) -> None:
        self.state = state
        self.violation = violation
        self.schema = schema

    def answer(self, raw: bytes, viewer: Viewer) -> tuple[int, dict[str, str], Any]:
        try:
            request = json.loads(raw) if raw else None
        except ValueError:
            self.violation("the body is not JSON")
            return (
                400,
                {},
                {"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql"},
            )
        refused = self.refuse_request(request)
        if refused:
            return 200, {}, {"errors": [{"message": refused}]}
        assert isinstance(request, dict)
        query: str = request["query"]
        variables: dict[str, Any] = request.get("variables") or {}
        operation_name: str | None = request.get("operationName")
        schema = self.schema()
        try:
            document = parse(query)
        except GraphQLError as syntax_error:
            return self.invalid([syntax_error])
        errors = validate(schema, document)
        if errors:
            return self.invalid(errors)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return self.invalid(
                [GraphQLError(f"No operation named {operation_name!r}, or several and none named")]
            )
        coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return self.invalid(coerced)
        resolvers = Resolvers(self.state, viewer)
        root = resolvers.mutation() if operation.operation is OperationType.MUTATION else resolvers.query()
        result = execute_sync(
            schema,
            document,
            root_value=root,
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=strict_resolver,
        )
        for error in result.errors or []:
            self.record_execution_error(error)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [located(error) for error in result.errors]
        return 200, {}, payload

    def refuse_request(self, request: Any) -> str:
        """What is wrong with the request's envelope ('' when nothing), recorded as a violation."""
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            problem = "A query attribute must be specified and must be a string."
        elif not isinstance(request.get("variables") or {}, dict):
            problem = "Variables must be an object (JSON), not a string or list."
        elif not isinstance(request.get("operationName") or "", str):
            problem = "operationName must be a string."
        else:
            return ""
        self.violation(problem)
        return problem

    def invalid(self, errors: list[GraphQLError]) -> tuple[int, dict[str, str], Any]:
        """A document GitHub refuses whole: HTTP 200, `errors` and no `data`."""
        for error in errors:
            self.violation(f"invalid against GitHub's GraphQL schema: {error.message}")
        return 200, {}, {"errors": [located(error) for error in errors]}

    def record_execution_error(self, error: GraphQLError) -> None:
        original = error.original_error
        where = ".".join(str(part) for part in error.path or ())
        if isinstance(original, GitHubAnswer):
            return  # GitHub's answer to a well-formed request: the test decides what it expects
        if isinstance(original, Rejected):
            self.violation(f"GitHub refuses {where}: {original}")
        elif isinstance(original, Unserved):
            self.violation(f"{original} (at {where}): add it to tests/fakes/github_graphql.py")
        else:
            self.violation(f"the stand-in failed at {where}: {error.message}")
