"""The failed jobs of a pull request's latest workflow run, with the tail of each failing step's log."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lok_action.github.client import RepoHandle
from lok_action.github.pr_data import untrusted

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


def failed_jobs(handle: RepoHandle, pr_number: int) -> tuple[dict[str, object], list[FailedJob]]:
    head_sha = handle.repo().get_pull(pr_number).head.sha
    runs = handle.request_json(
        "GET", f"/repos/{handle.full_name}/actions/runs", params={"head_sha": head_sha, "per_page": 20}
    )
    candidates = [r for r in runs.get("workflow_runs", []) if r.get("status") == "completed"]
    if not candidates:
        return {}, []
    latest = max(candidates, key=lambda r: str(r.get("created_at", "")))
    jobs = handle.request_json(
        "GET", f"/repos/{handle.full_name}/actions/runs/{latest['id']}/jobs", params={"per_page": 100}
    )
    result = []
    for job in jobs.get("jobs", []):
        if job.get("conclusion") not in ("failure", "timed_out", "cancelled"):
            continue
        log = handle.request_text(f"/repos/{handle.full_name}/actions/jobs/{job['id']}/logs", "text/plain")
        steps = [s["name"] for s in job.get("steps", []) if s.get("conclusion") in ("failure", "timed_out")]
        parts = [tail(step_log(log, name)) for name in steps] or [tail(log)]
        result.append(FailedJob(job["name"], job.get("html_url", ""), steps, "\n...\n".join(parts)))
    return latest, result


def ci_logs_text(handle: RepoHandle, pr_number: int) -> str:
    run, jobs = failed_jobs(handle, pr_number)
    if not run:
        return f"Pull request #{pr_number}: no completed workflow run for its head commit."
    if not jobs:
        return f"Pull request #{pr_number}: the latest run ({run.get('name')}, {run.get('conclusion')}) has no failed job."
    parts = [
        f"Pull request #{pr_number}, workflow run '{run.get('name')}' ({run.get('html_url')}): {len(jobs)} failed job(s)."
    ]
    for job in jobs:
        steps = ", ".join(job.failed_steps) or "unknown step"
        parts.append(
            untrusted(f"Job '{job.name}', failed step(s): {steps}; last lines of the log", job.log_tail)
        )
    return "\n\n".join(parts)
