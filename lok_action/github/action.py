"""The GitHub Action: inputs + event -> the same analysis/workflow the CLI runs -> every GitHub sink."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lok_action.errors import UsageError
from lok_action.github.client import RepoHandle, make_github
from lok_action.github.context import ActionInputs, EventContext, Plan, plan_for
from lok_action.github.publish import PublishOptions, publish, report_from_run
from lok_action.github.report import report_from_analysis
from lok_action.github.workflow_commands import add_mask, command

if TYPE_CHECKING:
    from lok_action.analysis import AnalysisResult
    from lok_action.config import Config


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


def write_sarif(path: Path, result: AnalysisResult, category: str | None = None) -> None:
    from lok_action.atomic import atomic_write_bytes
    from lok_action.report.sarif import render_sarif

    atomic_write_bytes(path, render_sarif(result, category=category))


def run_action(env: Mapping[str, str], stream: TextIO) -> int:
    from lok_action.analysis import AnalysisRequest, AnalysisResult, default_backends, run_analysis
    from lok_action.backends.calling import open_cache
    from lok_action.config import load_config
    from lok_action.findings.model import severity_at_least
    from lok_action.progress import Progress
    from lok_action.workflow.lookup import find_workflow
    from lok_action.workflow.runner import RunContext, run_workflow

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
    step_env = {**env, "GITHUB_TOKEN": inputs.token}
    progress = Progress(stream=sys.stderr)
    cache = open_cache(config.cache_enabled, config.cache_ttl_hours)
    target = (workspace / inputs.path).resolve()
    if not target.is_relative_to(workspace):
        raise UsageError(f"input path: {inputs.path} is outside the workspace")
    backends = inputs.backends or default_backends(config)
    notes: list[str] = []
    commit_sha = _head_sha(event) or event.sha
    if plan.pr_number is not None and not event.pull_request:
        # a `/lok` comment or a pr-number input: the event names no pull request, so code scanning
        # must be told the PR's head, not the default branch's commit
        commit_sha = handle.repo().get_pull(plan.pr_number).head.sha
    if plan.push is not None:
        from lok_action.github.push import resolve_push_range

        pushed = resolve_push_range(workspace, *plan.push)
        plan.revision_range, commit_sha = pushed.revision_range, plan.push[1]
        if pushed.note:
            notes.append(pushed.note)
            print(command("notice", f"lok: {pushed.note}"), file=stream)
    if plan.kind == "analysis":
        analysis = run_analysis(
            AnalysisRequest(
                workflow=plan.workflow,
                config=config,
                project_dir=workspace,
                target=target,
                revision_range=plan.revision_range,
                backends=backends,
                min_consensus=inputs.min_consensus,
                cache=cache,
                progress=progress,
                env=step_env,
                is_diff=plan.revision_range is not None,
            )
        )
        report = report_from_analysis(analysis)
    else:
        workflow = find_workflow(plan.workflow, workspace)
        context = RunContext(
            config=config,
            workdir=workspace,
            args=plan.args,
            env=step_env,
            cache=cache,
            default_backends=backends,
            progress=progress,
        )
        if plan.kind == "review" and plan.pr_number is not None:
            from lok_action.github.pr_review import fetch_pull_request, review_analysis

            context.chunker = chunker = fetch_pull_request(handle, plan.pr_number)
            run = run_workflow(workflow, context)
            progress.summary(run)
            analysis = review_analysis(workflow, run, chunker, workspace, inputs.min_consensus)
            report = report_from_analysis(analysis)
        else:
            run = run_workflow(workflow, context)
            progress.summary(run)
            report = report_from_run(workflow, run, workspace, inputs.min_consensus)
            from lok_action.github.collect import findings_from_run

            every, _ = findings_from_run(workflow, run, workspace)
            analysis = AnalysisResult(
                workflow=workflow.name,
                target=str(plan.pr_number or plan.issue_number or ""),
                findings=every,
                min_consensus=inputs.min_consensus,
            )
    report.notes.extend(notes)
    sarif_path = (workspace / inputs.sarif_file).resolve()
    write_sarif(sarif_path, analysis, inputs.sarif_category)
    options = PublishOptions(
        comment=inputs.comment,
        review=inputs.review,
        summary_path=summary_path,
        output_path=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
        # next to the SARIF file in the workspace: a docker action's RUNNER_TEMP is not the host's
        report_path=sarif_path.parent / "lok-report.md",
        sarif_file=sarif_path,
        upload_sarif=inputs.upload_sarif,
        read_only_reason=read_only,
        commit_sha=commit_sha,
        ref=_sarif_ref(event, plan),
        stream=stream,
    )
    outcome = publish(handle, report, plan.issue_number, plan.pr_number, options)
    for line in outcome.actions:
        print(f"lok: {line}", file=sys.stderr)
    if outcome.read_only_reason and not read_only:
        print(command("warning", f"lok: {outcome.read_only_reason}; nothing was posted"), file=stream)
    if outcome.failures:
        for failure in outcome.failures:
            print(command("error", f"lok: {failure}"), file=stream)
        return 1
    if inputs.fail_on and any(severity_at_least(f.severity, inputs.fail_on) for f in report.findings):
        print(command("error", f"lok: findings at or above '{inputs.fail_on}' (fail-on)"), file=stream)
        return 1
    return 0


def _head_sha(event: EventContext) -> str:
    return str((event.pull_request.get("head") or {}).get("sha") or "")


def _sarif_ref(event: EventContext, plan: Plan) -> str:
    if plan.pr_number is not None:
        return f"refs/pull/{plan.pr_number}/head"
    return event.ref
