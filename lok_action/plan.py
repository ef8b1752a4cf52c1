"""`--plan`: what a run would send, computed from the real prompts without calling anyone.

Each step that would ask backends is rendered exactly as the runner renders it (same variables, same
chunks per backend budget), so the prompt characters of a step whose prompt does not use earlier
steps' output are exact. A step whose prompt does (`{{ steps.X.output }}`) is rendered with those
outputs empty: its figure is a lower bound, and the plan says so. A step whose `when` depends on
earlier results is counted as if it ran (the most the run could send).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lok_action.costs import BackendPlan, Plan, price_of

if TYPE_CHECKING:
    from lok_action.context.providers import CodeContext
    from lok_action.workflow.model import Workflow
    from lok_action.workflow.runner import RunContext


def make_plan(workflow: Workflow, ctx: RunContext, source: CodeContext) -> Plan:
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
    return plan
