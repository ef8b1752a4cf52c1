"""What the GitHub sinks publish, independent of where it came from (an analysis or a workflow run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lok_action.findings.model import SEVERITY_RANK, Finding

if TYPE_CHECKING:
    from lok_action.analysis import AnalysisResult


@dataclass
class BackendStatus:
    name: str
    ok: bool
    detail: str = ""  # e.g. "3 findings", "timed out after 300 s", "2 findings dropped as malformed"
    cost_usd: float | None = None
    duration: float | None = None


@dataclass
class PublishReport:
    title: str  # e.g. "review-pr", "hunt"
    findings: list[Finding] = field(default_factory=list)  # already consensus-filtered
    backends: list[BackendStatus] = field(default_factory=list)
    coverage: str = ""  # "42 files analysed, 3 skipped (2 binary, 1 too large)"
    text: str = ""  # free text a workflow produced (a proposed fix, a CI diagnosis)
    min_consensus: int = 1
    report_markdown: str = ""  # the full markdown report when the report module produced one
    notes: list[str] = field(default_factory=list)  # e.g. "fork PR: nothing posted"

    def sorted_findings(self) -> list[Finding]:
        return sorted(
            self.findings,
            key=lambda f: (-SEVERITY_RANK.get(f.severity, 0), -f.agreement, f.file, f.start_line, f.rule_id),
        )

    @property
    def verdict(self) -> str:
        """pass: nothing found; fail: a critical/high finding; warn: anything else."""
        if not self.findings:
            return "pass"
        worst = max(SEVERITY_RANK.get(f.severity, 0) for f in self.findings)
        return "fail" if worst >= SEVERITY_RANK["high"] else "warn"


def report_from_analysis(result: AnalysisResult) -> PublishReport:
    """An analysis (hunt, diff, a chunked PR review): per-backend status and cost, coverage line."""
    from lok_action.report.markdown import render_markdown

    statuses = [
        BackendStatus(
            s.name,
            s.status == "ok",
            s.error or s.malformed_note() or f"{s.findings} findings",
            s.cost_usd,
            s.duration,
        )
        for s in result.backends
    ]
    return PublishReport(
        title=result.workflow,
        findings=list(result.reported),
        backends=statuses,
        coverage=result.coverage_line(),
        text=result.text,
        min_consensus=result.min_consensus,
        report_markdown=render_markdown(result),
    )
