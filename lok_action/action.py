"""The GitHub Action's entry: inputs + event -> Request -> pipeline.execute -> every GitHub sink.

The same pipeline the CLI runs; lok_action.github only parses the event and publishes the Outcome."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lok_action.errors import UsageError
from lok_action.github.client import RepoHandle, make_github
from lok_action.github.context import ActionInputs, EventContext, Plan, action_request, plan_for
from lok_action.github.publish import PublishOptions, publish
from lok_action.github.workflow_commands import add_mask, command
from lok_action.request import GitHubSinks

if TYPE_CHECKING:
    from lok_action.config import Config
    from lok_action.outcome import Outcome
    from lok_action.request import Request


def mask_secrets(env: Mapping[str, str], token: str, config: Config | None, stream: TextIO) -> None:
    """::add-mask:: the token and every backend key, before anything else is printed. Which names are
    secret is the redaction module's rule, the same one that scrubs backend output."""
    from lok_action.backends.redaction import MIN_SECRET_LENGTH, secret_values

    extra = [bc.api_key_env for bc in config.backends.values() if bc.api_key_env] if config else []
    values = {token, *secret_values(env, extra)}
    for value in sorted(v for v in values if v and len(v) >= MIN_SECRET_LENGTH):
        add_mask(value, stream)


def read_only_reason(event: EventContext) -> str:
    """Known before any request only for fork pull requests (GitHub gives them a read-only token).
    Any other token is tried: GITHUB_TOKEN's permissions are not visible through GET /repos, and
    a 403 on the first write stops all further posting (lok_action.github.publish)."""
    return "pull request from a fork" if event.is_fork_pr else ""


def commenter_may_write(handle: RepoHandle, login: str) -> bool:
    """author_association MEMBER / COLLABORATOR does not mean write access; the repository role does."""
    from urllib.parse import quote

    from github import GithubException

    from lok_action.github.context import has_write_permission

    path = f"/repos/{handle.full_name}/collaborators/{quote(login, safe='')}/permission"
    try:
        answer = handle.request_json("GET", path)
    except GithubException as error:
        if error.status == 404:  # not a collaborator at all
            return False
        raise
    return isinstance(answer, dict) and has_write_permission(answer)


def refuse_fork_head_checkout(event: EventContext) -> None:
    """pull_request_target runs with secrets and a write token; if the workspace holds the fork's
    head, the fork would supply .lok/workflows and lok.toml (shell steps, command backends)."""
    from lok_action import git

    if event.name != "pull_request_target" or not event.is_fork_pr:
        return
    head = str((event.pull_request.get("head") or {}).get("sha") or "")
    checked_out = git.head_sha(event.workspace)
    if head and checked_out == head:
        raise UsageError(
            "pull_request_target must not check out the pull request's head: the workspace is the fork's "
            f"commit {head[:12]}, whose .lok/workflows and lok.toml would run with secrets and a write token. "
            "Check out the base branch (the default), or use the pull_request event for fork pull requests"
        )


def write_sarif(path: Path, outcome: Outcome, category: str | None = None) -> None:
    from lok_action.atomic import atomic_write_bytes
    from lok_action.report.sarif import render_sarif

    atomic_write_bytes(path, render_sarif(outcome, category=category))


def run_action(env: Mapping[str, str], stream: TextIO) -> int:
    from lok_action.config import load_config
    from lok_action.findings.model import severity_at_least
    from lok_action.github.pr_data import pull_request_patch
    from lok_action.pipeline import execute
    from lok_action.progress import Progress
    from lok_action.workflow.lookup import find_workflow

    inputs = ActionInputs.from_env(env)
    mask_secrets(env, inputs.token, None, stream)
    event = EventContext.from_env(env)
    if not inputs.token:
        raise UsageError(
            "input github-token is empty: add `github-token: ${{ secrets.GITHUB_TOKEN }}` (the default) to the step"
        )
    workspace = event.workspace
    refuse_fork_head_checkout(event)  # before the workspace's lok.toml is even read
    config_path = (workspace / inputs.config) if inputs.config else None
    if config_path is not None and not config_path.is_file():
        raise UsageError(f"input config: {inputs.config} not found in the workspace ({workspace})")
    config = load_config(workspace, config_path, env)
    mask_secrets(env, "", config, stream)
    plan = plan_for(event, inputs)
    summary_path = Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None
    if plan.kind == "skip":
        print(command("notice", f"lok: nothing to do ({plan.reason})"), file=stream)
        return 0
    handle = RepoHandle(make_github(inputs.token, event.api_url), event.repository, event.api_url)
    if plan.commenter and not commenter_may_write(handle, plan.commenter):
        print(
            command("notice", f"lok: nothing to do (@{plan.commenter} has no write permission)"), file=stream
        )
        return 0
    read_only = read_only_reason(event)
    if read_only:
        print(command("notice", f"lok: {read_only}; analysis only, nothing will be posted"), file=stream)
    notes: list[str] = []
    commit_sha = _head_sha(event) or event.sha
    if plan.pr_number is not None and not event.pull_request:
        # a `/lok` comment or a pr-number input: the event names no pull request, so code scanning
        # must be told the PR's head, not the default branch's commit
        commit_sha = handle.repo().get_pull(plan.pr_number).head.sha
    if plan.push is not None:
        from lok_action.context.push_range import resolve_push_range

        pushed = resolve_push_range(workspace, *plan.push)
        plan.revision_range, commit_sha = pushed.revision_range, plan.push[1]
        if pushed.note:
            notes.append(pushed.note)
            print(command("notice", f"lok: {pushed.note}"), file=stream)
    publishes = find_workflow(plan.workflow, workspace).publish if plan.kind == "workflow" else None
    sarif_path = (workspace / inputs.sarif_file).resolve()
    request = action_request(plan, inputs, workspace, publishes, sarif_path)
    if request.plan_only:
        return _print_plan(request, config, env, inputs.token, handle, summary_path, stream)
    progress = Progress(stream=sys.stderr)
    outcome = execute(
        request,
        config,
        env={**env, "GITHUB_TOKEN": inputs.token},
        progress=progress,
        pull_requests=lambda number: pull_request_patch(handle, number),
    )
    if plan.kind == "workflow" and outcome.run is not None:
        progress.summary(outcome.run)
    outcome.notes.extend(notes)
    write_sarif(sarif_path, outcome, request.publish.sarif_category)
    options = PublishOptions(
        sinks=request.publish.github or GitHubSinks(),
        summary_path=summary_path,
        output_path=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
        # next to the SARIF file in the workspace: a docker action's RUNNER_TEMP is not the host's
        report_path=sarif_path.parent / "lok-report.md",
        sarif_file=sarif_path,
        read_only_reason=read_only,
        commit_sha=commit_sha,
        ref=_sarif_ref(event, plan),
        stream=stream,
    )
    posted = publish(handle, outcome, request.issue_number, request.pr_number, options)
    for line in posted.actions:
        print(f"lok: {line}", file=sys.stderr)
    if posted.read_only_reason and not read_only:
        print(command("warning", f"lok: {posted.read_only_reason}; nothing was posted"), file=stream)
    if posted.failures:
        for failure in posted.failures:
            print(command("error", f"lok: {failure}"), file=stream)
        return 1
    fail_on = request.publish.fail_on
    if fail_on and any(severity_at_least(f.severity, fail_on) for f in outcome.reported):
        print(command("error", f"lok: findings at or above '{fail_on}' (fail-on)"), file=stream)
        return 1
    if outcome.stop_reason:
        # the report, comment and summary say it; a nightly run capped by its budget is no failure
        print(command("warning", f"lok: {outcome.stop_reason} ({outcome.coverage_line()})"), file=stream)
    return 0


def _print_plan(
    request: Request,
    config: Config,
    env: Mapping[str, str],
    token: str,
    handle: RepoHandle,
    summary_path: Path | None,
    stream: TextIO,
) -> int:
    """Input `plan`: what the run would send and cost, on the log and in the job summary; no backend
    is called and nothing is posted."""
    from lok_action.github.pr_data import pull_request_patch
    from lok_action.github.summary import write_step_summary
    from lok_action.pipeline import plan

    made = plan(
        request,
        config,
        env={**env, "GITHUB_TOKEN": token},
        pull_requests=lambda number: pull_request_patch(handle, number),
    )
    text = made.render_text()
    print(text, end="", file=stream)
    if summary_path is not None:
        write_step_summary(summary_path, "## lok plan\n\n```text\n" + text + "```\n")
    return 0


def _head_sha(event: EventContext) -> str:
    return str((event.pull_request.get("head") or {}).get("sha") or "")


def _sarif_ref(event: EventContext, plan: Plan) -> str:
    if plan.pr_number is not None:
        return f"refs/pull/{plan.pr_number}/head"
    return event.ref
