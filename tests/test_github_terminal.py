"""`lok run review-pr 123` and `lok run fix 123` from a terminal: the real `lok` CLI as a subprocess,
token from GITHUB_TOKEN, repository from the checkout's `origin` remote, GITHUB_API_URL pointing at
the GitHub stand-in, fake LLM CLIs as backends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fakes.git_repos import PullRequestRepo
from tests.fakes.github_fixtures import READ_TOKEN, REPO, WRITE_TOKEN
from tests.fakes.github_server import GitHubStandIn
from tests.fakes.project import project_in
from tests.test_action_events import write_config


def lok(
    server: GitHubStandIn, checkout: Path, tmp: Path, *argv: str, token: str = WRITE_TOKEN
) -> subprocess.CompletedProcess[str]:
    """The `lok` console script as a user types it in a terminal (the installed entry point), in CHECKOUT."""
    write_config(checkout, tmp)
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "GITHUB_TOKEN": token,
        "GITHUB_API_URL": server.url,
        "LOK_MIN_CONSENSUS": "2",
    }
    return project_in(tmp).lok_installed(
        "run", *argv, "-b", "alpha,beta,gamma", "--config", ".github/lok.toml", cwd=checkout, env=env
    )


def add_pull_request(server: GitHubStandIn, repo: PullRequestRepo) -> int:
    server.state.add_repo(REPO)
    pull = server.state.add_pull_request(
        REPO, repo.path, "main", "feature", "Add first_item", "Please review."
    )
    return int(pull["number"])


def test_review_pr_from_a_terminal_posts_a_review_and_updates_on_rerun(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    number = add_pull_request(github_stand_in, pr_git_repo)
    run = lok(github_stand_in, pr_git_repo.path, tmp_path, "review-pr", str(number))
    assert run.returncode == 0, run.stdout + run.stderr
    # the repository came from `origin` (https://github.com/lok-test/demo.git)
    assert github_stand_in.requests_matching("GET", rf"^/repos/{REPO}/pulls/{number}$")
    (review,) = github_stand_in.state.reviews.values()
    (inline,) = github_stand_in.state.review_comments.values()
    assert (inline["path"], inline["start_line"], inline["line"], inline["side"]) == (
        "app.py",
        13,
        14,
        "RIGHT",
    )
    assert "first_item fails on an empty list" in inline["body"] and "```suggestion" in inline["body"]
    assert "open() without" not in review["body"] + inline["body"]  # below min consensus 2
    (comment,) = github_stand_in.state.comments.values()
    assert "first_item fails on an empty list" in comment["body"]
    assert "**Coverage:** 1 file analysed, 0 skipped" in comment["body"]
    assert "github: review: created (1 inline" in run.stderr
    again = lok(github_stand_in, pr_git_repo.path, tmp_path, "review-pr", str(number))
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(github_stand_in.state.comments) == 1 and len(github_stand_in.state.review_comments) == 1
    assert len(github_stand_in.requests_matching("POST", r"/issues/\d+/comments$")) == 1
    assert len(github_stand_in.requests_matching("POST", r"/pulls/\d+/reviews$")) == 1
    assert "github: comment updated" in again.stderr and "1 already posted" in again.stderr


def test_fix_from_a_terminal_posts_the_proposal_and_updates_on_rerun(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    github_stand_in.state.add_repo(REPO)
    number = github_stand_in.state.add_issue(REPO, "first_item crashes", "first_item([]) raises IndexError")[
        "number"
    ]
    run = lok(github_stand_in, pr_git_repo.path, tmp_path, "fix", str(number))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "### Cause" in run.stdout  # the synthesis, printed as the run's answer
    (comment,) = github_stand_in.state.comments.values()
    assert "<!-- lok:report -->" in comment["body"] and "### Cause" in comment["body"]
    assert comment["issue_url"].endswith(f"/issues/{number}")
    prompts = (tmp_path / "prompts.txt").read_text()
    assert "first_item([]) raises IndexError" in prompts and "untrusted data" in prompts
    again = lok(github_stand_in, pr_git_repo.path, tmp_path, "fix", str(number))
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(github_stand_in.state.comments) == 1
    assert len(github_stand_in.requests_matching("POST", r"/issues/\d+/comments$")) == 1
    assert "github: comment updated" in again.stderr


def test_read_only_token_from_a_terminal_writes_nothing_and_says_so(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    number = add_pull_request(github_stand_in, pr_git_repo)
    review = lok(github_stand_in, pr_git_repo.path, tmp_path, "review-pr", str(number), token=READ_TOKEN)
    fix = lok(github_stand_in, pr_git_repo.path, tmp_path, "fix", str(number), token=READ_TOKEN)
    for run in (review, fix):
        assert run.returncode == 0, run.stdout + run.stderr
        assert "read-only token" in run.stderr and "nothing was posted" in run.stderr
    assert "first_item fails on an empty list" in review.stdout and "### Cause" in fix.stdout
    # GitHub cannot tell lok up front that GITHUB_TOKEN is read-only: one write is tried per run,
    # refused with 403, and nothing else is attempted
    writes = github_stand_in.write_requests()
    assert [w.status for w in writes] == [403, 403], writes
    assert "/pulls/" in writes[0].path and "/comments" in writes[1].path
    assert github_stand_in.state.comments == {} and github_stand_in.state.reviews == {}
    assert READ_TOKEN not in review.stderr + fix.stderr


def test_a_github_write_that_keeps_failing_makes_the_run_fail(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    github_stand_in.state.add_repo(REPO)
    number = github_stand_in.state.add_issue(REPO, "first_item crashes", "first_item([]) raises IndexError")[
        "number"
    ]
    github_stand_in.inject("POST", r"/issues/\d+/comments$", 500, times=50)  # past every retry
    run = lok(github_stand_in, pr_git_repo.path, tmp_path, "fix", str(number))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "### Cause" in run.stdout  # the answer is still printed
    assert not github_stand_in.state.comments
