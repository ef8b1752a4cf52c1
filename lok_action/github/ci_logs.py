"""The failed jobs of a pull request's failed workflow runs (or of one run named by id), with the tail of
each failing step's log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lok_action.errors import UsageError
from lok_action.github.client import RepoHandle
from lok_action.markdown_text import untrusted

TAIL_LINES = 80  # the end of a failing step holds the error; the start is setup noise
GROUP = re.compile(r"##\[group\]Run (.+)")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ")


@dataclass
class FailedJob:
    name: str
    url: str
    failed_steps: list[str]
    log_tail: str


def step_log(log: str, step: str) -> str:
    """The part of a job log that belongs to one step (runner logs open each step with ##[group]Run)."""
    lines = [TIMESTAMP.sub("", line) for line in log.splitlines()]
    starts = [i for i, line in enumerate(lines) if GROUP.search(line)]
    for index, start in enumerate(starts):
        if GROUP.search(lines[start]).group(1).strip() == step.strip():  # type: ignore[union-attr]
            end = starts[index + 1] if index + 1 < len(starts) else len(lines)
            return "\n".join(lines[start:end])
    return "\n".join(lines)


def tail(text: str, count: int = TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-count:])


FAILED = ("failure", "timed_out", "cancelled")


@dataclass
class FailedRun:
    """One workflow run and its failed jobs."""

    name: str
    url: str
    conclusion: str
    jobs: list[FailedJob]


def run_jobs(handle: RepoHandle, run_id: int) -> list[dict[str, Any]]:
    answer = handle.request_json(
        "GET", f"/repos/{handle.full_name}/actions/runs/{run_id}/jobs", params={"per_page": 100}
    )
    return list(answer.get("jobs", []))


def failed_jobs(handle: RepoHandle, jobs: list[dict[str, Any]]) -> list[FailedJob]:
    result = []
    for job in jobs:
        if job.get("conclusion") not in FAILED:
            continue
        log = handle.request_text(f"/repos/{handle.full_name}/actions/jobs/{job['id']}/logs", "text/plain")
        steps = [s["name"] for s in job.get("steps", []) if s.get("conclusion") in ("failure", "timed_out")]
        parts = [tail(step_log(log, name)) for name in steps] or [tail(log)]
        result.append(FailedJob(job["name"], job.get("html_url", ""), steps, "\n...\n".join(parts)))
    return result


def failed_runs_of_commit(handle: RepoHandle, head_sha: str) -> list[dict[str, Any]]:
    """The newest failed (or cancelled, timed-out) run of each workflow for a commit. Only failed runs
    count: a later green run of another workflow (lint) must not hide the failed CI run."""
    runs = handle.request_json(
        "GET", f"/repos/{handle.full_name}/actions/runs", params={"head_sha": head_sha, "per_page": 100}
    )
    newest: dict[object, dict[str, Any]] = {}
    for run in runs.get("workflow_runs", []):
        if run.get("status") != "completed" or run.get("conclusion") not in FAILED:
            continue
        workflow = run.get("workflow_id") or run.get("name")
        if workflow not in newest or str(run.get("created_at", "")) > str(
            newest[workflow].get("created_at", "")
        ):
            newest[workflow] = run
    return sorted(newest.values(), key=lambda r: str(r.get("created_at", "")), reverse=True)


def explicit_run(handle: RepoHandle, run_id: int) -> FailedRun:
    """A run named by id (`--run`, the workflow_run event's run), described from its jobs, which carry
    the workflow's name and the run's page."""
    jobs = run_jobs(handle, run_id)
    first = jobs[0] if jobs else {}
    url = str(first.get("html_url", "")).split("/job/")[0]
    return FailedRun(str(first.get("workflow_name") or f"run {run_id}"), url, "", failed_jobs(handle, jobs))


def failed_runs(handle: RepoHandle, pr_number: int | None, run_id: int | None = None) -> list[FailedRun]:
    if run_id is not None:
        return [explicit_run(handle, run_id)]
    if pr_number is None:
        raise UsageError("ci-logs: give a pull request number or --run ID")
    head_sha = handle.repo().get_pull(pr_number).head.sha
    return [
        FailedRun(
            str(run.get("name")),
            str(run.get("html_url", "")),
            str(run.get("conclusion")),
            failed_jobs(handle, run_jobs(handle, run["id"])),
        )
        for run in failed_runs_of_commit(handle, head_sha)
    ]


def ci_logs_text(handle: RepoHandle, pr_number: int | None, run_id: int | None = None) -> str:
    runs = failed_runs(handle, pr_number, run_id)
    subject = f"Pull request #{pr_number}" if pr_number is not None else f"Workflow run {run_id}"
    if not runs:
        return f"{subject}: no failed, cancelled or timed-out workflow run for its head commit."
    parts = []
    for run in runs:
        if not run.jobs:
            parts.append(f"{subject}, workflow run '{run.name}' ({run.url}): no failed job.")
            continue
        parts.append(f"{subject}, workflow run '{run.name}' ({run.url}): {len(run.jobs)} failed job(s).")
        for job in run.jobs:
            steps = ", ".join(job.failed_steps) or "unknown step"
            parts.append(
                untrusted(f"Job '{job.name}', failed step(s): {steps}; last lines of the log", job.log_tail)
            )
    return "\n\n".join(parts)
