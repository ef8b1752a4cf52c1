"""Markdown for job summaries, the lok comment, review bodies and inline review comments, from an
Outcome. Model text goes through the one set of markdown helpers (lok_action.markdown_text)."""

from __future__ import annotations

from collections.abc import Sequence

from lok_action.findings.model import Finding
from lok_action.github.markers import REPORT_MARKER, finding_key, fingerprint_marker
from lok_action.github.review_state import state_markers
from lok_action.markdown_text import block, cell, fence, location
from lok_action.outcome import Outcome
from lok_action.report.markdown import trust_sections

SEVERITY_ICON = {"critical": "🛑", "high": "🔴", "medium": "🟠", "low": "🟡", "info": "🔵"}


def key_of(finding: Finding) -> str:
    return finding_key(finding.fingerprint, finding.file, finding.rule_id, finding.start_line)


def agreement_text(finding: Finding) -> str:
    total = finding.looked
    who = finding.provenance()
    return f"{finding.agreement}/{total} ({who})" if total else who


def findings_table(findings: Sequence[Finding]) -> str:
    rows = ["| Severity | Finding | Location | Agreement |", "|---|---|---|---|"]
    for finding in findings:
        icon = SEVERITY_ICON.get(finding.severity, "")
        rows.append(
            f"| {icon} {finding.severity} | {cell(finding.title)} ({finding.category}) "
            f"| `{cell(location(finding))}` | {cell(agreement_text(finding))} |"
        )
    return "\n".join(rows)


def finding_details(finding: Finding, with_fix: bool = True) -> str:
    heading = (
        f"**[{finding.severity}] {block(finding.title)}** — `{location(finding)}`, {finding.category}, "
        f"agreement {block(agreement_text(finding))}"
    )
    fix = "Proposed fix:\n\n" + fence(finding.suggested_fix) if with_fix and finding.suggested_fix else ""
    dissent = f"_Not reported by: {', '.join(finding.silent)}_" if finding.silent else ""
    return _finding_text(finding, heading, dissent, fix)


def _finding_text(finding: Finding, heading: str, dissent: str, fix: str) -> str:
    """Heading, explanation, dissent, fix, and the fingerprint marker a re-run finds it by."""
    explanation = block(finding.explanation.strip())
    parts = [heading, explanation, dissent, fix, fingerprint_marker(key_of(finding))]
    return "\n\n".join(part for part in parts if part)


def backends_table(outcome: Outcome) -> str:
    if not outcome.backends:
        return ""
    rows = ["| Backend | Status | Details | Cost |", "|---|---|---|---|"]
    for status in outcome.backends:
        cost = f"${status.cost_usd:.4f}" if status.cost_usd is not None else "—"
        state = "✅ ok" if status.status == "ok" else "❌ failed"
        detail = cell(status.detail(count_findings=outcome.analysed_code))[:120]
        rows.append(f"| {cell(status.name)} | {state} | {detail} | {cost} |")
    return "\n".join(rows)


def headline(outcome: Outcome) -> str:
    count = len(outcome.reported)
    noun = "finding" if count == 1 else "findings"
    consensus = f" (min consensus {outcome.min_consensus})" if outcome.min_consensus > 1 else ""
    return f"## lok {outcome.workflow}: {count} {noun}{consensus}"


def summary_markdown(outcome: Outcome) -> str:
    """The job summary: an analysis of code is the markdown report itself (headline, table, backends
    and coverage); a workflow's answer (a proposed fix) gets a findings table and its text."""
    from lok_action.report.markdown import render_markdown

    parts = [f"> {note}" for note in outcome.notes]
    if outcome.analysed_code:
        parts.append(render_markdown(outcome).strip())
        return "\n\n".join(parts) + "\n"
    parts.insert(0, headline(outcome))
    findings = outcome.reported
    if findings:
        parts.append(findings_table(findings))
        parts.append("### Details\n\n" + "\n\n---\n\n".join(finding_details(f) for f in findings))
    if outcome.text:
        parts.append(outcome.text.strip())
    table = backends_table(outcome)
    if table:
        parts.append("### Backends\n\n" + table)
    return "\n\n".join(parts) + "\n"


# GitHub refuses comment and review bodies over 65,536 characters; the margin keeps the note inside.
BODY_LIMIT = 60000


def fit_body_limit(body: str, limit: int = BODY_LIMIT) -> str:
    """Cut a comment/review body to GitHub's size limit, saying so (the job summary has it all)."""
    if len(body) <= limit:
        return body
    return body[: limit - 200] + "\n\n…truncated (GitHub's comment size limit); see the job summary.\n"


def comment_markdown(outcome: Outcome, limit: int = BODY_LIMIT) -> str:
    """The one lok comment on an issue/PR (GitHub caps comment bodies at 65,536 characters)."""
    parts = [REPORT_MARKER]
    if outcome.review is not None:  # what the next review of this pull request starts from
        parts.append(state_markers(outcome.review.head, outcome.reported))
    if outcome.analysed_code:
        parts.append(review_summary(outcome))
    parts.append(headline(outcome))
    parts.extend(f"> {note}" for note in outcome.notes)
    findings = outcome.reported
    if findings:
        parts.append(findings_table(findings))
        details = "\n\n---\n\n".join(finding_details(f) for f in findings)
        parts.append(f"<details><summary>Details</summary>\n\n{details}\n\n</details>")
    elif not outcome.text:
        parts.append("No findings passed the consensus filter.")
    trust = "\n".join(trust_sections(outcome)).strip()
    if trust:
        parts.append(trust)
    if outcome.text:
        parts.append(outcome.text.strip())
    parts.extend(f"> {note}" for note in outcome.trust_notes())
    table = backends_table(outcome)
    if table:
        parts.append(table)
    if outcome.analysed_code:
        parts.append(f"**Coverage:** {outcome.coverage_line()}")
    return fit_body_limit("\n\n".join(part for part in parts if part) + "\n", limit)


def inline_comment_body(finding: Finding, suggestion: bool) -> str:
    heading = (
        f"**{SEVERITY_ICON.get(finding.severity, '')} [{finding.severity}] {block(finding.title)}** "
        f"({finding.category}; agreement {block(agreement_text(finding))})"
    )
    if not finding.suggested_fix:
        fix = ""
    elif suggestion:  # GitHub's one-click "commit suggestion" for the lines the comment is on
        fix = fence(finding.suggested_fix, "suggestion")
    else:
        fix = "Proposed fix:\n\n" + fence(finding.suggested_fix)
    return _finding_text(finding, heading, "", fix)


def review_body(outcome: Outcome, inline_count: int, outside: list[Finding], fallback: bool) -> str:
    """What a review says besides its inline comments: each finding not posted inline (outside the
    diff, past max-inline-comments, below inline-min-severity) in a table, and in full below it."""
    count = inline_count + len(outside)
    parts = [f"**lok {outcome.workflow}**: {count} finding(s), {inline_count} as inline comments."]
    if fallback:
        parts.append("GitHub did not accept the inline comments, so every finding is listed here.")
    if outside:
        label = "Findings" if fallback else "Findings not posted inline"
        details = "\n\n---\n\n".join(finding_details(f) for f in outside)
        parts.append(f"### {label}\n\n{findings_table(outside)}")
        parts.append(f"<details><summary>Details</summary>\n\n{details}\n\n</details>")
    return fit_body_limit("\n\n".join(parts))


def review_summary(outcome: Outcome) -> str:
    """The lok comment's first three lines: what was reviewed, the findings by severity, and what is
    new, fixed or carried forward since the last review (two lines when it is no pull request review)."""
    from lok_action.findings.model import SEVERITIES

    review = outcome.review
    if review is None:
        reviewed = f"**Reviewed:** {outcome.target}: {outcome.coverage_line()}"
    elif review.incremental:
        files = len(review.reviewed)
        reviewed = (
            f"**Reviewed:** {files} file{'s' if files != 1 else ''} changed since {review.since[:7]}, "
            f"at {review.head[:7]} ({outcome.target}; the unchanged files were not sent again)"
        )
    else:
        why = f"; full review: {review.full_reason}" if review.full_reason else ""
        reviewed = f"**Reviewed:** the whole {outcome.target} at {review.head[:7]}{why}"
    reported = outcome.reported
    counts = [(s, sum(1 for f in reported if f.severity == s)) for s in SEVERITIES]
    by_severity = ", ".join(f"{n} {s}" for s, n in counts if n)
    lines = [reviewed, f"**Findings:** {len(reported)}" + (f" ({by_severity})" if by_severity else "")]
    if review is not None:
        if not review.since:
            lines.append("**Since the last review:** first review of this pull request")
        else:
            lines.append(
                f"**Since the last review:** {review.new} new, {len(review.fixed)} fixed, "
                f"{review.carried} carried forward from unchanged code, {review.again} found again"
            )
    return "\n".join(lines)
