"""Markdown report: exactly the text the GitHub job summary (and `--format md`) shows."""

from __future__ import annotations

from lok_action.markdown_text import block, cell, fence, location
from lok_action.outcome import BackendStatus, Outcome

MAX_SKIPPED_LISTED = 200


def _backend_cell(status: BackendStatus) -> list[str]:
    state = "ok" if status.status == "ok" else f"failed: {cell(status.error or 'error')[:120]}"
    tokens = "—"
    if status.input_tokens is not None or status.output_tokens is not None:
        tokens = f"{status.input_tokens or 0:,} in / {status.output_tokens or 0:,} out"
    cost = "—" if status.cost_usd is None else f"${status.cost_usd:.4f}"
    calls = f"{status.usable}/{status.calls}"
    return [status.name, state, calls, str(status.findings), f"{status.duration:.1f}s", tokens, cost]


def trust_sections(result: Outcome) -> list[str]:
    """The unconfirmed critical findings (under the quorum, not refuted: never dropped silently) and
    the refuted ones (not posted), as markdown lines; shared by the job summary and the lok comment."""
    out: list[str] = []
    for title, listed in (
        ("Unconfirmed (under the quorum, not refuted; not posted inline)", result.unconfirmed),
        ("Refuted by the challenge round (not posted)", result.refuted),
    ):
        if not listed:
            continue
        out += [f"### {title}: {len(listed)}", ""]
        out += [
            f"- **[{f.severity}] {cell(f.title)}** `{cell(location(f))}` · `{f.rule_id}` · agreement"
            f" {f.agreement} ({cell(f.provenance())})"
            for f in listed
        ]
        out.append("")
    return out


def render_markdown(result: Outcome) -> str:
    findings = result.reported
    backend_count = len(result.backends)
    out = [f"## lok {result.workflow}: {len(findings)} finding{'s' if len(findings) != 1 else ''}", ""]
    out.append(f"**Target:** `{cell(result.target)}`  ")
    out.append(f"**Coverage:** {result.coverage_line()}  ")
    consensus = f"**Consensus:** at least {result.min_consensus} of {backend_count} backend{'s' if backend_count != 1 else ''}"
    if result.hidden:
        consensus += (
            f" ({result.hidden} finding{'s' if result.hidden != 1 else ''} below the threshold not shown)"
        )
    if result.cost_usd is not None:
        consensus += f"  \n**Spend:** ${result.cost_usd:.4f}"
    out += [consensus, ""]
    out += [f"> {cell(note)}" for note in result.notes] + ([""] if result.notes else [])
    notes = result.malformed_notes() + result.trust_notes()
    if notes:
        out += [f"- {note}" for note in notes] + [""]
    if findings:
        out += [
            "| # | Severity | Finding | Location | Agreement | Found by | Confirmed by | Refuted by | Dissent |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for number, finding in enumerate(findings, 1):
            out.append(
                f"| {number} | {finding.severity} | {cell(finding.title)} | `{cell(location(finding))}` "
                f"| {finding.agreement}/{finding.looked} | {', '.join(finding.backends)} "
                f"| {', '.join(finding.confirmed_by) or '—'} | {', '.join(finding.refuted_by) or '—'} "
                f"| {', '.join(finding.silent) or '—'} |"
            )
        out += ["", "### Details", ""]
        for number, finding in enumerate(findings, 1):
            out.append(f"#### {number}. [{finding.severity}] {block(' '.join(finding.title.split()))}")
            out.append("")
            out.append(
                f"`{location(finding)}` · `{finding.rule_id}` · {finding.category} · "
                f"agreement {finding.agreement} ({finding.provenance()})"
            )
            out.append("")
            if finding.explanation:
                out += [block(finding.explanation), ""]
            if finding.suggested_fix:
                out += [
                    "<details><summary>Suggested fix</summary>",
                    "",
                    fence(finding.suggested_fix),
                    "",
                    "</details>",
                    "",
                ]
    elif not result.text:
        out += ["No findings.", ""]
    out += trust_sections(result)
    if result.text:
        out += ["### Overview", "", block(result.text), ""]
    if result.backends:
        out += [
            "### Backends",
            "",
            "| Backend | Status | Answers usable | Findings | Call time (sum) | Tokens | Cost |",
            "|---|---|---|---|---|---|---|",
        ]
        out += ["| " + " | ".join(_backend_cell(status)) + " |" for status in result.backends]
        out.append("")
        budget_notes = [
            f"- {status.name}: {status.over_budget} file{'s' if status.over_budget != 1 else ''} over its budget ({status.budget})"
            for status in result.backends
            if status.over_budget
        ]
        if budget_notes:
            out += budget_notes + [""]
    skipped = result.coverage.skipped if result.coverage is not None else {}
    if skipped:
        listed = list(skipped.items())[:MAX_SKIPPED_LISTED]
        out += [f"<details><summary>Skipped files ({len(skipped)})</summary>", ""]
        out += [f"- `{cell(path)}`: {cell(reason)}" for path, reason in listed]
        if len(skipped) > MAX_SKIPPED_LISTED:
            out.append(f"- … and {len(skipped) - MAX_SKIPPED_LISTED} more")
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"
