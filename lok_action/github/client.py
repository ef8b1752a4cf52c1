"""The GitHub API client: PyGithub pointed at GITHUB_API_URL, retrying what GitHub says to retry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lok_action.errors import GitHubError

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

DEFAULT_API_URL = "https://api.github.com"
# 5xx and 429 are retried with backoff; 403 only when GitHub marks it a (secondary) rate limit
# (Retry-After header or rate-limit message) - PyGithub's GithubRetry makes that distinction.
RETRY_TOTAL = 4
RETRY_BACKOFF = 0.5


@dataclass
class RepoHandle:
    """One repository on one GitHub server, with an authenticated client."""

    gh: Github
    full_name: str
    api_url: str
    # the token's own login, once asked (lok_action.github.comment.own_login): one lookup per run
    known_login: str | None = field(default=None, compare=False, repr=False)

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]

    def repo(self) -> Repository:
        """A lazy Repository object: no request until an attribute it lacks is read."""
        return self.gh.withLazy(True).get_repo(self.full_name)

    def request_json(
        self, method: str, path: str, body: dict[str, Any] | None = None, params: dict[str, Any] | None = None
    ) -> Any:
        """A call PyGithub has no method for, through its requester (same auth, retry, base URL)."""
        url = f"{self.api_url.rstrip('/')}{path}"
        _headers, data = self.gh.requester.requestJsonAndCheck(method, url, parameters=params, input=body)
        return data

    def request_text(self, path: str, accept: str) -> str:
        """A GET whose answer is text (a diff, a log), e.g. Accept: application/vnd.github.diff.

        Job and run logs answer 302 to a short-lived signed URL on another host (blob storage); that
        URL is fetched without our token (the signature is the credential, and the token must not
        leave GitHub). PyGithub's own 302 following refuses hosts outside github.com, hence requests.
        Raises GitHubHTTPError (with .status) for a 4xx/5xx answer."""
        url = f"{self.api_url.rstrip('/')}{path}"
        status, headers, text = self.gh.requester.requestJson("GET", url, headers={"Accept": accept})
        location = headers.get("location") if status in (301, 302, 303, 307, 308) else None
        if location:
            import requests

            try:
                answer = requests.get(location, headers={"Accept": accept}, timeout=60)
            except requests.RequestException as error:
                raise GitHubHTTPError(f"GET {path}: redirected download failed: {error}", 0) from None
            status, text = answer.status_code, answer.text
        elif 300 <= status < 400:
            raise GitHubHTTPError(f"GET {path} answered HTTP {status} without a Location", status)
        if status >= 400:
            raise GitHubHTTPError(f"GET {path} failed with HTTP {status}", status)
        return text


class GitHubHTTPError(GitHubError):
    """A GitHub GET answered an error status; callers may fall back on some (406 for a too-large diff)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def make_github(token: str, api_url: str = DEFAULT_API_URL) -> Github:
    from github import Auth, Github, GithubRetry

    retry = GithubRetry(
        total=RETRY_TOTAL,
        backoff_factor=RETRY_BACKOFF,
        status_forcelist=[429, *range(500, 600)],
        allowed_methods=frozenset({"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"}),
        raise_on_status=False,
        max_rate_limit_wait=120,
    )
    return Github(auth=Auth.Token(token), base_url=api_url.rstrip("/"), retry=retry, timeout=30, per_page=100)


def open_repo(full_name: str, env: Mapping[str, str], token: str | None = None) -> RepoHandle:
    token = token or env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or ""
    if not token:
        raise GitHubError("no GitHub token: set GITHUB_TOKEN (or the action input github-token)")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", full_name):
        raise GitHubError(f"'{full_name}' is not a repository name of the form owner/name")
    api_url = env.get("GITHUB_API_URL") or DEFAULT_API_URL
    return RepoHandle(gh=make_github(token, api_url), full_name=full_name, api_url=api_url)


REMOTE_PATTERN = re.compile(r"github\.com[:/]+([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def repo_from_remote(url: str, where: Path) -> str:
    """owner/name from a github.com remote URL (``where``: the checkout it came from, for the error)."""
    match = REMOTE_PATTERN.search(url)
    if not match:
        raise GitHubError(
            f"cannot tell the GitHub repository of {where}: no github.com 'origin' remote; set GITHUB_REPOSITORY=owner/name"
        )
    return f"{match.group(1)}/{match.group(2)}"


def is_write_denied(error: Exception) -> bool:
    """GitHub's answer when the token may read but not write (fork PRs, read-only GITHUB_TOKEN)."""
    from github import GithubException

    return isinstance(error, GithubException) and error.status == 403 and "not accessible" in str(error.data)
