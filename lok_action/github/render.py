"""Markdown for job summaries, the lok comment, review bodies and inline review comments."""

from __future__ import annotations

from lok_action.findings.model import Finding
from lok_action.github.markers import REPORT_MARKER, finding_key, fingerprint_marker
from lok_action.github.report import PublishReport

SEVERITY_ICON = {"critical": "🛑", "high": "🔴", "medium": "🟠", "low": "🟡", "info": "🔵"}


def key_of(finding: Finding) -> str:
    return finding_key(finding.fingerprint, finding.file, finding.rule_id, finding.start_line)


def fence(text: str, info: str = "") -> str:
    """A code fence longer than any backtick run inside the text, so LLM output cannot break out."""
    longest = 0
    run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def agreement_text(finding: Finding) -> str:
    total = finding.agreement + len(finding.dissent)
    who = ", ".join(finding.backends) or "unknown"
    return f"{finding.agreement}/{total} ({who})" if total else who


def location(finding: Finding) -> str:
    lines = (
        f"{finding.start_line}"
        if finding.end_line <= finding.start_line
        else f"{finding.start_line}-{finding.end_line}"
    )
    return f"`{finding.file}:{lines}`"


def findings_table(findings: list[Finding]) -> str:
    rows = ["| Severity | Finding | Location | Agreement |", "|---|---|---|---|"]
    for finding in findings:
        icon = SEVERITY_ICON.get(finding.severity, "")
        rows.append(
            f"| {icon} {finding.severity} | {cell(finding.title)} ({finding.category}) | {location(finding)} | {cell(agreement_text(finding))} |"
        )
    return "\n".join(rows)


def finding_details(finding: Finding, with_fix: bool = True) -> str:
    parts = [
        f"**[{finding.severity}] {finding.title}** — {location(finding)}, {finding.category}, agreement {agreement_text(finding)}"
    ]
    if finding.explanation:
        parts.append(finding.explanation.strip())
    if finding.dissent:
        parts.append(f"_Not reported by: {', '.join(finding.dissent)}_")
    if with_fix and finding.suggested_fix:
        parts.append("Proposed fix:\n\n" + fence(finding.suggested_fix))
    parts.append(fingerprint_marker(key_of(finding)))
    return "\n\n".join(parts)


def backends_table(report: PublishReport) -> str:
    if not report.backends:
        return ""
    rows = ["| Backend | Status | Details | Cost |", "|---|---|---|---|"]
    for status in report.backends:
        cost = f"${status.cost_usd:.4f}" if status.cost_usd is not None else "—"
        rows.append(
            f"| {cell(status.name)} | {'✅ ok' if status.ok else '❌ failed'} | {cell(status.detail)} | {cost} |"
        )
    return "\n".join(rows)


def headline(report: PublishReport) -> str:
    count = len(report.findings)
    noun = "finding" if count == 1 else "findings"
    consensus = f" (min consensus {report.min_consensus})" if report.min_consensus > 1 else ""
    return f"## lok {report.title}: {count} {noun}{consensus}"


def summary_markdown(report: PublishReport) -> str:
    """The job summary: the report module's markdown when there is one, else our own rendering."""
    parts = [] if report.report_markdown else [headline(report)]
    parts.extend(f"> {note}" for note in report.notes)
    if report.report_markdown:  # it has its own headline, table, backends and coverage
        parts.append(report.report_markdown.strip())
        return "\n\n".join(parts) + "\n"
    else:
        findings = report.sorted_findings()
        if findings:
            parts.append(findings_table(findings))
            parts.append("### Details\n\n" + "\n\n---\n\n".join(finding_details(f) for f in findings))
        if report.text:
            parts.append(report.text.strip())
    table = backends_table(report)
    if table and not report.report_markdown:
        parts.append("### Backends\n\n" + table)
    if report.coverage:
        parts.append(f"**Coverage:** {report.coverage}")
    return "\n\n".join(parts) + "\n"


# GitHub refuses comment and review bodies over 65,536 characters; the margin keeps the note inside.
BODY_LIMIT = 60000


def fit_body_limit(body: str, limit: int = BODY_LIMIT) -> str:
    """Cut a comment/review body to GitHub's size limit, saying so (the job summary has it all)."""
    if len(body) <= limit:
        return body
    return body[: limit - 200] + "\n\n…truncated (GitHub's comment size limit); see the job summary.\n"


def comment_markdown(report: PublishReport, limit: int = BODY_LIMIT) -> str:
    """The one lok comment on an issue/PR (GitHub caps comment bodies at 65,536 characters)."""
    parts = [REPORT_MARKER, headline(report)]
    parts.extend(f"> {note}" for note in report.notes)
    findings = report.sorted_findings()
    if findings:
        parts.append(findings_table(findings))
        details = "\n\n---\n\n".join(finding_details(f) for f in findings)
        parts.append(f"<details><summary>Details</summary>\n\n{details}\n\n</details>")
    elif not report.text:
        parts.append("No findings passed the consensus filter.")
    if report.text:
        parts.append(report.text.strip())
    table = backends_table(report)
    if table:
        parts.append(table)
    if report.coverage:
        parts.append(f"**Coverage:** {report.coverage}")
    return fit_body_limit("\n\n".join(parts) + "\n", limit)


def inline_comment_body(finding: Finding, suggestion: bool) -> str:
    parts = [
        f"**{SEVERITY_ICON.get(finding.severity, '')} [{finding.severity}] {finding.title}** ({finding.category}; agreement {agreement_text(finding)})"
    ]
    if finding.explanation:
        parts.append(finding.explanation.strip())
    if finding.suggested_fix:
        parts.append(
            fence(finding.suggested_fix, "suggestion")
            if suggestion
            else "Proposed fix:\n\n" + fence(finding.suggested_fix)
        )
    parts.append(fingerprint_marker(key_of(finding)))
    return "\n\n".join(parts)


def review_body(report: PublishReport, inline_count: int, outside: list[Finding], fallback: bool) -> str:
    parts = [f"**lok {report.title}**: {len(report.findings)} finding(s), {inline_count} as inline comments."]
    if fallback:
        parts.append("GitHub did not accept the inline comments, so every finding is listed here.")
    if outside:
        label = "Findings" if fallback else "Findings outside the diff"
        parts.append(f"### {label}\n\n" + "\n\n---\n\n".join(finding_details(f) for f in outside))
    return fit_body_limit("\n\n".join(parts))
