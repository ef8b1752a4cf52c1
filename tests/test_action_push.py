"""`push` events: entrypoint.py analyses only the pushed range (BEFORE..AFTER of the payload) of a real
git checkout; a new branch or a BEFORE missing from a shallow clone falls back to the last commit's
diff and the summary says so; a fetch-depth 1 clone stops with the setting that fixes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.git_repos import run_git
from tests.fakes.github_fixtures import BASE_APP, HEAD_APP, REPO
from tests.fakes.github_server import GitHubStandIn
from tests.test_action_events import AGREED, LONE, ActionRun, backend_rows, payload, run_action

OLD_PY = "def old(values):\n    return values[0]\n"
# reported by every backend whenever it is shown old.py, which changed outside the pushed range
OUTSIDE = {
    "rule": "index-error",
    "category": "bug",
    "severity": "high",
    "file": "old.py",
    "start_line": 2,
    "end_line": 2,
    "title": "old() fails on an empty list",
    "explanation": "values[0] raises IndexError.",
    "suggested_fix": "",
}
FINDINGS = {"alpha": [AGREED, OUTSIDE], "beta": [AGREED, OUTSIDE], "gamma": [LONE, OUTSIDE]}
PUSH_REF = "refs/heads/main"


class PushRepo:
    """c0: app.py, old.py; c1 (BEFORE): old.py changed; c2 (AFTER): app.py gains first_item()."""

    def __init__(self, root: Path) -> None:
        self.path = root / "checkout"
        self.path.mkdir()
        run_git(self.path, "init", "-q", "-b", "main")
        (self.path / "app.py").write_text(BASE_APP)
        (self.path / "old.py").write_text("def old(values):\n    return values\n")
        run_git(self.path, "add", ".")
        run_git(self.path, "commit", "-q", "-m", "c0")
        self.c0 = self.head()
        (self.path / "old.py").write_text(OLD_PY)
        run_git(self.path, "commit", "-q", "-am", "c1: outside the pushed range")
        self.c1 = self.head()
        (self.path / "app.py").write_text(HEAD_APP)
        run_git(self.path, "commit", "-q", "-am", "c2: pushed")
        self.c2 = self.head()

    def head(self) -> str:
        return run_git(self.path, "rev-parse", "HEAD").strip()

    def shallow_clone(self, root: Path, depth: int) -> Path:
        clone = root / f"shallow{depth}"
        run_git(root, "clone", "-q", f"--depth={depth}", f"file://{self.path}", str(clone))
        return clone


def push_payload(before: str, after: str) -> dict[str, Any]:
    def edit(data: dict[str, Any]) -> None:
        data.update(ref=PUSH_REF, before=before, after=after, base_ref=None, commits=[])
        data.update(created=set(before) == {"0"}, deleted=False, forced=False)
        data["head_commit"] = {"id": after, "message": "c2: pushed"}

    return payload("push", edit)


@pytest.fixture
def push_repo(tmp_path: Path) -> PushRepo:
    return PushRepo(tmp_path)


def run_push(server: GitHubStandIn, checkout: Path, tmp: Path, before: str, after: str) -> ActionRun:
    server.state.add_repo(REPO)
    return run_action(
        server,
        checkout,
        tmp,
        "push",
        push_payload(before, after),
        findings=FINDINGS,
        extra_env={"GITHUB_REF": PUSH_REF},
    )


def assert_only_pushed_range(run: ActionRun, server: GitHubStandIn, tmp: Path, after: str) -> None:
    assert run.returncode == 0, run.stdout + run.stderr
    prompts = (tmp / "prompts.txt").read_text()
    assert "### FILE app.py (changes)" in prompts and "old.py" not in prompts
    assert "**Coverage:** 1 file analysed, 0 skipped" in run.summary and "lok diff" in run.summary
    assert "old() fails" not in run.summary and "first_item fails on an empty list" in run.summary
    findings = json.loads(run.outputs["findings"])  # min-consensus 2: gamma's lone finding is not shown
    assert [(f["file"], f["start_line"], f["agreement"]) for f in findings] == [("app.py", 13, 2)]
    assert run.outputs["verdict"] == "fail"
    assert run.sarif is not None
    locations = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for sarif_run in run.sarif["runs"]
        for r in sarif_run["results"]
    ]
    assert locations and set(locations) == {"app.py"}
    (upload,) = server.state.sarifs.values()
    assert upload["commit_sha"] == after and upload["ref"] == PUSH_REF
    assert sorted(backend_rows(run.summary)) == ["alpha", "beta", "gamma"]
    # nothing to comment on for a push: no issue comment, no review
    assert server.state.comments == {} and server.state.reviews == {}


def test_push_analyses_only_the_pushed_range(
    github_stand_in: GitHubStandIn, push_repo: PushRepo, tmp_path: Path
) -> None:
    run = run_push(github_stand_in, push_repo.path, tmp_path, push_repo.c1, push_repo.c2)
    assert_only_pushed_range(run, github_stand_in, tmp_path, push_repo.c2)
    assert "last commit" not in run.summary and "::notice::" not in run.stdout


def test_push_range_of_two_commits_includes_both(
    github_stand_in: GitHubStandIn, push_repo: PushRepo, tmp_path: Path
) -> None:
    """The same checkout with BEFORE one commit earlier: old.py is now inside the range and analysed."""
    run = run_push(github_stand_in, push_repo.path, tmp_path, push_repo.c0, push_repo.c2)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "**Coverage:** 2 files analysed, 0 skipped" in run.summary
    files = {f["file"] for f in json.loads(run.outputs["findings"])}
    assert files == {"app.py", "old.py"}


def test_push_of_a_new_branch_analyses_the_last_commit(
    github_stand_in: GitHubStandIn, push_repo: PushRepo, tmp_path: Path
) -> None:
    run = run_push(github_stand_in, push_repo.path, tmp_path, "0" * 40, push_repo.c2)
    assert_only_pushed_range(run, github_stand_in, tmp_path, push_repo.c2)
    assert "new branch" in run.summary and "last commit's diff" in run.summary
    assert "::notice::lok: Push of a new branch" in run.stdout


def test_push_with_before_missing_from_a_shallow_clone(
    github_stand_in: GitHubStandIn, push_repo: PushRepo, tmp_path: Path
) -> None:
    clone = push_repo.shallow_clone(tmp_path, depth=2)  # holds c2 and c1, not c0
    run = run_push(github_stand_in, clone, tmp_path, push_repo.c0, push_repo.c2)
    assert_only_pushed_range(run, github_stand_in, tmp_path, push_repo.c2)
    assert f"{push_repo.c0[:12]} is not in the checkout" in run.summary
    assert "fetch-depth: 0" in run.summary


def test_push_into_a_depth_one_clone_says_which_checkout_setting_fixes_it(
    github_stand_in: GitHubStandIn, push_repo: PushRepo, tmp_path: Path
) -> None:
    clone = push_repo.shallow_clone(tmp_path, depth=1)
    run = run_push(github_stand_in, clone, tmp_path, push_repo.c1, push_repo.c2)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("::error::")]
    assert "not in the checkout" in line and "fetch-depth: 0" in line and "fetch-depth: 2" in line
    assert not (tmp_path / "prompts.txt").exists()  # no backend was asked anything
    assert github_stand_in.write_requests() == []


def test_push_deleting_a_branch_does_nothing(
    github_stand_in: GitHubStandIn, push_repo: PushRepo, tmp_path: Path
) -> None:
    data = payload("push", lambda d: d.update(ref=PUSH_REF), where=lambda d: d["deleted"])  # a real deletion
    github_stand_in.state.add_repo(REPO)
    run = run_action(github_stand_in, push_repo.path, tmp_path, "push", data)
    assert run.returncode == 0 and "nothing to do (branch or tag deleted)" in run.stdout
    assert github_stand_in.log == [] and not (tmp_path / "prompts.txt").exists()
