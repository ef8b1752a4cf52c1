"""`lok ci PR` against the stand-in: failed job logs through the Actions API, several backends, one answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fakes.github_fixtures import REPO, WRITE_TOKEN, PullRequestRepo
from tests.fakes.github_server import GitHubStandIn
from tests.test_action_events import write_config

ROOT = Path(__file__).resolve().parents[1]
LOG = "\n".join(
    [
        "2024-01-01T00:00:00.0000000Z ##[group]Run actions/checkout@v4",
        "2024-01-01T00:00:01.0000000Z setup noise that is not the error",
        "2024-01-01T00:00:02.0000000Z ##[group]Run pytest -q",
        "2024-01-01T00:00:03.0000000Z E   IndexError: list index out of range",
        "2024-01-01T00:00:04.0000000Z ##[error]Process completed with exit code 1.",
    ]
)


def test_lok_ci_reads_failed_job_logs_and_posts_the_agreed_cause(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    github_stand_in.state.add_repo(REPO)
    number = github_stand_in.state.add_pull_request(REPO, pr_git_repo.path, "main", "feature", "t", "b")[
        "number"
    ]
    github_stand_in.state.add_workflow_run(
        REPO, pr_git_repo.head_sha, [("lint", "success", "##[group]Run ruff\nok"), ("test", "failure", LOG)]
    )
    write_config(pr_git_repo.path, tmp_path)
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "c"),
        "XDG_CONFIG_HOME": str(tmp_path / "x"),
        "GITHUB_TOKEN": WRITE_TOKEN,
        "GITHUB_API_URL": github_stand_in.url,
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lok_action",
            "ci",
            str(number),
            "--json",
            "--post",
            "-q",
            "--config",
            ".github/lok.toml",
        ],
        cwd=pr_git_repo.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert "IndexError: list index out of range" in result["logs"] and "setup noise" not in result["logs"]
    assert "'test'" in result["logs"] and "'lint'" not in result["logs"]
    assert "### Cause" in result["answer"] and result["comment"]
    (comment,) = github_stand_in.state.comments.values()
    assert "### Cause" in comment["body"]
    prompts = (tmp_path / "prompts.txt").read_text()
    assert "IndexError" in prompts and "untrusted data" in prompts
