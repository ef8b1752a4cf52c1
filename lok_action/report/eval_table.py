"""`lok eval`'s figures as a terminal table and as a short markdown summary (GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lok_action.eval_score import EvalResult, Row

HEADERS = ("row", "TP", "FP", "FN", "precision", "recall", "F1", "calls", "tokens", "cost", "wall")


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def cells(row: Row) -> list[str]:
    t = row.tally
    return [
        row.label,
        str(t.tp),
        str(t.fp),
        str(t.fn),
        _ratio(t.precision),
        _ratio(t.recall),
        f"{t.f1:.2f}",
        str(row.calls),
        "-" if row.tokens is None else f"{row.tokens:,}",
        "-" if row.cost_usd is None else f"${row.cost_usd:.4f}",
        f"{row.wall_time:.1f}s",
    ]


def heading(result: EvalResult) -> str:
    return (
        f"lok eval {result.corpus}: {result.cases} cases, {result.problems} known problems,"
        f" backends {', '.join(result.backends) or '(none)'}"
    )


def render_table(result: EvalResult) -> str:
    table = [list(HEADERS)] + [cells(row) for row in result.rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    lines = [heading(result)]
    for number, line in enumerate(table):
        lines.append(
            "  ".join(
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if number == 0 or (number == len(result.backends) and result.rows[number:]):
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines) + "\n"


def render_summary(result: EvalResult, gate: str = "") -> str:
    """Markdown: the heading, the table, and the --min-f1 verdict when there is one."""
    from lok_action.markdown_text import cell

    out = [f"### {heading(result)}", "", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    out += ["| " + " | ".join(cell(text) for text in cells(row)) + " |" for row in result.rows]
    if gate:
        out += ["", gate]
    return "\n".join(out) + "\n"
