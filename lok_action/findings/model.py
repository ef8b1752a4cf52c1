"""Finding: one problem in the code, possibly reported by several backends; the closed sets of its
category and severity, and the one report order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Category = Literal["bug", "security", "performance", "dead-code", "style"]
Severity = Literal["critical", "high", "medium", "low", "info"]
CATEGORIES: tuple[Category, ...] = ("bug", "security", "performance", "dead-code", "style")
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")  # most severe first
SEVERITY_RANK: dict[str, int] = {
    name: rank for rank, name in enumerate(reversed(SEVERITIES))
}  # info=0 .. critical=4


@dataclass
class Finding:
    rule_id: str  # stable slug, e.g. "lok/null-deref"
    category: Category
    severity: Severity
    file: str  # repository-relative POSIX path
    start_line: int
    end_line: int
    title: str
    explanation: str = ""
    suggested_fix: str = ""  # replacement code for start_line..end_line, when proposed
    evidence: str = ""  # the flagged line(s) as the backend quoted them from the code
    backends: list[str] = field(default_factory=list)  # who reported it, sorted
    fingerprint: str = ""  # stable across unrelated line moves
    dissent: list[str] = field(default_factory=list)  # backends that ran on this file and did not report it
    # the challenge round (issue 12): other backends asked, blind, whether the finding holds
    confirmed_by: list[str] = field(default_factory=list)
    refuted_by: list[str] = field(default_factory=list)
    unsure_by: list[str] = field(default_factory=list)
    unverified: bool = False  # it was due a challenge the run's cap on verification calls left out

    @property
    def agreement(self) -> int:
        """Distinct backends that reported it or, asked blind, confirmed it: what --min-consensus counts."""
        return len(set(self.backends) | set(self.confirmed_by))

    @property
    def silent(self) -> list[str]:
        """Backends that analysed its file and neither reported it nor gave a verdict on it."""
        said = set(self.backends) | set(self.confirmed_by) | set(self.refuted_by) | set(self.unsure_by)
        return [name for name in self.dissent if name not in said]

    @property
    def looked(self) -> int:
        """Backends that analysed its file: the denominator of its agreement."""
        return len(set(self.backends) | set(self.confirmed_by) | set(self.dissent))

    def provenance(self) -> str:
        """'found by claude, confirmed by codex, refuted by gemini': the one wording every report uses."""
        parts = [f"found by {', '.join(self.backends) or 'unknown'}"]
        for label, names in (
            ("confirmed by", self.confirmed_by),
            ("refuted by", self.refuted_by),
            ("unsure:", self.unsure_by),
        ):
            if names:
                parts.append(f"{label} {', '.join(names)}")
        if self.unverified:
            parts.append("unverified (the run's cap on verification calls)")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "category": self.category,
            "severity": self.severity,
            "file": self.file,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "title": self.title,
            "explanation": self.explanation,
            "suggested_fix": self.suggested_fix,
            "evidence": self.evidence,
            "backends": list(self.backends),
            "agreement": self.agreement,
            "dissent": list(self.dissent),
            "confirmed_by": list(self.confirmed_by),
            "refuted_by": list(self.refuted_by),
            "unsure_by": list(self.unsure_by),
            "unverified": self.unverified,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "") -> Finding:
        """A finding read back from a lok JSON report; raises jsonfields.FieldError naming the field."""
        from lok_action import jsonfields as f

        data = f.as_mapping(data, where.rstrip(".") or "finding")
        start = f.integer(data, "start_line", where, minimum=1)
        return cls(
            rule_id=f.text(data, "rule_id", where),
            category=as_category(f.choice(data, "category", CATEGORIES, where)),
            severity=as_severity(f.choice(data, "severity", SEVERITIES, where)),
            file=f.text(data, "file", where),
            start_line=start,
            end_line=f.integer(data, "end_line", where, minimum=start),
            title=f.text(data, "title", where),
            explanation=f.text(data, "explanation", where, ""),
            suggested_fix=f.text(data, "suggested_fix", where, ""),
            evidence=f.text(data, "evidence", where, ""),
            backends=f.text_list(data, "backends", where),
            fingerprint=f.text(data, "fingerprint", where, ""),
            dissent=f.text_list(data, "dissent", where),
            confirmed_by=f.text_list(data, "confirmed_by", where),
            refuted_by=f.text_list(data, "refuted_by", where),
            unsure_by=f.text_list(data, "unsure_by", where),
            unverified=f.boolean(data, "unverified", where, False),
        )


def as_category(text: str) -> Category:
    """``text`` as a Category; ValueError when it is none (callers check user text first)."""
    for category in CATEGORIES:
        if category == text:
            return category
    raise ValueError(f"'{text}' is not one of {', '.join(CATEGORIES)}")


def as_severity(text: str) -> Severity:
    """``text`` as a Severity; ValueError when it is none (callers check user text first)."""
    for severity in SEVERITIES:
        if severity == text:
            return severity
    raise ValueError(f"'{text}' is not one of {', '.join(SEVERITIES)}")


def severity_at_least(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Report order: most severe, most agreed first, then by place. Total, so output is deterministic."""
    return sorted(
        findings,
        key=lambda f: (
            -SEVERITY_RANK[f.severity],
            -f.agreement,
            f.file,
            f.start_line,
            f.end_line,
            f.rule_id,
            f.title,
            f.fingerprint,
        ),
    )


def apply_min_consensus(findings: Iterable[Finding], min_consensus: int) -> list[Finding]:
    return [finding for finding in findings if finding.agreement >= min_consensus]
