"""The challenge round's calls: the questions findings.challenge plans, asked of the backends through
backends.calling.call_backend (so cached, redacted, recorded or replayed by the run's cassette), at
most the runner's max_parallel at once and at most the request's cap per run; the verdicts applied to
the Outcome in the planned order, whatever order the answers arrive in."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from lok_action.findings.challenge import Task, apply_verdicts, parse_verdict, plan_tasks
from lok_action.findings.modes import ChallengeMode
from lok_action.findings.schema import verdict_schema
from lok_action.outcome import Outcome, Verification

if TYPE_CHECKING:
    from lok_action.backends.base import Backend
    from lok_action.config import Config
    from lok_action.reply import Reply
    from lok_action.workflow.runner import RunContext


def run_challenge(
    outcome: Outcome,
    *,
    workflow: str,
    requested: ChallengeMode | None,
    cap: int,
    config: Config,
    context: RunContext,
    lines_of: Callable[[str], Sequence[str] | None],
) -> None:
    """The round over ``outcome``, in place: verdicts on its findings, the refuted moved to
    ``outcome.refuted``, the figures in ``outcome.verification`` (left None when nothing was due)."""
    verifiers = frozenset(
        status.name
        for status in outcome.backends
        if status.status == "ok" and answers_prompts(config, status.name)
    )
    tasks, asked = plan_tasks(
        outcome.findings,
        outcome.min_consensus,
        outcome.challenge_modes,
        requested,
        workflow,
        verifiers,
        lines_of,
    )
    if not tasks:
        return
    sent, left = tasks[:cap], tasks[cap:]
    backends = _backends(config, sorted({task.backend for task in sent}), context.env)
    replies = _ask_all(sent, backends, config, context)
    _count_calls(outcome, sent, replies)
    verdicts = [
        (task, parse_verdict(reply.text if reply.ok else None))
        for task, reply in zip(sent, replies, strict=True)
    ]
    kept, refuted = apply_verdicts(outcome.findings, verdicts, left)
    outcome.findings = kept
    outcome.refuted = [*outcome.refuted, *refuted]
    outcome.verification = Verification(
        calls=len(sent),
        answered=sum(1 for _, verdict in verdicts if verdict is not None),
        cap=cap,
        findings=asked,
        unverified=len({task.finding for task in left}),
        max_prompt_chars=max((len(task.prompt) for task in sent), default=0),
    )


def _count_calls(outcome: Outcome, tasks: Sequence[Task], replies: Sequence[Reply]) -> None:
    """Verification calls cost what any call costs: on the backend's status, apart from its answers."""
    from lok_action.outcome import add_optional

    statuses = {status.name: status for status in outcome.backends}
    for task, reply in zip(tasks, replies, strict=True):
        status = statuses[task.backend]
        status.verify_calls += 1
        status.duration += reply.duration
        status.input_tokens = add_optional(status.input_tokens, reply.input_tokens)
        status.output_tokens = add_optional(status.output_tokens, reply.output_tokens)
        status.cost_usd = add_optional(status.cost_usd, reply.cost_usd)
        status.verify_input_tokens = add_optional(status.verify_input_tokens, reply.input_tokens)
        status.verify_output_tokens = add_optional(status.verify_output_tokens, reply.output_tokens)
        status.verify_cost_usd = add_optional(status.verify_cost_usd, reply.cost_usd)


def answers_prompts(config: Config, name: str) -> bool:
    """Whether the configured backend ``name`` answers prompts (a static analyzer gives no verdict)."""
    from lok_action.backends.registry import kind_spec
    from lok_action.errors import LokError

    backend = config.backends.get(name)
    if backend is None:
        return False
    try:
        return kind_spec(backend.kind).answers_prompts
    except LokError:  # a plugin kind that does not load: it cannot verify anything
        return False


def _backends(config: Config, names: Sequence[str], env: Mapping[str, str]) -> dict[str, Backend]:
    from lok_action.backends import resolve_backends

    return {backend.name: backend for backend in resolve_backends(config, names, env=env)}


def _ask_all(
    tasks: Sequence[Task], backends: Mapping[str, Backend], config: Config, context: RunContext
) -> list[Reply]:
    from lok_action.backends.calling import call_backend
    from lok_action.costs import price_of
    from lok_action.reply import Reply

    schema = verdict_schema()

    def ask(task: Task) -> Reply:
        backend = backends[task.backend]
        if context.past_deadline():
            return Reply(backend.name, error="not called: the run's time limit was reached", attempts=0)

        def call() -> Reply:
            return call_backend(
                backend,
                task.prompt,
                context.workdir,
                config.backend_timeout(backend.config),
                cache=context.cache,
                deadline=context.deadline,
                schema=schema,
                cassette=context.cassette,
            )

        if context.spend is None:
            return call()
        # the run's cost budget covers verification calls as it covers the analysis's
        return context.spend.call(backend.name, price_of(backend), len(task.prompt), call)

    width = max(1, min(len(tasks), context.parallelism()))
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="lok-challenge") as pool:
        return list(pool.map(ask, tasks))  # in task order, whatever order they finish in
