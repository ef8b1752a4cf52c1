"""GitHub publishers against the stand-in (real HTTP, GitHub's OpenAPI validation on every request)."""

from __future__ import annotations

import io
import time
from pathlib import Path

from lok_action.findings.model import Finding
from lok_action.github.client import RepoHandle, make_github
from lok_action.github.comment import own_login, publish_comment
from lok_action.github.issues import close_fixed_issues, create_finding_issues
from lok_action.github.markers import REPORT_MARKER
from lok_action.github.render import comment_markdown, fence
from lok_action.github.review import publish_review
from lok_action.github.sarif_upload import upload_sarif
from lok_action.github.summary import SUMMARY_LIMIT, fit_summary, write_step_summary
from lok_action.github.workflow_commands import annotation, append_outputs, escape_property
from lok_action.outcome import Outcome
from lok_action.report.sarif import render_sarif
from tests.fakes.git_repos import PullRequestRepo
from tests.fakes.github_fixtures import REPO, WRITE_TOKEN
from tests.fakes.github_server import GitHubStandIn


def handle_for(server: GitHubStandIn, token: str = WRITE_TOKEN) -> RepoHandle:
    return RepoHandle(make_github(token, server.url), REPO, server.url)


def in_diff_finding() -> Finding:
    return Finding(
        rule_id="lok/index-error",
        category="bug",
        severity="high",
        file="app.py",
        start_line=13,
        end_line=14,
        title="first_item fails on an empty list",
        explanation="items[0] raises IndexError for [].",
        suggested_fix="def first_item(items):\n    return items[0] if items else None",
        backends=["claude", "codex"],
        fingerprint="fp-first-item",
        dissent=["gemini"],
    )


def outside_diff_finding() -> Finding:
    return Finding(
        rule_id="lok/encoding",
        category="bug",
        severity="medium",
        file="app.py",
        start_line=2,
        end_line=3,
        title="load relies on the locale encoding",
        explanation="open() without encoding=.",
        backends=["codex", "gemini"],
        fingerprint="fp-average",
    )


def report(*findings: Finding) -> Outcome:
    """A reviewed pull request's Outcome: findings that passed --min-consensus 2."""
    return Outcome(workflow="review-pr", target="pull request #1", findings=list(findings), min_consensus=2)


def open_pr(server: GitHubStandIn, repo: PullRequestRepo) -> int:
    server.state.add_repo(REPO, labels=("lok", "bug"))
    return int(
        server.state.add_pull_request(REPO, repo.path, "main", "feature", "Add first_item", "body")["number"]
    )


def test_comment_is_created_then_updated_in_place(github_stand_in: GitHubStandIn) -> None:
    github_stand_in.state.add_repo(REPO)
    issue = github_stand_in.state.add_issue(REPO, "Crash", "It crashes")
    handle = handle_for(github_stand_in)
    first = publish_comment(handle, issue["number"], comment_markdown(report(outside_diff_finding())))
    second = publish_comment(handle, issue["number"], comment_markdown(report()))
    assert (first.action, second.action) == ("created", "updated")
    assert first.comment_id == second.comment_id
    comments = list(github_stand_in.state.comments.values())
    assert len(comments) == 1 and REPORT_MARKER in comments[0]["body"]
    assert "No findings passed" in comments[0]["body"]
    assert len(github_stand_in.requests_matching("PATCH", r"/issues/comments/\d+$")) == 1


def test_a_users_copy_of_the_marker_is_never_taken_for_the_lok_comment(
    github_stand_in: GitHubStandIn,
) -> None:
    """Someone pastes lok's hidden marker into their own comment: lok must not adopt (and keep
    editing) that comment, which its author could later rewrite to fake a report."""
    github_stand_in.state.add_repo(REPO)
    issue = github_stand_in.state.add_issue(REPO, "Crash", "It crashes")
    handle = handle_for(github_stand_in)
    planted = handle.repo().get_issue(issue["number"]).create_comment(f"{REPORT_MARKER}\nlooks like lok")
    github_stand_in.state.comments[planted.id]["user"] = github_stand_in.state.user("mallory")
    result = publish_comment(handle, issue["number"], comment_markdown(report()))
    assert result.action == "created" and result.comment_id != planted.id
    assert github_stand_in.state.comments[planted.id]["body"].endswith("looks like lok")
    again = publish_comment(handle, issue["number"], comment_markdown(report(outside_diff_finding())))
    assert (again.action, again.comment_id) == ("updated", result.comment_id)


def test_comment_creation_survives_502_and_secondary_rate_limit(github_stand_in: GitHubStandIn) -> None:
    github_stand_in.state.add_repo(REPO)
    number = github_stand_in.state.add_issue(REPO, "Crash", "It crashes")["number"]
    github_stand_in.inject("POST", r"/issues/\d+/comments$", 502)
    github_stand_in.inject_secondary_rate_limit("POST", r"/issues/\d+/comments$", retry_after=1)
    started = time.monotonic()
    result = publish_comment(handle_for(github_stand_in), number, "hello", mode="new")
    elapsed = time.monotonic() - started
    assert result.action == "created"
    statuses = [r.status for r in github_stand_in.requests_matching("POST", r"/issues/\d+/comments$")]
    assert statuses == [502, 403, 201]
    assert elapsed >= 1.0, "Retry-After: 1 was not honoured"
    assert len(github_stand_in.state.comments) == 1


def test_review_puts_inline_comments_on_diff_lines_and_the_rest_in_the_body(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    handle = handle_for(github_stand_in)
    result = publish_review(handle, number, report(in_diff_finding(), outside_diff_finding()))
    assert (result.action, result.inline, result.in_body) == ("created", 1, 1)
    (comment,) = github_stand_in.state.review_comments.values()
    assert (comment["path"], comment["start_line"], comment["line"], comment["side"]) == (
        "app.py",
        13,
        14,
        "RIGHT",
    )
    assert (
        "```suggestion\ndef first_item(items):\n    return items[0] if items else None\n```"
        in comment["body"]
    )
    (review,) = github_stand_in.state.reviews.values()
    assert review["commit_id"] == pr_git_repo.head_sha and review["state"] == "COMMENTED"
    assert "load relies on the locale encoding" in review["body"] and "first_item" not in review["body"]
    # A re-run posts nothing twice.
    again = publish_review(handle, number, report(in_diff_finding(), outside_diff_finding()))
    assert (again.action, again.already_posted) == ("nothing-new", 2)
    assert len(github_stand_in.state.reviews) == 1 and len(github_stand_in.state.review_comments) == 1


def test_a_line_outside_the_diff_is_refused_by_the_stand_in(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    handle = handle_for(github_stand_in)
    pull = handle.repo().get_pull(number)
    from github import GithubException

    payload = {
        "commit_id": pull.head.sha,
        "event": "COMMENT",
        "body": "x",
        "comments": [{"path": "app.py", "line": 2, "side": "RIGHT", "body": "not in diff"}],
    }
    try:
        handle.request_json("POST", f"/repos/{REPO}/pulls/{number}/reviews", payload)
        raise AssertionError("the stand-in accepted a comment outside the diff")
    except GithubException as error:
        assert error.status == 422 and error.data["message"] == "Unprocessable Entity"


def test_review_422_falls_back_to_body_with_every_finding(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    github_stand_in.inject(
        "POST",
        r"/pulls/\d+/reviews$",
        422,
        {
            "message": "Unprocessable Entity",
            "errors": ["Line could not be resolved"],
            "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
        },
    )
    result = publish_review(
        handle_for(github_stand_in), number, report(in_diff_finding(), outside_diff_finding())
    )
    assert result.action == "fallback-body" and result.in_body == 2
    (review,) = github_stand_in.state.reviews.values()
    assert (
        "first_item fails on an empty list" in review["body"]
        and "load relies on the locale encoding" in review["body"]
    )
    assert github_stand_in.state.review_comments == {}


def test_review_double_422_falls_back_to_an_issue_comment(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    github_stand_in.inject(
        "POST", r"/pulls/\d+/reviews$", 422, {"message": "Unprocessable Entity", "errors": ["x"]}, times=2
    )
    result = publish_review(
        handle_for(github_stand_in), number, report(in_diff_finding(), outside_diff_finding())
    )
    assert result.action == "fallback-comment"
    (comment,) = github_stand_in.state.comments.values()
    assert "fp-first-item" in comment["body"] and "fp-average" in comment["body"]


def many_huge_findings(count: int = 20) -> list[Finding]:
    return [
        Finding(
            rule_id=f"lok/huge-{index}",
            category="bug",
            severity="medium",
            file="app.py",
            start_line=2,
            end_line=2,
            title=f"huge finding {index}",
            explanation="x" * 8000,
            backends=["claude", "codex"],
            fingerprint=f"fp-huge-{index}",
        )
        for index in range(count)
    ]


def test_huge_review_and_fallback_comment_stay_under_githubs_limit(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    result = publish_review(handle_for(github_stand_in), number, report(*many_huge_findings()), "summary")
    assert result.action == "created", result
    (review,) = github_stand_in.state.reviews.values()
    assert len(review["body"]) <= 65536 and "truncated (GitHub's comment size limit)" in review["body"]
    # the same findings again on another PR, both review attempts refused: the comment is cut too
    other = int(
        github_stand_in.state.add_pull_request(REPO, pr_git_repo.path, "main", "feature", "Again", "body")[
            "number"
        ]
    )
    assert other != number
    github_stand_in.inject(
        "POST", r"/pulls/\d+/reviews$", 422, {"message": "Unprocessable Entity", "errors": ["x"]}, times=2
    )
    fallback = publish_review(handle_for(github_stand_in), other, report(*many_huge_findings()), "summary")
    assert fallback.action == "fallback-comment"
    (comment,) = github_stand_in.state.comments.values()
    assert len(comment["body"]) <= 65536 and "truncated" in comment["body"]


def test_persistent_422_does_not_repost_the_fallback_comment(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo
) -> None:
    number = open_pr(github_stand_in, pr_git_repo)
    refused = {"message": "Unprocessable Entity", "errors": ["x"]}
    findings = report(in_diff_finding(), outside_diff_finding())
    github_stand_in.inject("POST", r"/pulls/\d+/reviews$", 422, refused, times=2)
    first = publish_review(handle_for(github_stand_in), number, findings)
    assert first.action == "fallback-comment" and len(github_stand_in.state.comments) == 1
    github_stand_in.inject("POST", r"/pulls/\d+/reviews$", 422, refused, times=2)
    second = publish_review(handle_for(github_stand_in), number, findings)
    assert second.action == "nothing-new" and second.already_posted == 2
    assert len(github_stand_in.state.comments) == 1
    assert len(github_stand_in.requests_matching("POST", r"/pulls/\d+/reviews$")) == 2  # the first run's


def test_sarif_upload_is_gzipped_and_polled_until_complete(
    github_stand_in: GitHubStandIn, tmp_path: Path
) -> None:
    github_stand_in.state.add_repo(REPO)
    github_stand_in.state.sarif_polls_before_complete = 2
    sarif = tmp_path / "lok.sarif"
    sarif.write_bytes(render_sarif(Outcome(workflow="hunt", target=".", findings=[])))
    result = upload_sarif(
        handle_for(github_stand_in), sarif, "a" * 40, "refs/pull/1/merge", poll_interval=0.05
    )
    assert result.status == "complete"
    upload = github_stand_in.state.sarifs[result.sarif_id]
    assert upload["commit_sha"] == "a" * 40 and upload["ref"] == "refs/pull/1/merge" and upload["polls"] == 3
    assert upload["document"]["runs"][0]["tool"]["driver"]["name"] == "lok"


def test_finding_issues_are_deduplicated_and_only_existing_labels_used(
    github_stand_in: GitHubStandIn,
) -> None:
    github_stand_in.state.add_repo(REPO, labels=("lok",))
    github_stand_in.state.add_issue(
        REPO, "older", "old", labels=("lok",)
    )  # makes the label visible to search
    handle = handle_for(github_stand_in)
    findings = [outside_diff_finding(), in_diff_finding()]
    first = create_finding_issues(handle, findings, labels=("lok", "no-such-label"))
    assert len(first.created) == 2 and first.labels_missing == ["no-such-label"]
    created = github_stand_in.state.issues[(REPO, first.created[0])]
    assert [label["name"] for label in created["labels"]] == ["lok"]
    second = create_finding_issues(handle, findings, labels=("lok",))
    assert second.created == [] and sorted(second.existing) == sorted(first.created)


def test_annotation_escaping() -> None:
    finding = Finding(
        rule_id="r",
        category="bug",
        severity="medium",
        file="src/a,b:c.py",
        start_line=3,
        end_line=5,
        title="50% wrong: a, b",
        explanation="line1\nline2\r100%",
        backends=["x"],
    )
    line = annotation(finding)
    assert line.startswith(
        "::warning file=src/a%2Cb%3Ac.py,line=3,endLine=5,title=[medium] 50%25 wrong%3A a%2C b::"
    )
    assert line.endswith("::line1%0Aline2%0D100%25%0A(reported by x)")
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_outputs_use_a_delimiter_absent_from_the_value(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("earlier=1\n")
    append_outputs(out, {"report": "line1\nline2", "verdict": "pass"})
    text = out.read_text()
    assert text.startswith("earlier=1\nreport<<ghadelimiter_")
    delimiter = text.splitlines()[1].split("<<")[1]
    assert text.splitlines()[2:5] == ["line1", "line2", delimiter]


def test_summary_stays_under_one_mebibyte_with_a_note(tmp_path: Path) -> None:
    big = "| row | é |\n" * 200_000
    fitted = fit_summary(big)
    assert len(fitted.encode("utf-8")) <= SUMMARY_LIMIT and "truncated" in fitted
    path = tmp_path / "summary.md"
    write_step_summary(path, big)
    assert path.stat().st_size <= SUMMARY_LIMIT
    write_step_summary(tmp_path / "small.md", "# ok")
    assert (tmp_path / "small.md").read_text() == "# ok\n"


def test_fence_is_longer_than_backticks_inside() -> None:
    assert fence("a ```` b").startswith("`````\n")
    stream = io.StringIO()
    print(fence("x", "suggestion"), file=stream)
    assert stream.getvalue() == "```suggestion\nx\n```\n"


def test_a_github_app_token_knows_its_own_comment_by_the_graphql_viewer(
    github_stand_in: GitHubStandIn,
) -> None:
    """An App's installation token may not read GET /user (403, as on GitHub): lok learns its bot's login
    from GraphQL's viewer, so it updates its own comment instead of posting one per run, and still
    leaves the Actions bot's copy of the marker alone."""
    github_stand_in.state.add_repo(REPO)
    issue = github_stand_in.state.add_issue(REPO, "Crash", "It crashes")
    github_stand_in.add_app_token("ghs_apptoken000000000000000000000000000", "lok-app[bot]")
    handle = handle_for(github_stand_in, "ghs_apptoken000000000000000000000000000")
    others = handle.repo().get_issue(issue["number"]).create_comment(f"{REPORT_MARKER}\nanother bot's")
    github_stand_in.state.comments[others.id]["user"] = github_stand_in.state.user(
        "github-actions[bot]", "Bot"
    )
    first = publish_comment(handle, issue["number"], comment_markdown(report(outside_diff_finding())))
    assert first.action == "created" and first.comment_id != others.id
    github_stand_in.state.comments[first.comment_id]["user"] = github_stand_in.state.user(
        "lok-app[bot]", "Bot"
    )
    second = publish_comment(handle, issue["number"], comment_markdown(report()))
    assert (second.action, second.comment_id) == ("updated", first.comment_id)
    # asked once for the handle, not once per comment looked up
    assert len(github_stand_in.requests_matching("GET", r"/user$")) == 1
    assert len(github_stand_in.requests_matching("POST", r"/graphql$")) == 1
    assert github_stand_in.state.comments[others.id]["body"].endswith("another bot's")


def test_an_issue_a_person_reopened_and_closed_again_with_loks_token_stays_closed(
    github_stand_in: GitHubStandIn,
) -> None:
    """lok closes the issue of a finding it no longer sees; a maintainer, whose token lok runs with,
    reopens it and closes it again by hand (so GitHub names the same login as closer). When the finding
    comes back, that close is theirs: lok leaves the issue closed. An issue only lok closed is reopened."""
    github_stand_in.state.add_repo(REPO)
    handle = handle_for(github_stand_in)
    theirs = outside_diff_finding()
    other = in_diff_finding()
    filed = create_finding_issues(handle, [theirs, other], labels=())
    assert len(filed.created) == 2
    closed = close_fixed_issues(handle, found=set(), analysed={theirs.file, other.file}, commit="abc123")
    assert sorted(closed) == sorted(filed.created)
    by_hand = handle.repo().get_issue(filed.created[0])
    by_hand.edit(state="open")
    by_hand.edit(state="closed")

    again = create_finding_issues(handle, [theirs, other], labels=())

    assert again.reopened == [filed.created[1]] and again.existing == [filed.created[0]]
    assert again.created == []
    states = {n: github_stand_in.state.issues[(REPO, n)]["state"] for n in filed.created}
    assert states == {filed.created[0]: "closed", filed.created[1]: "open"}
    # lok's own reopen is no person's: once lok closes that issue again, it may reopen it again
    assert close_fixed_issues(handle, found=set(), analysed={other.file}, commit="def456") == [
        filed.created[1]
    ]
    third = create_finding_issues(handle, [theirs, other], labels=())
    assert third.reopened == [filed.created[1]] and third.existing == [filed.created[0]]


def test_the_own_login_is_kept_once_known_but_not_an_error_in_its_place(
    github_stand_in: GitHubStandIn,
) -> None:
    """A lookup GitHub answered with an error (not the 403 an installation token gets) says nothing of
    the token: it is not kept, so the next lookup asks again; the answer, once there, is kept."""
    github_stand_in.state.add_repo(REPO)
    handle = handle_for(github_stand_in)
    github_stand_in.inject("GET", r"/user$", 404)
    assert own_login(handle) == ""
    assert not github_stand_in.requests_matching("POST", r"/graphql$")  # no guess from GraphQL either
    assert own_login(handle) == "github-actions[bot]"
    assert own_login(handle) == "github-actions[bot]"
    assert len(github_stand_in.requests_matching("GET", r"/user$")) == 2
