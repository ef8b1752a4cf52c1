"""A local stand-in for the GitHub REST API (api.github.com), for tests.

It keeps state (repositories, issues, comments, pull requests whose diffs come from a real git
repository, reviews and review comments with their threads, SARIF uploads, workflow runs and job logs),
validates every request against GitHub's own OpenAPI description (npm @octokit/openapi, see refdata.py;
via openapi-core), answers with GitHub's error shapes, can inject faults per test, and logs every request
so a test can prove which calls were (or were not) made. `POST /graphql` is GitHub's GraphQL endpoint,
checked against GitHub's published schema and answered over the same state (tests/fakes/github_graphql.py).

The diff-line rules here are written independently of lok_action's own diff parser on purpose: a bug
in ours must not be hidden by sharing it with the judge.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tests.fakes.git_repos import GitFailed, git_succeeds, run_git
from tests.fakes.github_graphql import GRAPHQL_PATH, GraphQLEndpoint, Viewer

GITHUB = "https://api.github.com"
DOCS = "https://docs.github.com/rest"
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000."
)
BLOB_PREFIX = "/_blobs/"  # the stand-in's blob storage, where log downloads redirect to
BODY_LIMIT = 65536  # GitHub refuses longer comment / review bodies ("Body is too long")
MAX_REQUESTS = 5000  # a runaway client loop ends here instead of spinning forever
BOT = "github-actions[bot]"  # who a token acts as
# A token's permission (add_token): "write" is contents: write and every other write; "pull-requests" is
# what workflows usually grant GITHUB_TOKEN (pull-requests/issues/checks/security-events: write, contents:
# read), under which GitHub refuses the few operations gated on contents: write (resolveReviewThread);
# "read" writes nothing.
WRITE = "write"
PULL_REQUESTS_WRITE = "pull-requests"
READ = "read"
TOKEN_PERMISSIONS = (WRITE, PULL_REQUESTS_WRITE, READ)


# Every operation a request may name: what the stand-in routes, plus the ones lok might call and that
# GitHub would answer (a request to any other path is a violation, as the description does not know it).
SERVED_OPERATIONS = (
    "meta/root",
    "rate-limit/get",
    "users/get-authenticated",
    "search/issues-and-pull-requests",
    "repos/get",
    "repos/get-collaborator-permission-level",
    "checks/create",
    "checks/get",
    "checks/update",
    "checks/list-annotations",
    "code-scanning/upload-sarif",
    "code-scanning/get-sarif",
    "issues/list-for-repo",
    "issues/create",
    "issues/get",
    "issues/update",
    "issues/list-comments",
    "issues/list-events",
    "issues/create-comment",
    "issues/get-comment",
    "issues/update-comment",
    "issues/delete-comment",
    "issues/list-labels-on-issue",
    "issues/add-labels",
    "reactions/list-for-issue",
    "reactions/create-for-issue",
    "reactions/list-for-issue-comment",
    "reactions/create-for-issue-comment",
    "reactions/create-for-pull-request-review-comment",
    "repos/compare-commits-with-basehead",
    "pulls/get",
    "pulls/list-files",
    "pulls/list-review-comments",
    "pulls/get-review-comment",
    "pulls/create-review-comment",
    "pulls/create-reply-for-review-comment",
    "pulls/list-reviews",
    "pulls/create-review",
    "pulls/list-comments-for-review",
    "actions/list-workflow-runs-for-repo",
    "actions/list-jobs-for-workflow-run",
    "actions/download-job-logs-for-workflow-run",
)


def load_openapi() -> Any:
    """GitHub's OpenAPI description, cut to SERVED_OPERATIONS (the full 13 MB one takes minutes to load)."""
    from openapi_core import OpenAPI

    from tests.fakes.refdata import github_openapi

    return OpenAPI.from_dict(github_openapi(SERVED_OPERATIONS))


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body.get('message')}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def check_body_length(body: str | None) -> None:
    if len(body or "") > BODY_LIMIT:
        raise ApiError(
            422,
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "IssueComment",
                        "code": "custom",
                        "field": "body",
                        "message": "body is too long (maximum is 65536 characters)",
                    }
                ],
                "documentation_url": DOCS,
            },
        )


def not_found() -> ApiError:
    return ApiError(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})


@dataclass
class Fault:
    """Answer the next `times` requests matching method + path regex with this status/body."""

    method: str
    path_regex: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


@dataclass
class LoggedRequest:
    method: str
    path: str
    status: int
    body: Any = None


# ---------------------------------------------------------------- diffs from the real git repository


@dataclass
class FilePatch:
    filename: str
    status: str
    additions: int
    deletions: int
    patch: str
    right_hunks: list[tuple[int, int]]  # inclusive new-file line ranges covered by each hunk
    left_hunks: list[tuple[int, int]]


HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def split_diff(diff: str) -> list[FilePatch]:
    """Per-file patches the way GitHub's `pulls/{n}/files` shows them."""
    patches: list[FilePatch] = []
    for block in re.split(r"(?m)^(?=diff --git )", diff):
        if not block.startswith("diff --git "):
            continue
        lines = block.splitlines()
        name = ""
        status = "modified"
        for line in lines:
            if line.startswith("+++ "):
                target = line[4:]
                name = target[2:] if target.startswith("b/") else name
            elif line.startswith("--- a/") and not name:
                name = line[6:]
            elif line.startswith("new file mode"):
                status = "added"
            elif line.startswith("deleted file mode"):
                status = "removed"
        if not name:
            header = re.match(r"diff --git a/(\S+) b/(\S+)", lines[0])
            name = header.group(2) if header else ""
        body_start = next((i for i, line in enumerate(lines) if line.startswith("@@")), len(lines))
        body = lines[body_start:]
        right: list[tuple[int, int]] = []
        left: list[tuple[int, int]] = []
        for line in body:
            match = HUNK_HEADER.match(line)
            if match:
                old_start, old_len = int(match.group(1)), int(match.group(2) or 1)
                new_start, new_len = int(match.group(3)), int(match.group(4) or 1)
                if new_len:
                    right.append((new_start, new_start + new_len - 1))
                if old_len:
                    left.append((old_start, old_start + old_len - 1))
        patches.append(
            FilePatch(
                filename=name,
                status=status,
                additions=sum(1 for line in body if line.startswith("+")),
                deletions=sum(1 for line in body if line.startswith("-")),
                patch="\n".join(body),
                right_hunks=right,
                left_hunks=left,
            )
        )
    return patches


def hunk_of(hunks: list[tuple[int, int]], line: int) -> int | None:
    for index, (first, last) in enumerate(hunks):
        if first <= line <= last:
            return index
    return None


def follow_line(changes: list[tuple[int, int, int, int]], line: int) -> int | None:
    """Where LINE of the old file is in the new one, given `git diff -U0` hunks (old start, old count, new
    start, new count); None when the line itself was changed or removed."""
    shift = 0
    for old_start, old_count, _new_start, new_count in changes:
        if old_count and old_start <= line < old_start + old_count:
            return None
        before = old_start + old_count - 1 < line if old_count else old_start < line
        if before:
            shift += new_count - old_count
    return line + shift


def line_changes(repo: Path, old: str, new: str, path: str) -> list[tuple[int, int, int, int]] | None:
    """The -U0 hunks of PATH between two commits; None when PATH is not in NEW."""
    if not git_succeeds(repo, "cat-file", "-e", f"{new}:{path}"):
        return None
    diff = run_git(repo, "diff", "-U0", "--no-color", "--no-ext-diff", "--no-renames", old, new, "--", path)
    changes = []
    for header in diff.splitlines():
        match = HUNK_HEADER.match(header)
        if match:
            old_start, old_count = int(match.group(1)), int(match.group(2) or 1)
            new_start, new_count = int(match.group(3)), int(match.group(4) or 1)
            changes.append((old_start, old_count, new_start, new_count))
    return changes


# ---------------------------------------------------------------- state


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    default_branch: str = "main"
    labels: set[str] = field(default_factory=set)
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class GitHubState:
    """Everything the stand-in remembers. Guarded by the server's lock."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.repos: dict[str, Repo] = {}
        self.issues: dict[tuple[str, int], dict[str, Any]] = {}
        self.pulls: dict[tuple[str, int], dict[str, Any]] = {}
        self.pull_files: dict[tuple[str, int], list[FilePatch]] = {}
        self.pull_diffs: dict[tuple[str, int], str] = {}
        self.git_dirs: dict[str, Path] = {}  # repository -> the git repository its pull requests come from
        self.comments: dict[int, dict[str, Any]] = {}  # issue comments by id
        # an issue's closed/reopened events, oldest first (GET /repos/{o}/{r}/issues/{n}/events)
        self.issue_events: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self._seconds = 0  # the stand-in's clock: each comment and event one second after the last
        self.reviews: dict[int, dict[str, Any]] = {}
        # a thread is a first comment and its replies, which name it in `in_reply_to_id`
        self.review_comments: dict[int, dict[str, Any]] = {}
        self.resolved_threads: dict[int, str] = {}  # a thread's first comment id -> who resolved it
        self.sarifs: dict[str, dict[str, Any]] = {}
        self.workflow_runs: dict[int, dict[str, Any]] = {}
        self.jobs: dict[int, dict[str, Any]] = {}
        self.job_logs: dict[int, str] = {}
        self.tokens: dict[str, str] = {}  # token -> one of TOKEN_PERMISSIONS
        # GitHub App installation tokens -> the app's bot login: GET /user refuses them (403), as
        # GitHub does; GraphQL's viewer names the bot
        self.app_tokens: dict[str, str] = {}
        # login -> role_name (admin | maintain | write | triage | read); others are not collaborators
        self.collaborators: dict[str, str] = {}
        self.sarif_polls_before_complete = 1
        self._next_id = 1000

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def now(self) -> str:
        """A timestamp one second after the last one handed out, so comments and events keep their order."""
        self._seconds += 1
        moment = datetime(2024, 1, 2, tzinfo=UTC) + timedelta(seconds=self._seconds)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    # ---- objects in GitHub's shapes
    def user(self, login: str, kind: str = "User") -> dict[str, Any]:
        return {
            "login": login,
            "id": abs(hash(login)) % 10_000_000,
            "node_id": "U_" + login,
            "avatar_url": f"https://avatars.githubusercontent.com/u/1?v=4&{login}",
            "gravatar_id": "",
            "url": f"{self.origin}/users/{quote(login)}",
            "html_url": f"https://github.com/{quote(login)}",
            "type": kind,
            "site_admin": False,
        }

    def repo_json(self, repo: Repo, permission: str, installation: bool = False) -> dict[str, Any]:
        """As GitHub answers: for an installation token (GITHUB_TOKEN, `ghs_...`) the `permissions`
        object does not describe the token (push reads false even when it may write issues/PRs)."""
        url = f"{self.origin}/repos/{repo.full_name}"
        may_push = permission == "write" and not installation
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self.user(repo.owner, "Organization"),
            "private": False,
            "html_url": f"https://github.com/{repo.full_name}",
            "url": url,
            "issues_url": url + "/issues{/number}",
            "pulls_url": url + "/pulls{/number}",
            "default_branch": repo.default_branch,
            "fork": False,
            "permissions": {
                "admin": False,
                "maintain": False,
                "push": may_push,
                "triage": may_push,
                "pull": True,
            },
        }

    def repo(self, full_name: str) -> Repo:
        repo = self.repos.get(full_name)
        if repo is None:
            raise not_found()
        return repo

    def add_repo(self, full_name: str, labels: tuple[str, ...] = ()) -> Repo:
        owner, name = full_name.split("/")
        repo = Repo(owner=owner, name=name, id=self.new_id(), labels=set(labels))
        self.repos[full_name] = repo
        return repo

    def add_issue(
        self, full_name: str, title: str, body: str, author: str = "octocat", labels: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        repo = self.repo(full_name)
        number = repo.next_number
        repo.next_number += 1
        url = f"{self.origin}/repos/{full_name}/issues/{number}"
        issue = {
            "id": self.new_id(),
            "node_id": f"I_{number}",
            "number": number,
            "title": title,
            "body": body,
            "state": "open",
            "locked": False,
            "user": self.user(author),
            "labels": [self.label_json(full_name, name) for name in labels],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": 0,
            "url": url,
            "repository_url": f"{self.origin}/repos/{full_name}",
            "labels_url": url + "/labels{/name}",
            "comments_url": url + "/comments",
            "events_url": url + "/events",
            "html_url": f"https://github.com/{full_name}/issues/{number}",
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
            "closed_at": None,
            "author_association": "OWNER",
        }
        self.issues[(full_name, number)] = issue
        return issue

    def label_json(self, full_name: str, name: str) -> dict[str, Any]:
        return {
            "id": abs(hash(name)) % 1_000_000,
            "node_id": "L_" + name,
            "url": f"{self.origin}/repos/{full_name}/labels/{quote(name)}",
            "name": name,
            "color": "ededed",
            "default": False,
            "description": None,
        }

    def add_pull_request(
        self,
        full_name: str,
        git_dir: Path,
        base: str,
        head: str,
        title: str,
        body: str,
        author: str = "octocat",
        head_repo: str | None = None,
    ) -> dict[str, Any]:
        """A PR whose diff and files are computed by git from two refs of a real repository."""
        base_sha = run_git(git_dir, "rev-parse", base).strip()
        head_sha = run_git(git_dir, "rev-parse", head).strip()
        self.git_dirs[full_name] = git_dir
        merge_base = run_git(git_dir, "merge-base", base_sha, head_sha).strip()
        diff = run_git(git_dir, "diff", "--no-color", "--no-ext-diff", merge_base, head_sha)
        issue = self.add_issue(full_name, title, body, author)
        number = issue["number"]
        url = f"{self.origin}/repos/{full_name}/pulls/{number}"
        issue["pull_request"] = {
            "url": url,
            "html_url": f"https://github.com/{full_name}/pull/{number}",
            "diff_url": f"https://github.com/{full_name}/pull/{number}.diff",
            "patch_url": f"https://github.com/{full_name}/pull/{number}.patch",
        }
        base_repo = self.repo(full_name)
        head_full = head_repo or full_name
        head_repo_json = (
            self.repo_json(self.repos[head_full], "read")
            if head_full in self.repos
            else {**self.repo_json(base_repo, "read"), "full_name": head_full, "fork": True}
        )
        pull = {
            **{k: issue[k] for k in ("id", "node_id", "number", "title", "body", "state", "locked", "user")},
            "url": url,
            "html_url": f"https://github.com/{full_name}/pull/{number}",
            "diff_url": issue["pull_request"]["diff_url"],
            "patch_url": issue["pull_request"]["patch_url"],
            "issue_url": issue["url"],
            "comments_url": issue["comments_url"],
            "review_comments_url": url + "/comments",
            "commits_url": url + "/commits",
            "statuses_url": f"{self.origin}/repos/{full_name}/statuses/{head_sha}",
            "draft": False,
            "merged": False,
            "mergeable": True,
            "head": {
                "label": f"{head_full.split('/')[0]}:{head}",
                "ref": head,
                "sha": head_sha,
                "user": self.user(head_full.split("/")[0]),
                "repo": head_repo_json,
            },
            "base": {
                "label": f"{base_repo.owner}:{base}",
                "ref": base,
                "sha": base_sha,
                "user": self.user(base_repo.owner),
                "repo": self.repo_json(base_repo, "read"),
            },
            "created_at": issue["created_at"],
            "updated_at": issue["updated_at"],
            "author_association": "CONTRIBUTOR",
        }
        self.pulls[(full_name, number)] = pull
        self.pull_diffs[(full_name, number)] = diff
        self.pull_files[(full_name, number)] = split_diff(diff)
        return pull

    def add_review(
        self, full_name: str, number: int, body: str, state: str, commit_id: str | None = None
    ) -> dict[str, Any]:
        pull = self.pulls[(full_name, number)]
        review_id = self.new_id()
        review = {
            "id": review_id,
            "node_id": f"PRR_{review_id}",
            "user": self.user(BOT, "Bot"),
            "body": body,
            "state": state,
            "html_url": f"{pull['html_url']}#pullrequestreview-{review_id}",
            "pull_request_url": pull["url"],
            "commit_id": commit_id or pull["head"]["sha"],
            "submitted_at": "2024-01-02T00:00:00Z",
            "author_association": "NONE",
            "_links": {
                "html": {"href": f"{pull['html_url']}#pullrequestreview-{review_id}"},
                "pull_request": {"href": pull["url"]},
            },
        }
        self.reviews[review_id] = review
        return review

    def add_review_comment(
        self,
        full_name: str,
        number: int,
        body: str,
        *,
        path: str = "",
        line: int | None = None,
        side: str = "RIGHT",
        start_line: int | None = None,
        start_side: str | None = None,
        in_reply_to: int | None = None,
        review_id: int | None = None,
        author: str = BOT,
    ) -> dict[str, Any]:
        """A review comment as GitHub keeps it. A reply takes its place (path, lines, commit) from the
        thread's first comment and names that comment in `in_reply_to_id`. Without `review_id` the comment
        gets a review of its own, as a single comment or a reply does on GitHub. Tests call this to seed
        threads (a human's, say); the stand-in's routes call it too."""
        pull = self.pulls[(full_name, number)]
        root = self.review_comments[in_reply_to] if in_reply_to is not None else None
        if review_id is None:
            review_id = self.add_review(full_name, number, "", "COMMENTED")["id"]
        comment_id = self.new_id()
        if root is not None:
            place = {key: root[key] for key in ("path", "line", "side", "start_line", "start_side")}
            place.update({key: root[key] for key in ("original_line", "original_start_line", "diff_hunk")})
            commits = {"commit_id": root["commit_id"], "original_commit_id": root["original_commit_id"]}
        else:
            patch = {f.filename: f for f in self.pull_files[(full_name, number)]}.get(path)
            place = {
                "path": path,
                "line": line,
                "side": side,
                "start_line": start_line,
                "start_side": (start_side or side) if start_line else None,
                "original_line": line,
                "original_start_line": start_line,
                "diff_hunk": patch.patch[:200] if patch else "",
            }
            sha = self.reviews[review_id]["commit_id"]
            commits = {"commit_id": sha, "original_commit_id": sha}
        comment = {
            "id": comment_id,
            "node_id": f"PRRC_{comment_id}",
            "pull_request_review_id": review_id,
            "url": f"{self.origin}/repos/{full_name}/pulls/comments/{comment_id}",
            "html_url": f"{pull['html_url']}#discussion_r{comment_id}",
            "pull_request_url": pull["url"],
            **place,
            **commits,
            "body": body,
            "user": self.user(author, "Bot" if author.endswith("[bot]") else "User"),
            "created_at": "2024-01-02T00:00:00Z",
            "updated_at": "2024-01-02T00:00:00Z",
            "author_association": "NONE" if author.endswith("[bot]") else "MEMBER",
            "_links": {"self": {"href": ""}, "html": {"href": ""}, "pull_request": {"href": pull["url"]}},
        }
        if root is not None:  # GitHub leaves the key out of a thread's first comment
            comment["in_reply_to_id"] = root["id"]
        self.review_comments[comment_id] = comment
        return comment

    def thread_roots(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """The first comment of each review thread on the PR, oldest first (a thread = it and its replies)."""
        url = self.pulls[(full_name, number)]["url"]
        roots = [
            c
            for c in self.review_comments.values()
            if c["pull_request_url"] == url and "in_reply_to_id" not in c
        ]
        return sorted(roots, key=lambda c: int(c["id"]))

    def thread_comments(self, root_id: int) -> list[dict[str, Any]]:
        replies = [c for c in self.review_comments.values() if c.get("in_reply_to_id") == root_id]
        return [self.review_comments[root_id], *sorted(replies, key=lambda c: int(c["id"]))]

    def push_pull_request(self, full_name: str, number: int, git_dir: Path, head: str) -> dict[str, Any]:
        """The PR's branch now points at HEAD (a push or a force-push; the old head's objects must still
        be in GIT_DIR): head sha, diff and files are computed anew. A review comment whose lines changed
        between the old and the new head, or left the PR's diff, becomes outdated as on GitHub (`line` and
        `start_line` null, `original_line` kept, its thread `isOutdated`); the others follow their lines
        and move to the new head commit."""
        pull = self.pulls[(full_name, number)]
        old_head = pull["head"]["sha"]
        new_head = run_git(git_dir, "rev-parse", head).strip()
        self.git_dirs[full_name] = git_dir
        merge_base = run_git(git_dir, "merge-base", pull["base"]["sha"], new_head).strip()
        diff = run_git(git_dir, "diff", "--no-color", "--no-ext-diff", merge_base, new_head)
        files = {f.filename: f for f in split_diff(diff)}
        pull["head"]["sha"] = new_head
        pull["statuses_url"] = f"{self.origin}/repos/{full_name}/statuses/{new_head}"
        self.pull_diffs[(full_name, number)] = diff
        self.pull_files[(full_name, number)] = list(files.values())
        changes_by_path: dict[str, list[tuple[int, int, int, int]] | None] = {}
        for comment in self.review_comments.values():
            if comment["pull_request_url"] != pull["url"] or comment["line"] is None:
                continue
            path = comment["path"]
            if path not in changes_by_path:
                changes_by_path[path] = line_changes(git_dir, old_head, new_head, path)
            changes = changes_by_path[path]
            hunks = files[path].right_hunks if path in files and comment["side"] == "RIGHT" else []
            first, last = int(comment["start_line"] or comment["line"]), int(comment["line"])
            moved = [] if changes is None else [follow_line(changes, old) for old in range(first, last + 1)]
            if moved and None not in moved and all(hunk_of(hunks, int(m or 0)) is not None for m in moved):
                comment["line"] = moved[-1]
                comment["start_line"] = moved[0] if comment["start_line"] else None
                comment["commit_id"] = new_head
            else:
                comment["line"] = None
                comment["start_line"] = None
        return pull

    def add_workflow_run(
        self, full_name: str, head_sha: str, jobs: list[tuple[str, str, str]], conclusion: str = "failure"
    ) -> dict[str, Any]:
        """jobs: (name, conclusion, log text). Steps are parsed from the log's ##[group] markers."""
        run_id = self.new_id()
        url = f"{self.origin}/repos/{full_name}/actions/runs/{run_id}"
        run = {
            "id": run_id,
            "name": "CI",
            "head_sha": head_sha,
            "head_branch": "feature",
            "event": "pull_request",
            "status": "completed",
            "conclusion": conclusion,
            "run_number": len(self.workflow_runs) + 1,
            "run_attempt": 1,
            "url": url,
            "html_url": f"https://github.com/{full_name}/actions/runs/{run_id}",
            "jobs_url": url + "/jobs",
            "logs_url": url + "/logs",
            "created_at": f"2024-01-0{min(len(self.workflow_runs) + 1, 9)}T00:00:00Z",
            "repository": {"full_name": full_name},
        }
        self.workflow_runs[run_id] = run
        for name, job_conclusion, log in jobs:
            job_id = self.new_id()
            steps = []
            for number, step_name in enumerate(re.findall(r"##\[group\]Run (.+)", log), start=1):
                failed = job_conclusion == "failure" and number == len(re.findall(r"##\[group\]Run ", log))
                steps.append(
                    {
                        "name": step_name,
                        "status": "completed",
                        "conclusion": "failure" if failed else "success",
                        "number": number,
                    }
                )
            self.jobs[job_id] = {
                "id": job_id,
                "run_id": run_id,
                "name": name,
                "status": "completed",
                "conclusion": job_conclusion,
                "head_sha": head_sha,
                "url": f"{self.origin}/repos/{full_name}/actions/jobs/{job_id}",
                "html_url": f"https://github.com/{full_name}/actions/runs/{run_id}/job/{job_id}",
                "steps": steps,
            }
            self.job_logs[job_id] = log
        return run


# ---------------------------------------------------------------- the server


class GitHubStandIn:
    """Start with `start()`, stop with `stop()`; `url` is what GITHUB_API_URL should be."""

    def __init__(self, openapi: Any) -> None:
        self.openapi = openapi
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.log: list[LoggedRequest] = []
        self.violations: list[str] = []
        self.blobs: dict[str, str] = {}  # signed download path -> text (where log redirects lead)
        # GitHub refuses a PR's diff media type (406 too_large) above these sizes; tests lower them
        self.diff_max_files = 300
        self.diff_max_lines = 20000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.state = GitHubState("http://127.0.0.1:0")
        # GitHub's GraphQL schema loads on the first POST /graphql (once per process), not here
        self.graphql = GraphQLEndpoint(self.state, self._graphql_violation)

    # ---- lifecycle
    def start(self) -> GitHubStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                stand_in.handle(self, "GET")

            def do_POST(self) -> None:
                stand_in.handle(self, "POST")

            def do_PATCH(self) -> None:
                stand_in.handle(self, "PATCH")

            def do_PUT(self) -> None:
                stand_in.handle(self, "PUT")

            def do_DELETE(self) -> None:
                stand_in.handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.state.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return self.state.origin

    # ---- test controls
    def add_token(self, token: str, permission: str = WRITE) -> None:
        """permission: one of TOKEN_PERMISSIONS (see there)."""
        if permission not in TOKEN_PERMISSIONS:
            raise ValueError(f"token permission {permission!r} is not one of {TOKEN_PERMISSIONS}")
        self.state.tokens[token] = permission

    def add_app_token(self, token: str, login: str, permission: str = WRITE) -> None:
        """A GitHub App's installation token, acting as LOGIN (e.g. "lok-app[bot]")."""
        self.add_token(token, permission)
        self.state.app_tokens[token] = login

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        default = {"message": "Server Error" if status >= 500 else "Error", "documentation_url": DOCS}
        self.faults.append(Fault(method.upper(), path_regex, status, body or default, headers or {}, times))

    def inject_secondary_rate_limit(
        self, method: str, path_regex: str, retry_after: int = 1, times: int = 1
    ) -> None:
        body = {
            "message": SECONDARY_RATE_LIMIT_MESSAGE,
            "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        }
        self.inject(method, path_regex, 403, body, {"Retry-After": str(retry_after)}, times)

    def requests_matching(self, method: str, path_regex: str) -> list[LoggedRequest]:
        with self.lock:
            return [r for r in self.log if r.method == method and re.search(path_regex, r.path)]

    def write_requests(self) -> list[LoggedRequest]:
        with self.lock:
            return [r for r in self.log if r.method in WRITE_METHODS]

    def graphql_requests(self) -> list[LoggedRequest]:
        """Every POST /graphql, its body (query, variables) as sent."""
        return self.requests_matching("POST", f"^{GRAPHQL_PATH}$")

    # ---- request handling
    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        path = parts.path
        query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        status, headers, payload = self._answer(handler, method, path, query, raw)
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload).replace(GITHUB, self.url).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        else:
            data = (payload or "").encode("utf-8")
            content_type = headers.pop("Content-Type", "text/plain; charset=utf-8")
        try:
            body_logged = json.loads(raw) if raw else None
        except ValueError:
            body_logged = raw.decode("utf-8", "replace")
        with self.lock:
            self.log.append(LoggedRequest(method, handler.path, status, body_logged))
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        handler.send_header("X-RateLimit-Limit", "5000")
        handler.send_header("X-RateLimit-Remaining", "4999")
        handler.send_header("X-RateLimit-Reset", "4102444800")
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if method != "HEAD":
            handler.wfile.write(data)

    def _answer(
        self, handler: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            if len(self.log) >= MAX_REQUESTS:
                self.violations.append(f"{method} {path}: more than {MAX_REQUESTS} requests (client loop?)")
                return 503, {}, {"message": "Service Unavailable", "documentation_url": DOCS}
        if path.startswith(BLOB_PREFIX):
            return self._blob(handler, path, query)
        if path == GRAPHQL_PATH:
            return self._graphql(handler, method, raw)
        problem = self._validate(handler, method, path, query, raw)
        if problem:
            with self.lock:
                self.violations.append(f"{method} {path}: {problem}")
            return (
                422,
                {},
                {"message": "Invalid request.\n\n" + problem, "documentation_url": DOCS, "status": "422"},
            )
        token = (handler.headers.get("Authorization") or "").split(" ")[-1]
        with self.lock:
            permission = self.state.tokens.get(token)
        if permission is None:
            return 401, {}, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and re.search(fault.path_regex, path):
                    fault.times -= 1
                    return fault.status, dict(fault.headers), fault.body
        if method in WRITE_METHODS and permission == READ:
            return (
                403,
                {},
                {
                    "message": "Resource not accessible by integration",
                    "documentation_url": DOCS,
                    "status": "403",
                },
            )
        body = json.loads(raw) if raw else {}
        accept = handler.headers.get("Accept") or ""
        try:
            with self.lock:
                return self._route(method, path, query, body, accept, permission, token)
        except ApiError as error:
            return error.status, error.headers, error.body

    def _graphql(
        self, handler: BaseHTTPRequestHandler, method: str, raw: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """GitHub's GraphQL endpoint: authentication and injected faults as for REST, then the document."""
        if method != "POST":
            with self.lock:
                self.violations.append(f"{method} {GRAPHQL_PATH}: GitHub's GraphQL endpoint takes POST only")
            return 404, {}, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
        token = (handler.headers.get("Authorization") or "").split(" ")[-1]
        with self.lock:
            permission = self.state.tokens.get(token)
            if permission is None:
                message = "Bad credentials" if token else "This endpoint requires you to be authenticated."
                return 401, {}, {"message": message, "documentation_url": "https://docs.github.com/graphql"}
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and re.search(fault.path_regex, GRAPHQL_PATH):
                    fault.times -= 1
                    return fault.status, dict(fault.headers), fault.body
            login = self.state.app_tokens.get(token, BOT)
            viewer = Viewer(login, may_write=permission != READ, may_resolve=permission == WRITE)
            return self.graphql.answer(raw, viewer)

    def _graphql_violation(self, problem: str) -> None:
        """Called by the GraphQL endpoint, which runs under self.lock."""
        self.violations.append(f"POST {GRAPHQL_PATH}: {problem}")

    def _validate(
        self, handler: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, str], raw: bytes
    ) -> str:
        from openapi_core.testing import MockRequest

        content_type = (handler.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        request = MockRequest(
            GITHUB,
            method.lower(),
            path,
            args=query,
            headers=dict(handler.headers.items()),
            data=raw or None,
            content_type=content_type,
        )
        try:
            self.openapi.validate_request(request)
        except Exception as error:  # openapi-core raises many subclasses; any is a violation
            detail = "; ".join(
                str(getattr(e, "message", e)) for e in getattr(error, "schema_errors", []) or []
            )
            return f"{type(error).__name__}: {error}" + (f" ({detail})" if detail else "")
        return ""

    # ---- routes
    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: dict[str, Any],
        accept: str,
        permission: str,
        token: str = "",
    ) -> tuple[int, dict[str, str], Any]:
        s = self.state
        if path == "/" and method == "GET":
            return 200, {}, {"current_user_url": f"{s.origin}/user"}
        if path == "/user" and method == "GET":
            if token in s.app_tokens:  # an installation token has no user behind it
                return (
                    403,
                    {},
                    {"message": "Resource not accessible by integration", "documentation_url": DOCS},
                )
            return 200, {}, s.user("github-actions[bot]", "Bot")
        if path == "/rate_limit":
            core = {"limit": 5000, "remaining": 4999, "reset": 4102444800, "used": 1}
            return 200, {}, {"resources": {"core": core, "search": core}, "rate": core}
        if path == "/search/issues" and method == "GET":
            return self._search(query)
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if not match:
            raise not_found()
        full_name = f"{match.group(1)}/{match.group(2)}"
        rest = match.group(3) or ""
        repo = s.repo(full_name)
        if rest == "" and method == "GET":
            return 200, {}, s.repo_json(repo, permission, installation=token.startswith("ghs_"))
        routes: list[tuple[str, str, Any]] = [
            ("GET", r"/issues", self._list_issues),
            ("POST", r"/issues", self._create_issue),
            ("GET", r"/issues/(\d+)", self._get_issue),
            ("PATCH", r"/issues/(\d+)", self._update_issue),
            ("GET", r"/issues/(\d+)/comments", self._list_comments),
            ("GET", r"/issues/(\d+)/events", self._list_issue_events),
            ("POST", r"/issues/(\d+)/comments", self._create_comment),
            ("GET", r"/issues/(\d+)/labels", self._list_issue_labels),
            ("POST", r"/issues/(\d+)/labels", self._add_labels),
            ("GET", r"/issues/comments/(\d+)", self._get_comment),
            ("PATCH", r"/issues/comments/(\d+)", self._update_comment),
            ("DELETE", r"/issues/comments/(\d+)", self._delete_comment),
            ("GET", r"/compare/([^/]+)", self._compare),
            ("GET", r"/pulls/(\d+)", self._get_pull),
            ("GET", r"/pulls/(\d+)/files", self._list_files),
            ("GET", r"/pulls/(\d+)/comments", self._list_review_comments),
            ("POST", r"/pulls/(\d+)/comments", self._create_review_comment),
            ("POST", r"/pulls/(\d+)/comments/(\d+)/replies", self._reply_to_review_comment),
            ("GET", r"/pulls/comments/(\d+)", self._get_review_comment),
            ("GET", r"/pulls/(\d+)/reviews", self._list_reviews),
            ("POST", r"/pulls/(\d+)/reviews", self._create_review),
            ("POST", r"/code-scanning/sarifs", self._upload_sarif),
            ("GET", r"/code-scanning/sarifs/([^/]+)", self._get_sarif),
            ("GET", r"/collaborators/([^/]+)/permission", self._collaborator_permission),
            ("GET", r"/actions/runs", self._list_runs),
            ("GET", r"/actions/runs/(\d+)/jobs", self._list_jobs),
            ("GET", r"/actions/jobs/(\d+)/logs", self._job_logs),
        ]
        for route_method, pattern, function in routes:
            found = re.fullmatch(pattern, rest)
            if found and route_method == method:
                return function(full_name, *found.groups(), query=query, body=body, accept=accept)  # type: ignore[no-any-return]
        raise not_found()

    def _page(self, items: list[Any], query: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = max(int(query.get("page", 1)), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        headers: dict[str, str] = {}
        links = []
        extra = "".join(f"&{k}={quote(v)}" for k, v in query.items() if k not in ("page", "per_page"))
        if page < last:
            links.append(f'<{self.url}{path}?per_page={per_page}&page={page + 1}{extra}>; rel="next"')
            links.append(f'<{self.url}{path}?per_page={per_page}&page={last}{extra}>; rel="last"')
        if links:
            headers["Link"] = ", ".join(links)
        return 200, headers, chunk

    def _issue(self, full_name: str, number: str) -> dict[str, Any]:
        issue = self.state.issues.get((full_name, int(number)))
        if issue is None:
            raise not_found()
        return issue

    def _pull(self, full_name: str, number: str) -> dict[str, Any]:
        pull = self.state.pulls.get((full_name, int(number)))
        if pull is None:
            raise not_found()
        return pull

    def _list_issues(self, full_name: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        state = kw["query"].get("state", "open")
        items = [
            i
            for (name, _), i in sorted(self.state.issues.items())
            if name == full_name and (state == "all" or i["state"] == state)
        ]
        return self._page(items, kw["query"], f"/repos/{full_name}/issues")

    def _create_issue(self, full_name: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        body = kw["body"]
        repo = self.state.repo(full_name)
        labels = [name if isinstance(name, str) else name.get("name", "") for name in body.get("labels", [])]
        unknown = [name for name in labels if name not in repo.labels]
        if unknown:  # our action must never create labels as a side effect
            self.violations.append(f"POST /repos/{full_name}/issues: label(s) {unknown} do not exist")
            raise ApiError(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "Label", "code": "invalid", "field": "labels"}],
                    "documentation_url": DOCS,
                    "status": "422",
                },
            )
        issue = self.state.add_issue(
            full_name, str(body["title"]), body.get("body") or "", "github-actions[bot]", tuple(labels)
        )
        return 201, {"Location": issue["url"]}, issue

    def _get_issue(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        return 200, {}, self._issue(full_name, number)

    def _update_issue(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        issue = self._issue(full_name, number)
        was = issue["state"]
        for key in ("title", "body", "state", "state_reason"):
            if key in kw["body"]:
                issue[key] = kw["body"][key]
        if issue["state"] != was:  # as GitHub: who closed it, and "reopened" on a reopen
            closing = issue["state"] == "closed"
            actor = self.state.user("github-actions[bot]", "Bot")
            issue["closed_by"] = actor if closing else None
            when = self.state.now()
            issue["closed_at"] = when if closing else None
            if not closing:
                issue["state_reason"] = "reopened"
            elif "state_reason" not in kw["body"]:
                issue["state_reason"] = "completed"  # as GitHub: a close that names no reason
            self.state.issue_events.setdefault((full_name, int(number)), []).append(
                self._event_json(full_name, "closed" if closing else "reopened", actor, when)
            )
        return 200, {}, issue

    def _event_json(self, full_name: str, event: str, actor: dict[str, Any], when: str) -> dict[str, Any]:
        event_id = self.state.new_id()
        return {
            "id": event_id,
            "node_id": f"CE_{event_id}",
            "url": f"{self.state.origin}/repos/{full_name}/issues/events/{event_id}",
            "actor": actor,
            "event": event,
            "commit_id": None,
            "commit_url": None,
            "created_at": when,
            "performed_via_github_app": None,
        }

    def _list_issue_events(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        self._issue(full_name, number)
        items = self.state.issue_events.get((full_name, int(number)), [])
        return self._page(items, kw["query"], f"/repos/{full_name}/issues/{number}/events")

    def _list_comments(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        issue = self._issue(full_name, number)
        items = [c for c in self.state.comments.values() if c["issue_url"] == issue["url"]]
        return self._page(items, kw["query"], f"/repos/{full_name}/issues/{number}/comments")

    def _comment_json(self, full_name: str, issue: dict[str, Any], body: str) -> dict[str, Any]:
        comment_id = self.state.new_id()
        return {
            "id": comment_id,
            "node_id": f"IC_{comment_id}",
            "url": f"{self.state.origin}/repos/{full_name}/issues/comments/{comment_id}",
            "html_url": f"{issue['html_url']}#issuecomment-{comment_id}",
            "issue_url": issue["url"],
            "body": body,
            "user": self.state.user("github-actions[bot]", "Bot"),
            "created_at": (when := self.state.now()),
            "updated_at": when,
            "author_association": "NONE",
        }

    def _create_comment(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        issue = self._issue(full_name, number)
        check_body_length(kw["body"]["body"])
        comment = self._comment_json(full_name, issue, kw["body"]["body"])
        self.state.comments[comment["id"]] = comment
        issue["comments"] += 1
        return 201, {"Location": comment["url"]}, comment

    def _get_comment(self, full_name: str, comment_id: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        comment = self.state.comments.get(int(comment_id))
        if comment is None:
            raise not_found()
        return 200, {}, comment

    def _update_comment(self, full_name: str, comment_id: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        comment = self.state.comments.get(int(comment_id))
        if comment is None:
            raise not_found()
        check_body_length(kw["body"]["body"])
        comment["body"] = kw["body"]["body"]
        comment["updated_at"] = self.state.now()
        return 200, {}, comment

    def _delete_comment(self, full_name: str, comment_id: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        if self.state.comments.pop(int(comment_id), None) is None:
            raise not_found()
        return 204, {}, ""

    def _list_issue_labels(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        return self._page(
            self._issue(full_name, number)["labels"],
            kw["query"],
            f"/repos/{full_name}/issues/{number}/labels",
        )

    def _add_labels(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        issue = self._issue(full_name, number)
        body = kw["body"]
        names = body.get("labels", []) if isinstance(body, dict) else body
        for name in names:
            name = name if isinstance(name, str) else name.get("name")
            if name not in {label["name"] for label in issue["labels"]}:
                issue["labels"].append(self.state.label_json(full_name, name))
        return 200, {}, issue["labels"]

    def _get_pull(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        pull = self._pull(full_name, number)
        if "diff" in kw["accept"]:
            diff = self.state.pull_diffs[(full_name, int(number))]
            too_large = self._diff_too_large(len(self.state.pull_files[(full_name, int(number))]), diff)
            if too_large:
                return 406, {}, too_large
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, diff
        return 200, {}, pull

    def _compare(self, full_name: str, basehead: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        """GET /compare/BASE...HEAD from the pull requests' git repository: status (ahead, behind,
        diverged, identical), the counts and the files changed from the merge base to HEAD. A commit
        the repository does not have is GitHub's 404."""
        base, dots, head = unquote(basehead).partition("...")
        git_dir = self.state.git_dirs.get(full_name)
        if not dots or git_dir is None:
            raise not_found()
        try:
            base_sha = run_git(git_dir, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}").strip()
            head_sha = run_git(git_dir, "rev-parse", "--verify", "--quiet", f"{head}^{{commit}}").strip()
            merge_base = run_git(git_dir, "merge-base", base_sha, head_sha).strip()
        except GitFailed:
            raise not_found() from None
        status = (
            "identical"
            if base_sha == head_sha
            else "ahead"
            if merge_base == base_sha
            else "behind"
            if merge_base == head_sha
            else "diverged"
        )
        ahead = run_git(git_dir, "rev-list", "--reverse", f"{base_sha}..{head_sha}").split()
        behind = run_git(git_dir, "rev-list", "--count", f"{head_sha}..{base_sha}").strip()
        diff = run_git(git_dir, "diff", "--no-color", "--no-ext-diff", merge_base, head_sha)
        files = [self._diff_entry(full_name, f, head_sha) for f in split_diff(diff)]
        url = f"{self.state.origin}/repos/{full_name}/compare/{basehead}"
        return (
            200,
            {},
            {
                "url": url,
                "html_url": f"https://github.com/{full_name}/compare/{basehead}",
                "permalink_url": f"https://github.com/{full_name}/compare/{base_sha}...{head_sha}",
                "diff_url": f"https://github.com/{full_name}/compare/{basehead}.diff",
                "patch_url": f"https://github.com/{full_name}/compare/{basehead}.patch",
                "base_commit": {"sha": base_sha},
                "merge_base_commit": {"sha": merge_base},
                "status": status,
                "ahead_by": len(ahead),
                "behind_by": int(behind),
                "total_commits": len(ahead),
                "commits": [{"sha": sha} for sha in ahead],
                "files": files,
            },
        )

    def _diff_too_large(self, files: int, diff: str) -> dict[str, Any] | None:
        """GitHub's answer when a diff is over its limits (then only `pulls/{n}/files` has the patches)."""
        if files > self.diff_max_files:
            what = f"maximum number of files ({self.diff_max_files})"
        elif len(diff.splitlines()) > self.diff_max_lines:
            what = f"maximum number of lines ({self.diff_max_lines})"
        else:
            return None
        return {
            "message": f"Sorry, the diff exceeded the {what}. Consider using 'List pull requests files' "
            "API or locally cloning the repository instead.",
            "errors": [{"resource": "PullRequest", "field": "diff", "code": "too_large"}],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files",
            "status": "406",
        }

    def _diff_entry(self, full_name: str, f: FilePatch, ref: str) -> dict[str, Any]:
        """One changed file as GitHub's diff-entry schema has it (pull request files, compare)."""
        return {
            "sha": "0" * 40,
            "filename": f.filename,
            "status": f.status,
            "additions": f.additions,
            "deletions": f.deletions,
            "changes": f.additions + f.deletions,
            "blob_url": f"https://github.com/{full_name}/blob/{ref}/{f.filename}",
            "raw_url": f"https://github.com/{full_name}/raw/{ref}/{f.filename}",
            "contents_url": f"{self.state.origin}/repos/{full_name}/contents/{f.filename}",
            "patch": f.patch,
        }

    def _list_files(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        self._pull(full_name, number)
        files = [
            self._diff_entry(full_name, f, "HEAD") for f in self.state.pull_files[(full_name, int(number))]
        ]
        return self._page(files, kw["query"], f"/repos/{full_name}/pulls/{number}/files")

    def _list_review_comments(
        self, full_name: str, number: str, **kw: Any
    ) -> tuple[int, dict[str, str], Any]:
        pull = self._pull(full_name, number)
        items = [c for c in self.state.review_comments.values() if c["pull_request_url"] == pull["url"]]
        return self._page(items, kw["query"], f"/repos/{full_name}/pulls/{number}/comments")

    def _review_comment(self, full_name: str, comment_id: str) -> dict[str, Any]:
        comment = self.state.review_comments.get(int(comment_id))
        if comment is None or not comment["url"].endswith(f"/repos/{full_name}/pulls/comments/{comment_id}"):
            raise not_found()
        return comment

    def _get_review_comment(
        self, full_name: str, comment_id: str, **kw: Any
    ) -> tuple[int, dict[str, str], Any]:
        return 200, {}, self._review_comment(full_name, comment_id)

    def _create_review_comment(
        self, full_name: str, number: str, **kw: Any
    ) -> tuple[int, dict[str, str], Any]:
        """A single review comment, or with `in_reply_to` a reply (then every field but body is ignored)."""
        self._pull(full_name, number)
        body = kw["body"]
        check_body_length(body["body"])
        if body.get("in_reply_to") is not None:
            return self._reply(full_name, number, str(body["in_reply_to"]), body["body"])
        files = {f.filename: f for f in self.state.pull_files[(full_name, int(number))]}
        if body.get("subject_type") == "file":
            self.violations.append(
                "file-level review comments (subject_type file): the stand-in serves lines only"
            )
            raise ApiError(422, {"message": "Not served by the stand-in", "documentation_url": DOCS})
        if "line" not in body and "position" not in body:
            problem: str | None = "line is required"
        else:
            problem = self._review_comment_problem(files, body)
        if problem:
            raise ApiError(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "PullRequestReviewComment",
                            "code": "custom",
                            "field": "pull_request_review_thread.line",
                            "message": f"could not be resolved ({problem})",
                        }
                    ],
                    "documentation_url": "https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request",
                    "status": "422",
                },
            )
        comment = self.state.add_review_comment(
            full_name,
            int(number),
            body["body"],
            path=body["path"],
            line=body.get("line"),
            side=body.get("side", "RIGHT"),
            start_line=body.get("start_line"),
            start_side=body.get("start_side"),
        )
        return 201, {"Location": comment["url"]}, comment

    def _reply_to_review_comment(
        self, full_name: str, number: str, comment_id: str, **kw: Any
    ) -> tuple[int, dict[str, str], Any]:
        self._pull(full_name, number)
        check_body_length(kw["body"]["body"])
        return self._reply(full_name, number, comment_id, kw["body"]["body"])

    def _reply(
        self, full_name: str, number: str, comment_id: str, text: str
    ) -> tuple[int, dict[str, str], Any]:
        target = self._review_comment(full_name, comment_id)
        if target["pull_request_url"] != self._pull(full_name, number)["url"]:
            raise not_found()
        if "in_reply_to_id" in target:
            # GitHub's description: "This must be the ID of a top-level review comment, not a reply to that
            # comment. Replies to replies are not supported."
            self.violations.append(
                f"reply to review comment {comment_id}, itself a reply to {target['in_reply_to_id']}: "
                "GitHub supports replies to a thread's first comment only"
            )
            raise ApiError(
                422, {"message": "Replies to replies are not supported", "documentation_url": DOCS}
            )
        comment = self.state.add_review_comment(full_name, int(number), text, in_reply_to=int(comment_id))
        return 201, {"Location": comment["url"]}, comment

    def _list_reviews(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        pull = self._pull(full_name, number)
        items = [r for r in self.state.reviews.values() if r["pull_request_url"] == pull["url"]]
        return self._page(items, kw["query"], f"/repos/{full_name}/pulls/{number}/reviews")

    def _review_comment_problem(self, files: dict[str, FilePatch], comment: dict[str, Any]) -> str | None:
        patch = files.get(comment["path"])
        if patch is None:
            return "Path could not be resolved"
        if "position" in comment and "line" not in comment:
            return None
        side = comment.get("side", "RIGHT")
        hunks = patch.right_hunks if side == "RIGHT" else patch.left_hunks
        end_hunk = hunk_of(hunks, int(comment["line"]))
        if end_hunk is None:
            return "Line could not be resolved"
        if "start_line" in comment:
            start_side = comment.get("start_side", side)
            start_hunks = patch.right_hunks if start_side == "RIGHT" else patch.left_hunks
            if int(comment["start_line"]) >= int(comment["line"]) and start_side == side:
                return "start_line must precede the end line."
            if hunk_of(start_hunks, int(comment["start_line"])) != end_hunk:
                return "Start line could not be resolved"
        return None

    def _create_review(self, full_name: str, number: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        self._pull(full_name, number)
        body = kw["body"]
        check_body_length(body.get("body"))
        files = {f.filename: f for f in self.state.pull_files[(full_name, int(number))]}
        comments = body.get("comments", [])
        problems = [p for p in (self._review_comment_problem(files, c) for c in comments) if p]
        if problems:
            raise ApiError(
                422,
                {
                    "message": "Unprocessable Entity",
                    "errors": [f"Pull request review thread line must be part of the diff ({problems[0]})"],
                    "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
                    "status": "422",
                },
            )
        event = body.get("event", "PENDING") or "PENDING"
        if event in ("REQUEST_CHANGES", "COMMENT") and not body.get("body") and not comments:
            raise ApiError(
                422,
                {
                    "message": "Unprocessable Entity",
                    "errors": ["Review body is required"],
                    "documentation_url": DOCS,
                    "status": "422",
                },
            )
        state = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}.get(
            event, "PENDING"
        )
        review = self.state.add_review(
            full_name, int(number), body.get("body", ""), state, body.get("commit_id")
        )
        for comment in comments:
            self.state.add_review_comment(
                full_name,
                int(number),
                comment["body"],
                path=comment["path"],
                line=comment.get("line"),
                side=comment.get("side", "RIGHT"),
                start_line=comment.get("start_line"),
                start_side=comment.get("start_side"),
                review_id=review["id"],
            )
        return 200, {}, review

    def _upload_sarif(self, full_name: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        body = kw["body"]
        try:
            document = json.loads(gzip.decompress(base64.b64decode(body["sarif"], validate=True)))
        except (ValueError, OSError) as error:
            self.violations.append(f"SARIF upload is not gzip+base64 JSON: {error}")
            raise ApiError(
                400, {"message": "Invalid sarif: not gzip+base64", "documentation_url": DOCS, "status": "400"}
            ) from None
        if document.get("version") != "2.1.0":
            raise ApiError(
                400, {"message": "Invalid SARIF version", "documentation_url": DOCS, "status": "400"}
            )
        sarif_id = str(uuid.uuid4())
        self.state.sarifs[sarif_id] = {
            "repo": full_name,
            "commit_sha": body["commit_sha"],
            "ref": body["ref"],
            "document": document,
            "polls": 0,
        }
        return (
            202,
            {},
            {"id": sarif_id, "url": f"{self.state.origin}/repos/{full_name}/code-scanning/sarifs/{sarif_id}"},
        )

    def _get_sarif(self, full_name: str, sarif_id: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        upload = self.state.sarifs.get(sarif_id)
        if upload is None:
            raise not_found()
        upload["polls"] += 1
        done = upload["polls"] > self.state.sarif_polls_before_complete
        return (
            200,
            {},
            {
                "processing_status": "complete" if done else "pending",
                "analyses_url": f"{self.state.origin}/repos/{full_name}/code-scanning/analyses?sarif_id={sarif_id}"
                if done
                else None,
            },
        )

    def _search(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        q = query.get("q", "")
        qualifiers = dict(re.findall(r'(\w+):("[^"]*"|\S+)', q))
        text = re.sub(r'\w+:("[^"]*"|\S+)', " ", q)
        phrases = [p.strip('"') for p in re.findall(r'"[^"]*"|\S+', text) if p.strip('"')]
        items = []
        for (full_name, _), issue in sorted(self.state.issues.items()):
            if "repo" in qualifiers and full_name != qualifiers["repo"].strip('"'):
                continue
            kind = qualifiers.get("is") or qualifiers.get("type")
            if kind in ("issue",) and "pull_request" in issue:
                continue
            if kind in ("pr", "pull-request") and "pull_request" not in issue:
                continue
            if "label" in qualifiers and qualifiers["label"].strip('"') not in {
                label["name"] for label in issue["labels"]
            }:
                continue
            haystack = f"{issue['title']}\n{issue['body'] or ''}".lower()
            if all(p.lower() in haystack for p in phrases):
                items.append({**issue, "score": 1.0})
        status, headers, page = self._page(items, query, "/search/issues")
        return status, headers, {"total_count": len(items), "incomplete_results": False, "items": page}

    # ---- GitHub Actions (for `lok ci`) and the collaborator permission the action checks
    def _collaborator_permission(
        self, full_name: str, login: str, **kw: Any
    ) -> tuple[int, dict[str, str], Any]:
        """GitHub's legacy `permission` folds maintain into write and triage into read; role_name is exact."""
        role = self.state.collaborators.get(login, "none")
        legacy = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}
        return (
            200,
            {},
            {"permission": legacy.get(role, "none"), "role_name": role, "user": self.state.user(login)},
        )

    def _list_runs(self, full_name: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        query = kw["query"]
        runs = [r for r in self.state.workflow_runs.values() if r["repository"]["full_name"] == full_name]
        if "head_sha" in query:
            runs = [r for r in runs if r["head_sha"] == query["head_sha"]]
        runs.sort(key=lambda r: r["created_at"], reverse=True)
        status, headers, page = self._page(runs, query, f"/repos/{full_name}/actions/runs")
        return status, headers, {"total_count": len(runs), "workflow_runs": page}

    def _list_jobs(self, full_name: str, run_id: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        jobs = [j for j in self.state.jobs.values() if j["run_id"] == int(run_id)]
        status, headers, page = self._page(
            jobs, kw["query"], f"/repos/{full_name}/actions/runs/{run_id}/jobs"
        )
        return status, headers, {"total_count": len(jobs), "jobs": page}

    def _job_logs(self, full_name: str, job_id: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
        log = self.state.job_logs.get(int(job_id))
        if log is None:
            raise not_found()
        # As GitHub: 302 to a short-lived signed URL on blob storage, where the text is served.
        signature = uuid.uuid4().hex
        blob_path = f"{BLOB_PREFIX}job-logs/{job_id}"
        self.blobs[f"{blob_path}?sig={signature}"] = log  # routes run under self.lock
        return 302, {"Location": f"{self.state.origin}{blob_path}?sig={signature}"}, ""

    def _blob(
        self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        """Blob storage: the signature in the URL is the credential; like Azure storage it refuses a
        request that also carries an Authorization header (a client leaking its GitHub token)."""
        if handler.headers.get("Authorization"):
            return (
                400,
                {},
                "InvalidAuthenticationInfo: Authentication information is not in the correct format.",
            )
        with self.lock:
            text = self.blobs.get(f"{path}?sig={query.get('sig', '')}")
        if text is None:
            return 403, {}, "AuthenticationFailed: Server failed to authenticate the request."
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, text
