"""Run one Request: the only orchestration entry. Every command that analyses or runs a workflow, and
the GitHub Action, comes through here and hands the Outcome to its sinks.

    workflow lookup -> code context (files | diff | pull request | none, `--since` narrowing)
      -> plan (`--plan` stops here) | budget -> runner -> collect (validated, evidence-checked,
      merged) -> challenge round -> quorum + floor -> a pull request review's earlier findings
      carried forward -> Outcome

Record/replay is not a stage: it sits where a reply leaves a backend (backends.calling.call_backend).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lok_action.errors import UsageError

if TYPE_CHECKING:
    from lok_action.cassette import Cassette
    from lok_action.config import Config
    from lok_action.context.diffs import PullRequestSource
    from lok_action.context.providers import CodeContext
    from lok_action.costs import Plan
    from lok_action.outcome import Outcome
    from lok_action.progress import Progress
    from lok_action.request import CassetteSpec, Request
    from lok_action.workflow.model import Workflow
    from lok_action.workflow.result import RunResult
    from lok_action.workflow.runner import RunContext


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
    from lok_action.collect import collect
    from lok_action.workflow.runner import run_workflow

    started = time.monotonic()
    cassette = open_cassette(request.cassette)
    workflow, source, context = _prepare(request, config, env, progress, pull_requests, started, cassette)
    # record/replay sits where a reply leaves a backend (backends.calling.call_backend); here only
    # the durations lok measures itself, which a replay reports from the cassette
    run = run_workflow(workflow, context)
    outcome = collect(workflow, run, source, request.min_consensus, _analyzers(config))
    # the challenge round: findings put, blind, to the backends that analysed their file and did not
    # report them; confirmations count toward the quorum, the refuted are dropped (findings.challenge).
    # Its calls go through the run's spend, so the cost budget covers them too.
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
    if context.spend is not None:
        outcome.record_spend(context.spend.by_backend, context.spend.summary())
    if request.is_pull_request_review:  # earlier findings in unchanged code carry forward (not re-asked)
        _carry_forward(outcome, source)
    outcome.duration = time.monotonic() - started
    if cassette is not None:
        keep_durations(cassette, outcome.duration, run)
        if cassette.replaying and cassette.wall_time() is not None:
            outcome.duration = cassette.wall_time() or 0.0
    return outcome


def plan(
    request: Request,
    config: Config,
    *,
    env: Mapping[str, str],
    pull_requests: PullRequestSource | None = None,
) -> Plan:
    """What ``execute`` would send and what it would cost, from the real prompts; calls no one."""
    from lok_action.plan import make_plan

    workflow, source, context = _prepare(request, config, env, None, pull_requests, time.monotonic(), None)
    return make_plan(
        workflow, context, source, verify=request.verify, max_verify_calls=request.max_verify_calls
    )


def _prepare(
    request: Request,
    config: Config,
    env: Mapping[str, str],
    progress: Progress | None,
    pull_requests: PullRequestSource | None,
    started: float,
    cassette: Cassette | None,
) -> tuple[Workflow, CodeContext, RunContext]:
    """workflow lookup -> code context -> the RunContext with its spend and cost budget."""
    from lok_action.backends.calling import open_cache
    from lok_action.budget import Spend
    from lok_action.workflow.lookup import find_workflow
    from lok_action.workflow.runner import RunContext

    deadline = started + request.max_seconds if request.max_seconds is not None else None
    if request.min_consensus < 1:
        raise UsageError(f"--min-consensus must be at least 1, got {request.min_consensus}")
    workflow = find_workflow(request.workflow, request.project_dir)
    source = code_context(request, pull_requests)
    named_args = dict(request.named_args)
    if request.depth is not None:
        named_args.setdefault("depth", request.depth)
    # the plan (lok_action.plan) is made from this context; the budget guard is its Spend
    max_cost = request.max_cost if request.max_cost is not None else config.max_cost
    context = RunContext(
        config=config,
        workdir=source.workdir,
        args=list(request.args),
        named_args=named_args,
        env=env,
        cache=open_cache(config.cache_enabled, config.cache_ttl_hours, not request.use_cache),
        default_backends=_backend_names(request, config, env, source.chunker is not None, cassette),
        chunker=source.chunker,
        template_vars={"target": source.label, "workflow_name": workflow.name}
        if source.coverage is not None
        else {},
        progress=progress,
        max_parallel=request.max_parallel,
        deadline=deadline,
        cassette=cassette,
        spend=Spend(limit=max_cost),
    )
    return workflow, source, context


def open_cassette(spec: CassetteSpec | None) -> Cassette | None:
    if spec is None:
        return None
    from lok_action.cassette import Cassette

    if spec.mode == "record":
        return Cassette.record(spec.directory, record_prompts=spec.record_prompts)
    return Cassette.replay(spec.directory, missing=spec.missing, record_prompts=spec.record_prompts)


def settle_wall_time(cassette: Cassette | None, measured: float) -> float:
    """The wall time a report shows: measured (and kept in meta.json when recording), or in a replay
    the recorded one. For the commands that call backends outside a workflow (ask, debate, spawn)."""
    if cassette is None:
        return measured
    cassette.finish(wall_time=measured)
    recorded = cassette.wall_time() if cassette.replaying else None
    return measured if recorded is None else recorded


def keep_durations(cassette: Cassette, wall_time: float, run: RunResult) -> None:
    """Recording: the run's and each step's duration go to meta.json. Replaying: they come from it,
    so that the same cassette gives the same report byte for byte (`lok run --json` shows them)."""
    if not cassette.replaying:
        measured = {name: step.duration for name, step in run.steps.items()}
        cassette.finish(wall_time=wall_time, run_duration=run.duration, steps=measured)
        return
    facts = cassette.facts()
    if isinstance(facts.get("run_duration"), (int, float)):
        run.duration = float(facts["run_duration"])
    steps = facts.get("steps")
    recorded: dict[str, Any] = steps if isinstance(steps, dict) else {}
    for name, step in run.steps.items():
        value = recorded.get(name)
        if isinstance(value, (int, float)):
            step.duration = float(value)
    cassette.finish(wall_time=wall_time, run_duration=run.duration)  # only when it recorded misses


def code_context(request: Request, pull_requests: PullRequestSource | None = None) -> CodeContext:
    """What the backends are given, by the request's context: files | diff | pull request | none. A
    pull request is fetched through ``pull_requests`` (the caller knows where it lives)."""
    from lok_action.context import providers

    if request.context == "files":
        own = [request.cassette.directory] if request.cassette is not None else []
        return providers.files_context(request.target, request.shard, request.since, own)
    if request.context == "diff":
        return providers.diff_context(request.target, request.revision_range, request.shard)
    if request.context == "pull_request":
        if pull_requests is None or request.pr_number is None:
            raise UsageError(f"{request.workflow}: a pull request review needs the pull request to review")
        return providers.pull_request_context(request.project_dir, pull_requests(request.pr_number))
    number = request.pr_number or request.issue_number
    return providers.workflow_only(request.project_dir, str(number) if number is not None else "")


def _carry_forward(outcome: Outcome, source: CodeContext) -> None:
    """An incremental review's Outcome holds the earlier findings it did not ask about again."""
    from lok_action.findings.carry import carry_forward
    from lok_action.findings.model import sort_findings

    # only a file that got a usable answer, or that the pull request deletes, can have a fixed finding
    # (whether a file is gone comes from the diffs: the checkout may not hold the head commit at all)
    analysed = set(outcome.coverage.analysed if outcome.coverage is not None else [])
    analysed |= set(source.gone)
    carried, outcome.review = carry_forward(
        outcome.reported,
        source.earlier,
        source.revision or "",
        source.candidates or [],
        found=[*outcome.findings, *outcome.refuted],  # found again at any agreement, or refuted
        analysed=analysed,
    )
    outcome.findings = sort_findings([*outcome.findings, *carried])


def _analyzers(config: Config) -> frozenset[str]:
    """The configured static analyzers: exact positions, no quotes, no verdicts."""
    from lok_action.verification import answers_prompts

    return frozenset(name for name in config.backends if not answers_prompts(config, name))


def _backend_names(
    request: Request,
    config: Config,
    env: Mapping[str, str],
    analyses_code: bool,
    cassette: Cassette | None = None,
) -> list[str] | None:
    """The backends asked: the request's, else the ready ones; when code is analysed, the ready
    static analyzers join them (they take part only in findings steps over chunks). In a replay the
    ready ones are those the cassette holds answers from, installed or not."""
    if request.backends:
        return list(request.backends)
    if not analyses_code:
        return None  # the runner's own rule: the ready backends that answer prompts
    if cassette is not None and cassette.replaying:
        return cassette.default_backends(config, env) + cassette.default_backends(config, env, analyzers=True)
    from lok_action.backends.selection import default_analyzer_names, default_backend_names

    return list(default_backend_names(config, env=env)) + default_analyzer_names(config, env=env)
