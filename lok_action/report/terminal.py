"""Terminal report: findings grouped by severity, agreement shown, colours only on a TTY."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lok_action.findings.model import SEVERITIES
from lok_action.markdown_text import location

if TYPE_CHECKING:
    from lok_action.outcome import Outcome

COLOURS = {
    "critical": "1;31",
    "high": "31",
    "medium": "33",
    "low": "36",
    "info": "2",
    "dim": "2",
    "bold": "1",
}


def use_colour(is_tty: bool, env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return is_tty and "NO_COLOR" not in env and env.get("TERM") != "dumb"


def _paint(text: str, style: str, colour: bool) -> str:
    return f"\033[{COLOURS[style]}m{text}\033[0m" if colour else text


def _plain(text: str) -> str:
    """LLM text for the report: no escape sequences or control characters, tabs as spaces."""
    from lok_action.terminal_safe import safe_for_terminal

    return safe_for_terminal(text).replace("\t", " ")


def render_terminal(result: Outcome, colour: bool = False, width: int = 100) -> str:
    findings = result.reported
    out = [
        _paint(
            f"lok {result.workflow}: {len(findings)} finding{'s' if len(findings) != 1 else ''}",
            "bold",
            colour,
        )
        + f" (min consensus {result.min_consensus}"
        + (f", {result.hidden} below it hidden)" if result.hidden else ")")
    ]
    for severity in SEVERITIES:
        group = [finding for finding in findings if finding.severity == severity]
        if not group:
            continue
        out += ["", _paint(f"{severity.upper()} ({len(group)})", severity, colour)]
        for finding in group:
            agreement = f"agreement {finding.agreement}/{finding.looked}: {finding.provenance()}"
            if finding.silent:
                agreement += f"; not reported by {', '.join(finding.silent)}"
            out.append(f"  {location(finding)}  {_plain(finding.title)}  [{finding.rule_id}]")
            out.append("    " + _paint(agreement, "dim", colour))
            if finding.explanation:
                wrapped = textwrap.wrap(_plain(" ".join(finding.explanation.split())), width - 4)
                out += ["    " + line for line in wrapped[:4]]
    for title, listed in (
        ("UNCONFIRMED (under the quorum, not refuted)", result.unconfirmed),
        ("REFUTED (not posted)", result.refuted),
    ):
        if listed:
            out += ["", _paint(f"{title}: {len(listed)}", "bold", colour)]
            for finding in listed:
                out.append(
                    f"  {location(finding)}  [{finding.severity}] {_plain(finding.title)}  [{finding.rule_id}]"
                )
                out.append(
                    "    " + _paint(f"agreement {finding.agreement}: {finding.provenance()}", "dim", colour)
                )
    if result.text:
        out += ["", _plain(result.text)]
    out.append("")
    for status in result.backends:
        state = "ok" if status.status == "ok" else f"failed ({_plain(status.error or 'error')[:100]})"
        cost = "" if status.cost_usd is None else f", ${status.cost_usd:.4f}"
        out.append(f"  {status.name}: {state}, {status.answers_line()}, {status.duration:.1f}s{cost}")
    for note in result.malformed_notes() + result.trust_notes():
        out.append(_paint(f"  {note}", "medium", colour))
    for note in result.notes:
        out.append(_paint(f"Note: {_plain(note)}", "medium", colour))
    if result.cost_usd is not None:
        out.append(f"Spend: ${result.cost_usd:.4f}")
    out.append(f"Coverage: {result.coverage_line()}")
    return "\n".join(out) + "\n"
