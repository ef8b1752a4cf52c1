"""A workflow run -> its Outcome: the one conversion of step results into findings, per-backend status
and cost, coverage and text.

Each backend answer of a findings step is validated against the files that answer was about (a
chunk's files, or every candidate), malformed findings are dropped and counted, and what is left is
merged by agreement. Every candidate file is analysed or listed as skipped with the reason.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping

from lok_action.budget import BUDGET_NOTE
from lok_action.context.chunks import Chunker
from lok_action.context.providers import CodeContext
from lok_action.findings.evidence import check_evidence
from lok_action.findings.merge import merge_findings
from lok_action.findings.model import Finding
from lok_action.findings.modes import ChallengeMode, stricter_mode
from lok_action.findings.validate import validate_raw_findings
from lok_action.outcome import BackendStatus, CoverageSummary, Outcome, add_optional
from lok_action.workflow.model import Workflow
from lok_action.workflow.result import RunResult


def collect(
    workflow: Workflow,
    run: RunResult,
    source: CodeContext,
    min_consensus: int,
    analyzers: frozenset[str] = frozenset(),
) -> Outcome:
    """``analyzers`` names the static analyzers among the backends: their positions are exact, they
    quote nothing, so their findings are not counted as unchecked."""
    modes: dict[str, ChallengeMode | None] = {}  # fingerprint -> its steps' `challenge`
    statuses: dict[str, BackendStatus] = {}
    analysed_by: dict[str, set[str]] = defaultdict(set)
    anywhere: set[str] = set()  # backends whose findings answer was about any file (no code given)
    raw: list[Finding] = []
    refused: set[str] = set()  # files of calls the cost budget did not let start
    chunker = source.chunker
    for step in workflow.steps:
        step_result = run.steps.get(step.name)
        if step_result is None:
            continue
        for output, reply in zip(step_result.outputs, step_result.replies, strict=False):
            status = statuses.setdefault(output.backend, BackendStatus(output.backend))
            status.calls += 1
            status.duration += reply.duration
            status.input_tokens = add_optional(status.input_tokens, reply.input_tokens)
            status.output_tokens = add_optional(status.output_tokens, reply.output_tokens)
            status.cost_usd = add_optional(status.cost_usd, reply.cost_usd)
            status.repairs += reply.repairs
            if reply.error == BUDGET_NOTE:  # never called: not a failure of the backend
                refused.update(_files_of(source, chunker, output.backend, output.chunk_index, True) or [])
                status.error = status.error or reply.error
                continue
            if not reply.ok:
                status.failed_calls += 1
                status.error = status.error or reply.error
                continue
            if step.findings and output.parsed is None:
                status.unparseable += 1  # the reply came back but held no JSON: its findings are lost
                status.error = status.error or (output.error or "answer was not JSON")
                continue
            status.usable += 1
            files = _files_of(source, chunker, output.backend, output.chunk_index, bool(step.for_each))
            if files is None:
                if step.findings:
                    anywhere.add(output.backend)
            else:
                for path in files:
                    analysed_by[path].add(output.backend)
            if not step.findings:
                continue
            validated = validate_raw_findings(output.parsed, output.backend, files, source.lines_of)
            checked = _checked_evidence(validated.findings, source, status, output.backend in analyzers)
            status.findings += len(checked)
            status.dropped += validated.dropped
            for finding in checked:  # a finding reported by several steps is challenged as the strictest asks
                modes[finding.fingerprint] = stricter_mode(modes.get(finding.fingerprint), step.challenge)
            raw.extend(checked)
    for name, status in statuses.items():
        status.status = "ok" if status.usable else "failed"  # ok = at least one answer was usable
        if status.status == "ok":
            status.error = None
        elif status.unparseable and not status.failed_calls:
            status.error = f"no answer was JSON ({status.error})"
        plan = chunker.by_backend.get(name) if chunker else None
        status.over_budget = len(plan.over_budget) if plan else 0
        status.budget = chunker.budgets.get(name, "") if chunker else ""
    findings = merge_findings(raw, lambda path: analysed_by.get(path, set()) | anywhere)
    return Outcome(
        workflow=workflow.name,
        target=source.label,
        findings=findings,
        min_consensus=min_consensus,
        backends=[statuses[name] for name in sorted(statuses)],
        coverage=_coverage(source, analysed_by, statuses, refused),
        path_prefix=source.path_prefix,
        text=final_text(workflow, run),
        run=run,
        raw_findings=raw,
        challenge_modes=modes,
    )


def _checked_evidence(
    findings: list[Finding], source: CodeContext, status: BackendStatus, exact: bool
) -> list[Finding]:
    """Each finding's quoted code looked up in its file (findings.evidence): kept, moved to where the
    code stands, or dropped as unverifiable; counted on the backend's status."""
    kept = []
    for finding in findings:
        result = check_evidence(finding, source.lines_of(finding.file))
        if result.state == "relocated":
            status.relocated += 1
        elif result.state == "unverifiable":
            status.unverifiable += 1
        elif result.state == "unchecked" and not exact:
            status.unchecked += 1
        if result.finding is not None:
            kept.append(result.finding)
    return kept


BUDGET_SKIP = "not analysed: cost budget reached"


def _files_of(
    source: CodeContext, chunker: Chunker | None, backend: str, chunk: int | None, per_chunk: bool
) -> list[str] | None:
    """The files one answer was about: its chunk's, else every candidate (None: any file)."""
    if per_chunk and chunker is not None:
        return chunker.files_of(backend, chunk)
    return None if source.candidates is None else list(source.candidates)


def _coverage(
    source: CodeContext,
    analysed_by: Mapping[str, set[str]],
    statuses: Mapping[str, BackendStatus],
    refused: set[str],
) -> CoverageSummary | None:
    if source.coverage is None or source.candidates is None:
        return None
    candidates = source.candidates
    skipped = dict(source.coverage.skipped)
    for path in candidates:
        if path not in analysed_by:
            skipped[path] = (
                BUDGET_SKIP if path in refused else _why_not_analysed(path, source.chunker, statuses)
            )
    shard = source.coverage.shard
    return CoverageSummary(
        analysed=sorted(path for path in candidates if path in analysed_by),
        skipped={path: skipped[path] for path in sorted(skipped)},
        shard=str(shard) if shard else None,
        gone=list(source.gone),
    )


def _why_not_analysed(path: str, chunker: Chunker | None, statuses: Mapping[str, BackendStatus]) -> str:
    plans = chunker.by_backend if chunker else {}
    if plans and all(path in plan.over_budget for plan in plans.values()):
        return "over budget (every backend's chunk limit was reached)"
    if not statuses:
        return "not analysed (no backend ran)"
    return "not analysed (no usable answer: the calls failed or their answers were not JSON)"


def final_text(workflow: Workflow, run: RunResult) -> str:
    """The workflow's answer besides findings: the output of each step nothing depends on that
    succeeded and is not a findings step (explain's overview, fix's proposed change)."""
    used = {dep for step in workflow.steps for dep in step.depends_on}
    texts = []
    for step in workflow.steps:
        result = run.steps.get(step.name)
        if step.name in used or step.findings or result is None or result.status != "success":
            continue
        output = result.output if isinstance(result.output, str) else json.dumps(result.output, indent=2)
        if output.strip():
            texts.append(output.strip())
    return "\n\n".join(texts)
