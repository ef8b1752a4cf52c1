"""Findings out of a workflow run (steps with `findings = true`), validated and merged by consensus."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from lok_action.findings.merge import merge_findings
from lok_action.findings.model import Finding
from lok_action.findings.validate import validate_raw_findings
from lok_action.workflow.model import Workflow
from lok_action.workflow.result import RunResult


def findings_from_run(
    workflow: Workflow, result: RunResult, workdir: Path, allowed_files: list[str] | None = None
) -> tuple[list[Finding], dict[str, int]]:
    """(merged findings, malformed count per backend)."""
    from lok_action.context.files import Coverage

    coverage = Coverage(root=workdir)
    raw: list[Finding] = []
    dropped: dict[str, int] = defaultdict(int)
    reporters: set[str] = set()
    for step in workflow.steps:
        step_result = result.steps.get(step.name)
        if not step.findings or step_result is None:
            continue
        for output in step_result.outputs:
            if not output.ok:
                continue
            reporters.add(output.backend)
            if output.parsed is None:
                dropped[output.backend] += 1
                continue
            validated = validate_raw_findings(output.parsed, output.backend, allowed_files, coverage.lines_of)
            dropped[output.backend] += validated.dropped
            raw.extend(validated.findings)
    return merge_findings(raw, lambda _path: sorted(reporters)), dict(dropped)
