"""The job summary (GITHUB_STEP_SUMMARY): markdown, kept under GitHub's 1 MiB per-step limit."""

from __future__ import annotations

from pathlib import Path

SUMMARY_LIMIT = 1024 * 1024  # bytes; GitHub rejects larger step summaries
TRUNCATION_NOTE = "\n\n> **Note:** this summary was truncated to fit GitHub's 1 MiB limit; the full report is in the `report` output file.\n"


def fit_summary(markdown: str, limit: int = SUMMARY_LIMIT) -> str:
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    room = limit - len(TRUNCATION_NOTE.encode("utf-8")) - 16
    cut = data[:room].decode("utf-8", "ignore")
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut  # end on a whole line so tables stay readable
    return cut + TRUNCATION_NOTE


def write_step_summary(path: Path, markdown: str) -> None:
    """Append (other steps may have written to the same file)."""
    existing = path.stat().st_size if path.exists() else 0
    text = fit_summary(markdown, max(SUMMARY_LIMIT - existing, 4096))
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
