"""A pull request over GitHub's diff limits (300 files / 20,000 lines): the diff media type answers 406
too_large, so review-pr rebuilds the diff from the paginated `GET /pulls/{n}/files` and still reviews
it; files GitHub gives no patch for are listed as skipped, with the reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.git_repos import PullRequestRepo, make_pr_repo, run_git
from tests.fakes.github_fixtures import REPO, WRITE_TOKEN
from tests.fakes.github_server import GitHubStandIn
from tests.fakes.project import project_in
from tests.test_action_events import pr_payload, run_action
from tests.test_action_review_chunks import finding, module_text

MODULES = [f"pkg/mod_{i:03d}.py" for i in range(104)]  # with the binary: 105 files, two pages of 100
BINARY = "assets/logo.png"
FLAGGED = ("pkg/mod_000.py", "pkg/mod_103.py")  # the first and the last page's files


@pytest.fixture
def large_pr_repo(tmp_path: Path) -> PullRequestRepo:
    files: dict[str, str | bytes] = {path: module_text(Path(path).stem)[:200] for path in MODULES}
    files[BINARY] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    return make_pr_repo(tmp_path, {}, files, "many modules")


def lok_github_in(
    tmp_path: Path, repo: PullRequestRepo, stand_in: GitHubStandIn, *argv: str
) -> subprocess.CompletedProcess[str]:
    """`lok github ARGV` in the PR's checkout, against the stand-in, with only the venv's programs on PATH."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "GITHUB_TOKEN": WRITE_TOKEN,
        "GITHUB_API_URL": stand_in.url,
        "GITHUB_REPOSITORY": REPO,
    }
    return project_in(tmp_path).lok("github", *argv, cwd=repo.path, env=env, timeout=60)


def test_pull_request_over_the_diff_limit_is_reviewed_from_its_file_list(
    github_stand_in: GitHubStandIn, large_pr_repo: PullRequestRepo, tmp_path: Path
) -> None:
    github_stand_in.diff_max_files = 100  # GitHub's limit is 300; the stand-in's is lowered to keep it fast
    github_stand_in.state.add_repo(REPO)
    pull = github_stand_in.state.add_pull_request(
        REPO, large_pr_repo.path, "main", "feature", "Many modules", "Adds modules."
    )
    number = int(pull["number"])
    every = [finding(path) for path in FLAGGED]
    run = run_action(
        github_stand_in,
        large_pr_repo.path,
        tmp_path,
        "pull_request",
        pr_payload(number, large_pr_repo),
        findings={"alpha": every, "beta": every, "gamma": every},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # GitHub refused the diff; the file list was read to its last page
    diff_requests = github_stand_in.requests_matching("GET", rf"^/repos/{REPO}/pulls/{number}$")
    assert 406 in {r.status for r in diff_requests}
    pages = github_stand_in.requests_matching("GET", rf"^/repos/{REPO}/pulls/{number}/files")
    assert any("page=2" in r.path for r in pages)
    prompts = (tmp_path / "prompts.txt").read_text()
    assert "### FILE pkg/mod_000.py" in prompts and "### FILE pkg/mod_103.py" in prompts
    assert "    5| +    return total / len(items)" in prompts  # new-file line numbers, as from the diff
    # every file analysed or skipped with the reason; the binary had no patch
    assert f"**Coverage:** {len(MODULES)} files analysed, 1 skipped" in run.summary
    assert f"`{BINARY}`: no patch from GitHub (binary or too large)" in run.summary
    inline = sorted((c["path"], c["line"]) for c in github_stand_in.state.review_comments.values())
    assert inline == [(path, 5) for path in FLAGGED]


def test_lok_github_pr_and_diff_fall_back_to_the_file_list(
    github_stand_in: GitHubStandIn, large_pr_repo: PullRequestRepo, tmp_path: Path
) -> None:
    github_stand_in.diff_max_lines = 500  # this time the line limit (GitHub's: 20,000) refuses the diff
    github_stand_in.state.add_repo(REPO)
    number = github_stand_in.state.add_pull_request(REPO, large_pr_repo.path, "main", "feature", "t", "b")[
        "number"
    ]
    assert len(github_stand_in.state.pull_diffs[(REPO, number)].splitlines()) > 500

    def lok_github(*argv: str) -> subprocess.CompletedProcess[str]:
        return lok_github_in(tmp_path, large_pr_repo, github_stand_in, *argv)

    text = lok_github("pr", str(number))
    assert text.returncode == 0, text.stderr
    assert "### FILE pkg/mod_103.py" in text.stdout
    assert f"- {BINARY}: no patch from GitHub (binary or too large)" in text.stdout
    diff = lok_github("diff", str(number))
    assert diff.returncode == 0, diff.stderr
    assert {r.status for r in github_stand_in.requests_matching("GET", rf"/pulls/{number}$")} == {406, 200}
    assert diff.stdout.count("diff --git ") == len(MODULES) and BINARY in diff.stderr
    # the rebuilt diff is one git itself accepts for the PR's base
    work = tmp_path / "apply"
    run_git(large_pr_repo.path, "worktree", "add", "-q", str(work), large_pr_repo.base_sha)
    run_git(work, "apply", "--check", "-", input_text=diff.stdout + "\n")  # git's stderr if it refuses


def test_other_diff_errors_still_fail(
    github_stand_in: GitHubStandIn, large_pr_repo: PullRequestRepo, tmp_path: Path
) -> None:
    github_stand_in.state.add_repo(REPO)
    number = github_stand_in.state.add_pull_request(REPO, large_pr_repo.path, "main", "feature", "t", "b")[
        "number"
    ]
    github_stand_in.inject(
        "GET", rf"/pulls/{number}$", 404, {"message": "Not Found", "documentation_url": "x"}
    )
    proc = lok_github_in(tmp_path, large_pr_repo, github_stand_in, "diff", str(number))
    assert proc.returncode == 2 and "HTTP 404" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
