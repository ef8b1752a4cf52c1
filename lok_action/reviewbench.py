"""Reading published review recordings: SWE-Review-Bench's per-comment CSV as lok findings.

SWE-Review-Bench (github.com/lmnst/SWE-Review-Bench) publishes one CSV row per review comment:
``instance_id, reviewer, [prompt_variant,] file, line_start, line_end, severity, message, is_hit,
matched_oracle_site_id`` (other columns are ignored). Each row becomes one ``Finding`` reported by
one backend, so real reviews can be replayed through lok's merge and scored.

How a row maps, since the format has less than a finding:
- backend: ``reviewer``, plus ``/`` and the prompt variant when the file has that column
  (``claude-sonnet-4-5/A``): one prompt is one backend;
- category: ``bug`` for every row (the format has no category);
- rule id: a lint code that opens the message (``B904: ...``, ``W0613: ...``) becomes ``lok/b904``;
  any other message gets the slug of its words, as a backend that named no rule of its own;
- title and explanation: the message (whitespace folded; the title cut at the title limit).
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lok_action.errors import LokError
from lok_action.findings.fingerprint import fingerprint
from lok_action.findings.model import Finding
from lok_action.findings.validate import MAX_TITLE, SEVERITY_ALIASES

REQUIRED_COLUMNS = (
    "instance_id",
    "reviewer",
    "file",
    "line_start",
    "line_end",
    "severity",
    "message",
    "is_hit",
    "matched_oracle_site_id",
)
LINT_CODE = re.compile(r"^([A-Z]{1,3}[0-9]{3,4}):\s*")
BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


class RecordingError(LokError):
    """A recording file cannot be read as SWE-Review-Bench comments."""


@dataclass(frozen=True)
class RecordedComment:
    instance: str
    backend: str  # reviewer, or reviewer/prompt_variant
    row: int  # 1-based position among this backend's comments on this instance, in file order
    finding: Finding
    oracle_site: str | None  # the fix hunk the recording matched the comment to, when it was a hit


def backend_name(reviewer: str, variant: str) -> str:
    return f"{reviewer}/{variant}" if variant else reviewer


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def rule_id_for(message: str) -> str:
    code = LINT_CODE.match(message)
    return f"lok/{code.group(1).lower()}" if code else f"lok/{_slug(message) or 'comment'}"


def _line(value: str, name: str, where: str) -> int:
    text = value.strip()
    if not text.isdigit() or int(text) < 1:
        raise RecordingError(f"{where}: {name} '{value[:20]}' is not a line number >= 1")
    return int(text)


def _comment_finding(record: Mapping[str, str], backend: str, where: str) -> Finding:
    start = _line(record["line_start"], "line_start", where)
    end = _line(record["line_end"], "line_end", where) if record["line_end"].strip() else start
    if end < start:
        raise RecordingError(f"{where}: line_end {end} is before line_start {start}")
    severity = SEVERITY_ALIASES.get(record["severity"].strip().lower())
    if severity is None:
        raise RecordingError(f"{where}: unknown severity '{record['severity'][:20]}'")
    message = " ".join(record["message"].split())
    if not message:
        raise RecordingError(f"{where}: empty message")
    path = record["file"].strip().replace("\\", "/")
    if not path:
        raise RecordingError(f"{where}: empty file")
    finding = Finding(
        rule_id=rule_id_for(message),
        category="bug",
        severity=severity,
        file=path,
        start_line=start,
        end_line=end,
        title=message[:MAX_TITLE],
        explanation=message if len(message) > MAX_TITLE else "",
        backends=[backend],
    )
    finding.fingerprint = fingerprint(finding, None)
    return finding


def read_comments(path: Path) -> list[RecordedComment]:
    """Every comment in one SWE-Review-Bench results CSV, in file order; a bad row is a RecordingError
    naming the file, the row and the field."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in REQUIRED_COLUMNS if name not in (reader.fieldnames or [])]
            if missing:
                raise RecordingError(f"{path}: missing column(s) {', '.join(missing)}")
            records = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as problem:
        raise RecordingError(f"{path}: cannot read: {problem}") from None
    comments: list[RecordedComment] = []
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for number, record in enumerate(records, start=2):  # row 1 is the header
        where = f"{path} row {number}"
        if None in record or any(record.get(name) is None for name in REQUIRED_COLUMNS):
            raise RecordingError(f"{where}: wrong number of fields")
        if (record.get("skipped_reason") or "").strip():
            continue  # the reviewer did not review this instance: no comment
        instance, reviewer = record["instance_id"].strip(), record["reviewer"].strip()
        if not instance or not reviewer:
            raise RecordingError(f"{where}: empty instance_id or reviewer")
        backend = backend_name(reviewer, (record.get("prompt_variant") or "").strip())
        hit = BOOLEANS.get(record["is_hit"].strip().lower())
        if hit is None:
            raise RecordingError(f"{where}: is_hit '{record['is_hit'][:20]}' is not True or False")
        site = record["matched_oracle_site_id"].strip() or None
        if hit and site is None:
            raise RecordingError(f"{where}: is_hit is True but matched_oracle_site_id is empty")
        counts[instance, backend] += 1
        comments.append(
            RecordedComment(
                instance=instance,
                backend=backend,
                row=counts[instance, backend],
                finding=_comment_finding(record, backend, where),
                oracle_site=site if hit else None,
            )
        )
    return comments


def by_review(comments: Iterable[RecordedComment]) -> dict[str, dict[str, list[RecordedComment]]]:
    """instance -> backend -> its comments in file order: one review per (instance, backend)."""
    grouped: dict[str, dict[str, list[RecordedComment]]] = defaultdict(lambda: defaultdict(list))
    for comment in comments:
        grouped[comment.instance][comment.backend].append(comment)
    return {instance: dict(reviews) for instance, reviews in grouped.items()}


@dataclass(frozen=True)
class OracleSite:
    """A place the instance's fix changed: what a review comment must overlap to count as a hit."""

    file: str
    start_line: int
    end_line: int


def read_recording(data_dir: Path) -> tuple[list[RecordedComment], dict[str, list[OracleSite]]]:
    """A copy of SWE-Review-Bench: every recorded comment (the LLM reviewers' and the static one's) and
    each instance's oracle sites. The benches take DATA_DIR as an argument; nothing here ships it."""
    base = data_dir / "outputs" / "n100"
    if not base.is_dir():
        raise RecordingError(f"{base} not found (DATA_DIR must be a copy of SWE-Review-Bench)")
    comments = read_comments(base / "variant_results.csv") + read_comments(base / "static" / "results.csv")
    index = json.loads((base / "oracle_index.json").read_text(encoding="utf-8"))
    sites = {
        instance: [OracleSite(s["file"], s["line_start"], s["line_end"]) for s in entry["sites"]]
        for instance, entry in index["instances"].items()
    }
    return comments, sites
