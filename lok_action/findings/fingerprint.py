"""A finding's fingerprint: stable across unrelated line moves, changed by editing the flagged code."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lok_action.findings.model import Finding

FINGERPRINT_CONTEXT = 1  # non-blank lines after the finding folded into the hash


def _normalise(line: str) -> str:
    return " ".join(line.split())


def fingerprint(finding: Finding, lines: Sequence[str] | None) -> str:
    """sha256 of path, rule and the whitespace-normalised code of the finding's lines plus the next
    non-blank line after them. Line numbers are not part of it, and nothing above the finding is,
    so lines inserted or removed above keep it; editing the flagged code changes it."""
    parts = [finding.file, finding.rule_id]
    if lines:
        first, last = finding.start_line - 1, min(finding.end_line, len(lines))
        code = [_normalise(line) for line in lines[first:last]]
        after = [n for n in (_normalise(line) for line in lines[last:]) if n]
        parts += code + ["--"] + after[:FINGERPRINT_CONTEXT]
    else:  # no source (deleted file): the wording is the best stable thing left
        parts.append(_normalise(finding.title).lower())
    return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()
