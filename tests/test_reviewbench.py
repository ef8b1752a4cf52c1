"""Reading SWE-Review-Bench recordings: per-comment CSV rows as lok findings, and the bench that replays
them through the merge (bench/merge_quality.py), on small recordings written here in that format."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lok_action.errors import LokError
from lok_action.findings.merge import merge_findings
from lok_action.reviewbench import RecordingError, by_review, read_comments

REPO_ROOT = Path(__file__).resolve().parents[1]
LLM_COLUMNS = [
    "instance_id",
    "repo",
    "reviewer",
    "prompt_variant",
    "template_id",
    "file",
    "line_start",
    "line_end",
    "severity",
    "message",
    "is_hit",
    "matched_oracle_site_id",
    "tolerance",
    "skipped_reason",
]
STATIC_COLUMNS = [c for c in LLM_COLUMNS if c not in ("prompt_variant", "template_id")]


def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {"repo": "o/r", "template_id": "v1", "tolerance": "3", "skipped_reason": "", **row}
            )
    return path


def comment(
    instance: str, reviewer: str, line: int, message: str, site: str = "", **extra: str
) -> dict[str, str]:
    return {
        "instance_id": instance,
        "reviewer": reviewer,
        "file": "pkg/mod.py",
        "line_start": str(line),
        "line_end": str(line),
        "severity": "medium",
        "message": message,
        "is_hit": "True" if site else "False",
        "matched_oracle_site_id": site,
        **extra,
    }


LLM_ROWS = [
    comment(
        "i-1", "claude", 57, "Missing import for fuzzy_not function.", prompt_variant="A", severity="high"
    ),
    comment("i-1", "claude", 90, "Off-by-one   in the loop bound.", site="site-0001", prompt_variant="A"),
    comment("i-1", "gpt", 57, "Undefined fuzzy_not may crash.", prompt_variant="B"),
    comment("i-2", "claude", 5, "Unused variable x.", prompt_variant="A"),
    comment("i-2", "claude", 0, "", prompt_variant="A", skipped_reason="too large"),
]
STATIC_ROWS = [
    comment("i-1", "static", 57, "F821: Undefined name `fuzzy_not`"),
    comment("i-1", "static", 57, "E0602: Undefined variable 'fuzzy_not'"),
]


def test_rows_become_findings_one_backend_per_reviewer_and_prompt(tmp_path: Path) -> None:
    comments = read_comments(write_csv(tmp_path / "variant.csv", LLM_COLUMNS, LLM_ROWS))
    assert [(c.instance, c.backend, c.row) for c in comments] == [
        ("i-1", "claude/A", 1),
        ("i-1", "claude/A", 2),
        ("i-1", "gpt/B", 1),
        ("i-2", "claude/A", 1),
    ]  # the skipped row is no comment
    first, second = comments[0].finding, comments[1].finding
    assert (first.file, first.start_line, first.end_line, first.severity) == ("pkg/mod.py", 57, 57, "high")
    assert first.category == "bug" and first.backends == ["claude/A"]
    assert first.title == "Missing import for fuzzy_not function."
    assert first.rule_id == "lok/missing-import-for-fuzzy-not-function"
    assert first.fingerprint and first.fingerprint != second.fingerprint
    assert second.title == "Off-by-one in the loop bound."  # whitespace folded
    assert [c.oracle_site for c in comments] == [None, "site-0001", None, None]
    grouped = by_review(comments)
    assert sorted(grouped) == ["i-1", "i-2"]
    assert {b: [c.row for c in cs] for b, cs in grouped["i-1"].items()} == {"claude/A": [1, 2], "gpt/B": [1]}


def test_lint_codes_become_rule_ids_and_the_static_reviewer_is_one_backend(tmp_path: Path) -> None:
    comments = read_comments(write_csv(tmp_path / "static" / "results.csv", STATIC_COLUMNS, STATIC_ROWS))
    assert [(c.backend, c.row, c.finding.rule_id) for c in comments] == [
        ("static", 1, "lok/f821"),
        ("static", 2, "lok/e0602"),
    ]


def test_replayed_reviews_merge_like_backends(tmp_path: Path) -> None:
    llm = read_comments(write_csv(tmp_path / "variant.csv", LLM_COLUMNS, LLM_ROWS))
    static = read_comments(write_csv(tmp_path / "static.csv", STATIC_COLUMNS, STATIC_ROWS))
    reviews = by_review(llm + static)["i-1"]
    merged = merge_findings(c.finding for backend in ("claude/A", "static") for c in reviews[backend])
    assert sorted((f.start_line, f.backends) for f in merged) == [
        (57, ["claude/A", "static"]),
        (90, ["claude/A"]),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"line_start": "ten"}, "row 3: line_start 'ten' is not a line number >= 1"),
        ({"line_end": "3"}, "row 3: line_end 3 is before line_start 57"),
        ({"severity": "catastrophic"}, "row 3: unknown severity 'catastrophic'"),
        ({"is_hit": "maybe"}, "row 3: is_hit 'maybe' is not True or False"),
        ({"is_hit": "True"}, "row 3: is_hit is True but matched_oracle_site_id is empty"),
        ({"message": "  "}, "row 3: empty message"),
    ],
)
def test_a_bad_row_is_one_line_naming_file_row_and_field(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    rows = [STATIC_ROWS[0], {**STATIC_ROWS[1], **change}]
    path = write_csv(tmp_path / "results.csv", STATIC_COLUMNS, rows)
    with pytest.raises(RecordingError) as raised:
        read_comments(path)
    assert str(raised.value) == f"{path} {message}"
    assert isinstance(raised.value, LokError) and raised.value.exit_code == 2


def test_a_file_without_the_format_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("instance_id,reviewer,file\ni-1,claude,a.py\n", encoding="utf-8")
    with pytest.raises(
        RecordingError, match=r"other\.csv: missing column\(s\) line_start, line_end, severity"
    ):
        read_comments(path)
    with pytest.raises(RecordingError, match=r"missing\.csv: cannot read"):
        read_comments(tmp_path / "missing.csv")


def test_the_bench_replays_a_recording_and_prints_before_and_after(tmp_path: Path) -> None:
    data = tmp_path / "data"
    n100 = data / "outputs" / "n100"
    write_csv(n100 / "variant_results.csv", LLM_COLUMNS, LLM_ROWS[:3])
    unused = comment("i-1", "static", 91, "W0612: Unused variable 'i'", site="site-0001")
    write_csv(n100 / "static" / "results.csv", STATIC_COLUMNS, [*STATIC_ROWS, unused])
    site = {"site_id": "site-0001", "file": "pkg/mod.py", "line_start": 88, "line_end": 89}
    index = {"instances": {"i-1": {"sites": [site]}, "i-2": {"sites": []}}}
    (n100 / "oracle_index.json").write_text(json.dumps(index), encoding="utf-8")
    labels = tmp_path / "pairs.csv"
    labels.write_text(
        "instance_id,backend_a,row_a,backend_b,row_b,label,split\n"
        "i-1,claude/A,1,static,1,same,held-out\n"
        "i-1,claude/A,1,static,2,same,held-out\n"
        "i-1,claude/A,2,static,3,different,held-out\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "merge_quality.py"), str(data), "--labels", str(labels)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "it agrees with the is_hit column on 6 of 6 rows" in out
    assert "claude/A                      2     1     0.500     1   1.000" in out
    # title: the title-word merge; before: the line-order sweep; after: the best-first merge
    bar = {
        merge: re.search(rf"held-out +{merge} +same joined (.*)", out)
        for merge in ("title", "before", "after")
    }
    assert {merge: found.group(1) if found else None for merge, found in bar.items()} == {
        "title": "0.000 (0/2), different joined 0.000 (0/1)",
        "before": "1.000 (2/2), different joined 0.000 (0/1)",
        "after": "1.000 (2/2), different joined 0.000 (0/1)",
    }
