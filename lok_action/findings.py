"""Finding: one problem in the code, possibly reported by several backends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("bug", "security", "performance", "dead-code", "style")
SEVERITIES = ("critical", "high", "medium", "low", "info")  # most severe first
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}  # info=0 .. critical=4


@dataclass
class Finding:
    rule_id: str  # stable slug, e.g. "lok/null-deref"
    category: str  # one of CATEGORIES
    severity: str  # one of SEVERITIES
    file: str  # repository-relative POSIX path
    start_line: int
    end_line: int
    title: str
    explanation: str = ""
    suggested_fix: str = ""  # replacement code for start_line..end_line, when proposed
    backends: list[str] = field(default_factory=list)  # who reported it, sorted
    fingerprint: str = ""  # stable across unrelated line moves
    dissent: list[str] = field(default_factory=list)  # backends that ran on this file and did not report it

    @property
    def agreement(self) -> int:
        return len(self.backends)

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
            "backends": list(self.backends),
            "agreement": self.agreement,
            "dissent": list(self.dissent),
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule_id=data["rule_id"],
            category=data["category"],
            severity=data["severity"],
            file=data["file"],
            start_line=int(data["start_line"]),
            end_line=int(data["end_line"]),
            title=data["title"],
            explanation=data.get("explanation", ""),
            suggested_fix=data.get("suggested_fix", ""),
            backends=list(data.get("backends", [])),
            fingerprint=data.get("fingerprint", ""),
            dissent=list(data.get("dissent", [])),
        )
