"""`lok hunt --issues`: one GitHub issue per reported finding, never twice for one fingerprint,
against the OpenAPI-validating GitHub stand-in."""

from __future__ import annotations

from tests.fakes.git_repos import run_git
from tests.fakes.github_fixtures import REPO, WRITE_TOKEN


def hunt_with_issues(lok_project, repo, server, *extra: str):
    env = {"GITHUB_TOKEN": WRITE_TOKEN, "GITHUB_API_URL": server.url, "GITHUB_REPOSITORY": REPO}
    return lok_project.lok(
        "hunt", ".", "-b", "a,b,c", "--min-consensus", "2", "--issues", *extra, cwd=repo, env=env
    )


def test_issues_are_opened_once_per_fingerprint(analysis_repo, lok_project, github_stand_in):
    github_stand_in.state.add_repo(REPO, labels=("lok",))
    # the stand-in, like GitHub, knows a label exists when an issue carries it
    github_stand_in.state.add_issue(REPO, "older", "unrelated", labels=("lok",))

    first = hunt_with_issues(lok_project, analysis_repo, github_stand_in, "-y")
    assert first.returncode == 0, first.stderr
    assert "1 issue(s) opened (#2), 0 already filed" in first.stderr
    created = github_stand_in.requests_matching("POST", r"/repos/lok-test/demo/issues$")
    assert len(created) == 1
    issue = github_stand_in.state.issues[(REPO, 2)]
    assert "Division by zero in average()" in issue["title"]
    assert [label["name"] for label in issue["labels"]] == ["lok"]
    assert "lok-fingerprint: " in issue["body"]

    second = hunt_with_issues(lok_project, analysis_repo, github_stand_in, "-y")
    assert second.returncode == 0, second.stderr
    assert "0 issue(s) opened, 1 already filed" in second.stderr
    assert len(github_stand_in.requests_matching("POST", r"/repos/lok-test/demo/issues$")) == 1


def test_issues_need_confirmation_when_not_on_a_terminal(analysis_repo, lok_project, github_stand_in):
    github_stand_in.state.add_repo(REPO)
    done = hunt_with_issues(lok_project, analysis_repo, github_stand_in)
    assert done.returncode == 2
    assert "pass -y to confirm" in done.stderr
    assert "Traceback" not in done.stderr
    assert github_stand_in.write_requests() == []


def test_issues_without_a_token_is_a_one_line_error(analysis_repo, lok_project):
    run_git(analysis_repo, "remote", "add", "origin", "https://github.com/lok-test/demo.git")
    done = lok_project.lok(
        "hunt", ".", "-b", "a,b,c", "--issues", "-y", cwd=analysis_repo, env={"GITHUB_TOKEN": ""}
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("lok: error: no GitHub token")
