"""A pull request bigger than the backends' budget (budget_chars in lok.toml): review-pr sends its diff
in several chunks (the chunker `lok diff` uses), every changed file is either analysed or listed as
skipped, and the findings of every chunk reach the one review."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.git_repos import PullRequestRepo, make_pr_repo
from tests.fakes.github_fixtures import REPO
from tests.fakes.github_server import GitHubStandIn
from tests.test_action_events import backend_rows, pr_payload, run_action

BUDGET = 1500  # characters per prompt; each file's diff section is about 1,000
REVIEWED = ("alpha_mod.py", "beta_mod.py", "gamma_mod.py")
BROKEN = "delta_mod.py"  # every backend's call about this file fails


def module_text(name: str, marker: str = "") -> str:
    lines = [
        f"def {name}_mean(items):",
        "    total = 0",
        "    for item in items:",
        "        total += item",
        "    return total / len(items)",
        "",
    ]
    lines += [f"def {name}_pad_{i}(value):\n    return value + {i}  # {marker}\n" for i in range(10)]
    return "\n".join(lines) + "\n"


def finding(path: str) -> dict[str, Any]:
    return {
        "rule": "division-by-zero",
        "category": "bug",
        "severity": "high",
        "file": path,
        "start_line": 5,
        "end_line": 5,
        "title": f"mean in {path} divides by zero on an empty list",
        "explanation": "len(items) is 0 for an empty list.",
        "suggested_fix": "    return total / len(items) if items else 0.0",
    }


@pytest.fixture
def big_pr_repo(tmp_path: Path) -> PullRequestRepo:
    files = {path: module_text(path.split("_")[0]) for path in REVIEWED}
    files[BROKEN] = module_text("delta", "LOK-FAKE-FAIL")
    return make_pr_repo(tmp_path, {}, files, "four modules")


def test_big_pull_request_is_reviewed_in_chunks(
    github_stand_in: GitHubStandIn, big_pr_repo: PullRequestRepo, tmp_path: Path
) -> None:
    github_stand_in.state.add_repo(REPO)
    pull = github_stand_in.state.add_pull_request(
        REPO, big_pr_repo.path, "main", "feature", "Four modules", "Adds helpers."
    )
    number = int(pull["number"])
    diff = github_stand_in.state.pull_diffs[(REPO, number)]
    assert len(diff) > 2 * BUDGET  # the whole diff cannot go into one prompt
    every = [finding(path) for path in (*REVIEWED, BROKEN)]
    run = run_action(
        github_stand_in,
        big_pr_repo.path,
        tmp_path,
        "pull_request",
        pr_payload(number, big_pr_repo),
        findings={"alpha": every, "beta": every, "gamma": every},
        budget_chars=BUDGET,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    prompts = [p for p in (tmp_path / "prompts.txt").read_text().split("\0") if p.strip()]
    review_prompts = [p for p in prompts if "Answer with JSON only" in p]
    # one call per chunk per backend, each chunk one file's diff, every prompt under the budget
    shown = sorted(
        (p.split("\n", 1)[0], line.split(" ")[2])
        for p in review_prompts
        for line in p.splitlines()
        if line.startswith("### FILE ")
    )
    names = ("[alpha]", "[beta]", "[gamma]")
    assert shown == sorted((name, path) for name in names for path in (*REVIEWED, BROKEN))
    assert all(p.count("### FILE ") == 1 for p in review_prompts)
    diff_parts = [p[p.index("Diff of the pull request, part") :] for p in review_prompts]
    assert all(len(part) <= BUDGET for part in diff_parts)
    assert all("untrusted data" in p and "Adds helpers." in p for p in review_prompts)
    # every file analysed or listed as skipped, with the reason
    assert "**Coverage:** 3 files analysed, 1 skipped (1 not analysed)" in run.summary
    assert (
        f"`{BROKEN}`: not analysed (no usable answer: the calls failed or their answers were not JSON)"
        in run.summary
    )
    # the findings of every chunk reach the review, each on its own file's line
    inline = sorted((c["path"], c["line"]) for c in github_stand_in.state.review_comments.values())
    assert inline == [(path, 5) for path in REVIEWED]
    (review,) = github_stand_in.state.reviews.values()
    assert "3 finding(s), 3 as inline comments" in review["body"]
    reported = json.loads(run.outputs["findings"])
    assert sorted(f["file"] for f in reported) == list(REVIEWED)
    assert all(f["agreement"] == 3 for f in reported)
    rows = backend_rows(run.summary)
    assert [rows[name][2] for name in ("alpha", "beta", "gamma")] == ["3/4", "3/4", "3/4"]  # answers usable
    # three successful calls at $0.0125 (their own figure), and the unusable answer for the broken file
    # at its estimate (its prompt and answer priced at claude's default rates): it was still paid for
    assert rows["alpha"][-1] == "$0.0395"
