"""`lok ci PR` against the stand-in: failed job logs through the Actions API (downloaded from the signed
URL the logs endpoint redirects to, as on GitHub), several backends, one answer."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fakes.git_repos import PullRequestRepo
from tests.fakes.github_fixtures import REPO, WRITE_TOKEN
from tests.fakes.github_server import GitHubStandIn
from tests.fakes.project import project_in
from tests.test_action_events import run_action, write_config

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


def lok_ci(
    stand_in: GitHubStandIn, checkout: Path, tmp_path: Path, *argv: str, event: Path | None = None
) -> subprocess.CompletedProcess[str]:
    write_config(checkout, tmp_path)
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "GITHUB_TOKEN": WRITE_TOKEN,
        "GITHUB_API_URL": stand_in.url,
    }
    if event is not None:
        env["GITHUB_EVENT_PATH"] = str(event)
    return project_in(tmp_path).lok("ci", *argv, "-q", "--config", ".github/lok.toml", cwd=checkout, env=env)


def add_pull(stand_in: GitHubStandIn, repo: PullRequestRepo) -> int:
    stand_in.state.add_repo(REPO)
    return int(stand_in.state.add_pull_request(REPO, repo.path, "main", "feature", "t", "b")["number"])


def add_run(
    stand_in: GitHubStandIn, sha: str, name: str, jobs: list[tuple[str, str, str]], conclusion: str
) -> dict[str, Any]:
    run = stand_in.state.add_workflow_run(REPO, sha, jobs, conclusion)
    run["name"] = name  # the stand-in names every run "CI"; GitHub names it after its workflow
    run["workflow_id"] = 100 + len(stand_in.state.workflow_runs)
    return run


def test_lok_ci_reads_failed_job_logs_and_posts_the_agreed_cause(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    number = add_pull(github_stand_in, pr_git_repo)
    github_stand_in.state.add_workflow_run(
        REPO, pr_git_repo.head_sha, [("lint", "success", "##[group]Run ruff\nok"), ("test", "failure", LOG)]
    )
    proc = lok_ci(github_stand_in, pr_git_repo.path, tmp_path, str(number), "--json", "--post")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert "IndexError: list index out of range" in result["logs"] and "setup noise" not in result["logs"]
    assert "'test'" in result["logs"] and "'lint'" not in result["logs"]
    assert "### Cause" in result["answer"] and result["comment"]
    (comment,) = github_stand_in.state.comments.values()
    assert "### Cause" in comment["body"]
    prompts = (tmp_path / "prompts.txt").read_text()
    assert "IndexError" in prompts and "untrusted data" in prompts
    # the log came from the signed download URL the logs endpoint redirected to, fetched without the token
    (download,) = github_stand_in.requests_matching("GET", r"^/_blobs/job-logs/")
    assert download.status == 200


def test_a_later_green_run_of_another_workflow_does_not_hide_the_failed_one(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    number = add_pull(github_stand_in, pr_git_repo)
    add_run(github_stand_in, pr_git_repo.head_sha, "CI", [("test", "failure", LOG)], "failure")
    add_run(
        github_stand_in,
        pr_git_repo.head_sha,
        "lint",
        [("ruff", "success", "##[group]Run ruff\nok")],
        "success",
    )
    proc = lok_ci(github_stand_in, pr_git_repo.path, tmp_path, str(number), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    logs = json.loads(proc.stdout)["logs"]
    assert "workflow run 'CI'" in logs and "IndexError: list index out of range" in logs
    assert "'lint'" not in logs


def test_newest_failed_run_per_workflow_and_an_explicit_run(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    number = add_pull(github_stand_in, pr_git_repo)
    sha = pr_git_repo.head_sha
    old = add_run(
        github_stand_in, sha, "CI", [("test", "failure", LOG.replace("IndexError", "OldError"))], "failure"
    )
    old_id = old["id"]
    add_run(github_stand_in, sha, "CI", [("test", "failure", LOG)], "failure")
    github_stand_in.state.workflow_runs[max(github_stand_in.state.workflow_runs)]["workflow_id"] = old[
        "workflow_id"
    ]
    docs_log = "##[group]Run mkdocs build\nERROR: docs/index.md: broken link"
    add_run(github_stand_in, sha, "docs", [("build", "timed_out", docs_log)], "timed_out")
    proc = lok_ci(github_stand_in, pr_git_repo.path, tmp_path, str(number), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    logs = json.loads(proc.stdout)["logs"]
    # both failed workflows, each with its newest run only
    assert "IndexError" in logs and "broken link" in logs and "OldError" not in logs
    # an explicit run id (the workflow_run event's run) is analysed even when a newer one exists
    proc = lok_ci(github_stand_in, pr_git_repo.path, tmp_path, str(number), "--run", str(old_id), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert result["run"] == old_id
    assert (
        "OldError" in result["logs"]
        and "IndexError" not in result["logs"]
        and "broken link" not in result["logs"]
    )
    assert f"/actions/runs/{old_id}" in result["logs"]


def test_workflow_run_event_names_the_run_and_pr(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    number = add_pull(github_stand_in, pr_git_repo)
    failed = add_run(github_stand_in, pr_git_repo.head_sha, "CI", [("test", "failure", LOG)], "failure")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "action": "completed",
                "workflow_run": {"id": failed["id"], "pull_requests": [{"number": number}]},
            }
        )
    )
    proc = lok_ci(github_stand_in, pr_git_repo.path, tmp_path, "--json", event=event)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert (result["pr"], result["run"]) == (number, failed["id"])
    assert "IndexError" in result["logs"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read the event file"), ("{not json", "not valid JSON"), ("[1]", "not a JSON object")],
)
def test_bad_event_file_is_a_one_line_error(
    github_stand_in: GitHubStandIn, tmp_path: Path, content: str | None, message: str
) -> None:
    event = tmp_path / "event.json"
    if content is not None:
        event.write_text(content)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    proc = lok_ci(github_stand_in, checkout, tmp_path, event=event)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and str(event) in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_backends_option_is_parsed_like_other_commands(
    github_stand_in: GitHubStandIn, tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    proc = lok_ci(github_stand_in, checkout, tmp_path, "5", "-b", " , ")
    assert proc.returncode == 2
    assert "-b/--backends: no backend names" in proc.stderr and "Traceback" not in proc.stderr


def example_inputs(event: dict[str, Any]) -> dict[str, str]:
    """The `with:` of examples/workflows/ci-explainer.yml's lok step as the runner hands it to the action
    (INPUT_<NAME>), its `${{ github.event.X }}` expressions evaluated against the event."""
    workflow = yaml.safe_load((ROOT / "examples" / "workflows" / "ci-explainer.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["explain"]["steps"] if "lok-action" in s.get("uses", "")]

    def value(expression: str) -> str:
        found: Any = {"github": {"event": event}}
        for part in re.findall(r"[\w-]+|\[\d+\]", expression):
            found = found[int(part[1:-1])] if part.startswith("[") else found[part]
        return str(found)

    return {
        f"INPUT_{key.upper()}": re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", lambda m: value(m.group(1)), str(raw))
        for key, raw in step["with"].items()
        if key != "backends"
    }


def test_ci_explainer_example_passes_the_failed_run_to_the_action(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    number = add_pull(github_stand_in, pr_git_repo)
    sha = pr_git_repo.head_sha
    failed = add_run(github_stand_in, sha, "CI", [("test", "failure", LOG)], "failure")
    newer = [("test", "failure", LOG.replace("IndexError", "NewerError"))]
    add_run(github_stand_in, sha, "CI", newer, "failure")["workflow_id"] = failed["workflow_id"]
    event = {
        "action": "completed",
        "workflow_run": {**failed, "pull_requests": [{"number": number, "head": {"sha": sha}}]},
    }
    inputs = example_inputs(event)
    assert inputs["INPUT_ARGS"] == str(failed["id"])
    run = run_action(github_stand_in, pr_git_repo.path, tmp_path, "workflow_run", event, extra_env=inputs)
    assert run.returncode == 0, run.stdout + run.stderr
    prompts = (tmp_path / "prompts.txt").read_text()
    assert "IndexError" in prompts and "NewerError" not in prompts  # the event's run, not the newer one
    (comment,) = github_stand_in.state.comments.values()
    assert comment["issue_url"].endswith(f"/issues/{number}")
    assert "### Cause" in comment["body"]


def test_ci_explainer_example_only_comments_when_the_run_has_a_pull_request() -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "workflows" / "ci-explainer.yml").read_text())
    jobs = workflow["jobs"]
    assert "pull_requests[0] != null" in jobs["explain"]["if"]
    assert "pull_requests[0] == null" in jobs["no-pull-request"]["if"]
    (note,) = jobs["no-pull-request"]["steps"]
    assert "GITHUB_STEP_SUMMARY" in note["run"] and "uses" not in note
    assert jobs["no-pull-request"]["permissions"] == {}
