"""Validation of what an LLM answered: raw findings -> Findings, malformed ones dropped and counted."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lok_action.findings.fingerprint import fingerprint
from lok_action.findings.model import SEVERITIES, Category, Finding, Severity

# LLMs use many words for the same thing; map the common ones, drop the rest as malformed.
CATEGORY_ALIASES: dict[str, Category] = {
    "bug": "bug",
    "bugs": "bug",
    "error": "bug",
    "errors": "bug",
    "correctness": "bug",
    "logic": "bug",
    "crash": "bug",
    "reliability": "bug",
    "security": "security",
    "vulnerability": "security",
    "injection": "security",
    "secret": "security",
    "secrets": "security",
    "auth": "security",
    "performance": "performance",
    "perf": "performance",
    "efficiency": "performance",
    "dead-code": "dead-code",
    "dead code": "dead-code",
    "dead_code": "dead-code",
    "deadcode": "dead-code",
    "unused": "dead-code",
    "unreachable": "dead-code",
    "style": "style",
    "readability": "style",
    "maintainability": "style",
}
SEVERITY_ALIASES: dict[str, Severity] = {
    **{name: name for name in SEVERITIES},
    "blocker": "critical",
    "major": "high",
    "error": "high",
    "moderate": "medium",
    "warning": "medium",
    "warn": "medium",
    "minor": "low",
    "note": "low",
    "informational": "info",
    "information": "info",
    "none": "info",
}
MAX_TITLE = 200
MAX_TEXT = 4000

SourceLines = Callable[[str], "Sequence[str] | None"]  # repo path -> its lines, None when unreadable


class MalformedFinding(ValueError):
    """One raw finding that cannot be used; the message says which field."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _int_field(item: Mapping[str, Any], *names: str) -> int | None:
    for name in names:
        value = item.get(name)
        if isinstance(value, bool):
            raise MalformedFinding(f"{name} is not a line number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        if value is not None:
            raise MalformedFinding(f"{name} is not a line number: {value!r}"[:120])
    return None


def _text_field(item: Mapping[str, Any], *names: str, limit: int = MAX_TEXT) -> str:
    for name in names:
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:limit]
    return ""


def _code_field(item: Mapping[str, Any], *names: str) -> str:
    """Quoted code: kept as written (indentation is part of it), only blank edges trimmed."""
    for name in names:
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip("\r\n")[:MAX_TEXT]
    return ""


def _resolve_path(raw: str, allowed: Sequence[str] | None) -> str:
    path = raw.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    path = path.lstrip("/")
    if allowed is None or path in allowed:
        return path
    # "a.py" for "src/a.py", or an absolute path ending in a known file: accept when unambiguous
    matches = [known for known in allowed if known.endswith("/" + path) or path.endswith("/" + known)]
    if len(matches) == 1:
        return matches[0]
    raise MalformedFinding(f"file '{raw[:80]}' was not in the analysed code")


def raw_finding_items(parsed: Any) -> list[Any]:
    """The list of raw findings in a parsed answer: {"findings": [...]}, a bare list, or one object."""
    if isinstance(parsed, dict):
        if "findings" in parsed:
            items = parsed["findings"]
            if not isinstance(items, list):
                raise MalformedFinding("'findings' is not a list")
            return items
        if "title" in parsed and "file" in parsed:
            return [parsed]
        raise MalformedFinding("answer has no 'findings' list")
    if isinstance(parsed, list):
        return parsed
    raise MalformedFinding("answer is not a JSON object or list")


def validate_raw_finding(
    item: Any, backend: str, allowed_files: Sequence[str] | None, source_lines: SourceLines
) -> Finding:
    """One raw finding from an LLM answer -> a Finding, or MalformedFinding naming the bad field."""
    if not isinstance(item, dict):
        raise MalformedFinding("finding is not an object")
    raw_file = _text_field(item, "file", "path", "filename")
    if not raw_file:
        raise MalformedFinding("missing 'file'")
    path = _resolve_path(raw_file, allowed_files)
    start = _int_field(item, "start_line", "line", "startLine")
    if start is None:
        raise MalformedFinding("missing 'start_line'")
    end = _int_field(item, "end_line", "endLine")
    end = start if end is None or end < start else end
    if start < 1:
        raise MalformedFinding(f"start_line {start} is not >= 1")
    lines = source_lines(path)
    if lines is not None:
        if start > max(len(lines), 1):
            raise MalformedFinding(f"start_line {start} is past the end of {path} ({len(lines)} lines)")
        end = min(end, max(len(lines), 1))
    category_raw = _text_field(item, "category", "type", "kind").lower()
    category = CATEGORY_ALIASES.get(category_raw)
    if category is None:
        raise MalformedFinding(f"unknown category '{category_raw[:40]}'")
    severity_raw = _text_field(item, "severity", "level", "priority").lower()
    severity = SEVERITY_ALIASES.get(severity_raw)
    if severity is None:
        raise MalformedFinding(f"unknown severity '{severity_raw[:40]}'")
    title = " ".join(_text_field(item, "title", "summary", "message", limit=MAX_TITLE * 2).split())
    if not title:
        raise MalformedFinding("missing 'title'")
    title = title[:MAX_TITLE]
    rule_raw = _text_field(item, "rule", "rule_id", "id", limit=120)
    slug = _slug(rule_raw.removeprefix("lok/")) or category
    rule_id = f"lok/{slug}"
    finding = Finding(
        rule_id=rule_id,
        category=category,
        severity=severity,
        file=path,
        start_line=start,
        end_line=end,
        title=title,
        explanation=_text_field(item, "explanation", "description", "details", "message"),
        suggested_fix=_text_field(item, "suggested_fix", "fix", "suggestion"),
        evidence=_code_field(item, "evidence", "code", "snippet"),
        backends=[backend],
    )
    finding.fingerprint = fingerprint(finding, lines)
    return finding


@dataclass
class ValidationResult:
    findings: list[Finding]
    dropped: int  # raw findings that were malformed
    problems: list[str]  # why, one per dropped finding (first few)


def validate_raw_findings(
    parsed: Any, backend: str, allowed_files: Sequence[str] | None, source_lines: SourceLines
) -> ValidationResult:
    """All findings in one parsed answer. Bad ones are dropped and counted, never raised."""
    try:
        items = raw_finding_items(parsed)
    except MalformedFinding as problem:
        return ValidationResult([], 1, [str(problem)])
    findings, problems = [], []
    for item in items:
        try:
            findings.append(validate_raw_finding(item, backend, allowed_files, source_lines))
        except MalformedFinding as problem:
            problems.append(str(problem))
    return ValidationResult(findings, len(problems), problems[:5])
