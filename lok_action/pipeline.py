"""Run one Request: the only orchestration entry. Every command that analyses or runs a workflow, and
the GitHub Action, comes through here and hands the Outcome to its sinks.

    workflow lookup -> code context (files | diff | pull request | none) -> [plan, budget] -> runner
      -> collect (validated, [evidence-checked], merged) -> [challenge round -> quorum + floor] -> Outcome

The bracketed stages are the features to come; each has its one marked place below.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lok_action.errors import UsageError

if TYPE_CHECKING:
    from lok_action.config import Config
    from lok_action.context.diffs import PullRequestSource
    from lok_action.context.providers import CodeContext
    from lok_action.outcome import Outcome
    from lok_action.progress import Progress
    from lok_action.request import Request


def execute(
    request: Request,
    config: Config,
    *,
    env: Mapping[str, str],
    progress: Progress | None = None,
    pull_requests: PullRequestSource | None = None,
) -> Outcome:
    """``env`` is what the steps and backends see (the caller's environment, plus e.g. the action's
    token); a pull request review fetches its diff through ``pull_requests``."""
    from lok_action.backends.calling import open_cache
    from lok_action.collect import collect
    from lok_action.workflow.lookup import find_workflow
    from lok_action.workflow.runner import RunContext, run_workflow

    started = time.monotonic()
    deadline = started + request.max_seconds if request.max_seconds is not None else None
    if request.min_consensus < 1:
        raise UsageError(f"--min-consensus must be at least 1, got {request.min_consensus}")
    workflow = find_workflow(request.workflow, request.project_dir)
    source = code_context(request, pull_requests)
    # issue 14: the plan goes here (calls x chunks x backends, characters, estimated cost, from
    # `source.chunker` and the resolved backends); `plan_only` returns it before anything is called,
    # and `max_cost` becomes a budget guard handed to the RunContext below
    context = RunContext(
        config=config,
        workdir=source.workdir,
        args=list(request.args),
        named_args=dict(request.named_args),
        env=env,
        cache=open_cache(config.cache_enabled, config.cache_ttl_hours, not request.use_cache),
        default_backends=_backend_names(request, config, env, source.chunker is not None),
        chunker=source.chunker,
        template_vars={"target": source.label, "workflow_name": workflow.name}
        if source.coverage is not None
        else {},
        progress=progress,
        max_parallel=request.max_parallel,
        deadline=deadline,
    )
    # issue 13: record/replay is not a stage here: it sits where a reply leaves a backend,
    # lok_action.backends.calling.call_backend (beside the cache and the redaction)
    run = run_workflow(workflow, context)
    outcome = collect(workflow, run, source, request.min_consensus, _analyzers(config))
    # the challenge round: findings put, blind, to the backends that analysed their file and did not
    # report them; confirmations count toward the quorum, the refuted are dropped (findings.challenge)
    from lok_action.verification import run_challenge

    run_challenge(
        outcome,
        workflow=workflow.name,
        requested=request.verify,
        cap=request.max_verify_calls,
        config=config,
        context=context,
        lines_of=source.lines_of,
    )
    outcome.unconfirmed_floor = request.unconfirmed_floor
    outcome.duration = time.monotonic() - started
    return outcome


def code_context(request: Request, pull_requests: PullRequestSource | None = None) -> CodeContext:
    """What the backends are given, by the request's context: files | diff | pull request | none. A
    pull request is fetched through ``pull_requests`` (the caller knows where it lives)."""
    from lok_action.context import providers

    if request.context == "files":
        return providers.files_context(request.target, request.shard)
    if request.context == "diff":
        return providers.diff_context(request.target, request.revision_range, request.shard)
    if request.context == "pull_request":
        if pull_requests is None or request.pr_number is None:
            raise UsageError(f"{request.workflow}: a pull request review needs the pull request to review")
        return providers.pull_request_context(request.project_dir, pull_requests(request.pr_number))
    number = request.pr_number or request.issue_number
    return providers.workflow_only(request.project_dir, str(number) if number is not None else "")


def _analyzers(config: Config) -> frozenset[str]:
    """The configured static analyzers: exact positions, no quotes, no verdicts."""
    from lok_action.verification import answers_prompts

    return frozenset(name for name in config.backends if not answers_prompts(config, name))


def _backend_names(
    request: Request, config: Config, env: Mapping[str, str], analyses_code: bool
) -> list[str] | None:
    """The backends asked: the request's, else the ready ones; when code is analysed, the ready
    static analyzers join them (they take part only in findings steps over chunks)."""
    if request.backends:
        return list(request.backends)
    if not analyses_code:
        return None  # the runner's own rule: the ready backends that answer prompts
    from lok_action.backends.selection import default_analyzer_names, default_backend_names

    return list(default_backend_names(config, env=env)) + default_analyzer_names(config, env=env)
