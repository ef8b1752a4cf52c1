"""`--plan`: what a run would send, computed from the real prompts without calling anyone.

Each step that would ask backends is rendered exactly as the runner renders it (same variables, same
chunks per backend budget), so the prompt characters of a step whose prompt does not use earlier
steps' output are exact. A step whose prompt does (`{{ steps.X.output }}`) is rendered with those
outputs empty: its figure is a lower bound, and the plan says so. A step whose `when` depends on
earlier results is counted as if it ran (the most the run could send).

The challenge round (on by default for hunt, audit, diff and review-pr) cannot be counted: its calls
depend on the findings. The plan gives its upper bound instead (VerificationBound): the run's cap on
verification calls, each prompt at its character cap, priced as the dearest backend that could be
asked, and says so in a note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lok_action.costs import BackendPlan, Plan, VerificationBound, price_of

if TYPE_CHECKING:
    from lok_action.backends.base import Backend
    from lok_action.context.providers import CodeContext
    from lok_action.findings.modes import ChallengeMode
    from lok_action.workflow.model import Workflow
    from lok_action.workflow.runner import RunContext


def make_plan(
    workflow: Workflow,
    ctx: RunContext,
    source: CodeContext,
    *,
    verify: ChallengeMode | None,
    max_verify_calls: int,
) -> Plan:
    """``verify`` and ``max_verify_calls``: the request's --verify and --max-verify-calls."""
    from lok_action.findings.modes import effective_mode
    from lok_action.workflow.result import StepResult, step_view
    from lok_action.workflow.runner import resolve_step_backends, static_condition, template_variables
    from lok_action.workflow.templating import TemplateProblem, render_text

    mapping = resolve_step_backends(workflow, ctx)
    names = [step.name for step in workflow.steps]
    # earlier steps' outputs are not known before the run: they are empty here
    empty = {name: step_view(StepResult(name, status="success")) for name in names}
    variables = template_variables(workflow, ctx, empty)
    coverage = source.coverage
    plan = Plan(
        workflow=workflow.name,
        target=source.label,
        files=len(source.candidates or []) if coverage is not None else 0,
        skipped_files=len(coverage.skipped) if coverage is not None else 0,
    )
    by_name: dict[str, BackendPlan] = {}
    uncertain_when: list[str] = []
    challenged: dict[str, Backend] = {}  # backends of the findings steps whose findings may be challenged
    for step in workflow.steps:
        if step.is_shell or step.prompt is None:
            continue
        known = static_condition(step, workflow, ctx)
        if known is False:
            plan.skipped_steps.append(step.name)
            continue
        if known is None:
            uncertain_when.append(step.name)
        plan.steps.append(step.name)
        uses_earlier = "steps" in step.prompt
        if step.findings and effective_mode(verify, step.challenge, workflow.name) != "off":
            challenged.update((backend.name, backend) for backend in mapping.get(step.name, []))
        for backend in mapping.get(step.name, []):
            row = by_name.setdefault(backend.name, BackendPlan(backend.name, price_of(backend)))
            chunks: list[Any] = [None]
            if step.for_each == "chunk" and ctx.chunker is not None:
                chunks = ctx.chunker(backend)
                row.chunks = max(row.chunks, len(chunks))
            for chunk in chunks:
                row.calls += 1
                if not backend.answers_prompts:
                    continue  # a static analyzer is given the chunk's files, not a prompt
                scope = dict(variables, chunk=chunk) if chunk is not None else variables
                try:
                    row.add_prompt(len(render_text(step.prompt, scope, names)))
                except TemplateProblem as error:
                    plan.notes.append(
                        f"step '{step.name}': prompt cannot be rendered before the run ({error})"
                    )
                    break
                if uses_earlier:
                    row.estimated_calls += 1
    plan.backends = [by_name[name] for name in sorted(by_name)]
    if any(row.estimated_calls for row in plan.backends):
        plan.notes.append("steps using earlier steps' output are counted without that output (a lower bound)")
    if uncertain_when:
        plan.notes.append(
            f"counted as if they run (their `when` depends on earlier results): {', '.join(uncertain_when)}"
        )
    plan.verification = verification_bound(list(challenged.values()), max_verify_calls)
    if plan.verification is not None:
        plan.notes.append(
            "the calls, prompt chars and cost above leave out the challenge round: how many verification"
            f" calls it makes depends on the findings; at most {max_verify_calls} (--max-verify-calls),"
            " bounded on its line"
        )
    return plan


def verification_bound(backends: list[Backend], cap: int) -> VerificationBound | None:
    """The challenge round's upper bound, or None when it cannot ask anyone: a finding is put only to
    a backend that answers prompts and analysed its file without reporting it, so two backends at
    least, one of them answering prompts."""
    from lok_action.findings.challenge import MAX_PROMPT_CHARS

    askable = [backend for backend in backends if backend.answers_prompts]
    if cap <= 0 or not askable or len(backends) < 2:
        return None
    bound = VerificationBound(cap, MAX_PROMPT_CHARS)
    # any call may go to any of them: the dearest one bounds the total (ties: the first by name)
    dearest = max(
        sorted(askable, key=lambda backend: backend.name),
        key=lambda backend: price_of(backend).cost(bound.tokens_in, bound.tokens_out),
    )
    return VerificationBound(cap, MAX_PROMPT_CHARS, price_of(dearest), dearest.name)
