"""`lok merge` with hand-edited or corrupted inputs: one line naming the file and the field, exit 2,
never a traceback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lok_action.errors import UsageError
from lok_action.outcome import Outcome


def finding(**changes: Any) -> dict[str, Any]:
    base = {
        "rule_id": "division-by-zero",
        "category": "bug",
        "severity": "high",
        "file": "src/stats.py",
        "start_line": 6,
        "end_line": 6,
        "title": "Division by zero",
        "backends": ["a"],
        "fingerprint": "abc",
    }
    return {**base, **changes}


def result(**changes: Any) -> dict[str, Any]:
    base = {
        "format": "lok-analysis/1",
        "workflow": "hunt",
        "target": ".",
        "min_consensus": 1,
        "shard": None,
        "findings": [finding()],
        "below_consensus": [],
        "backends": [{"name": "a", "status": "ok", "calls": 1, "failed_calls": 0, "duration": 0.5}],
        "coverage": {"analysed": ["src/stats.py"], "skipped": {}},
    }
    return {**base, **changes}


def status(**changes: Any) -> list[dict[str, Any]]:
    return [{"name": "a", "status": "ok", "calls": 1, **changes}]


CASES = [
    ("backends-string", result(backends="ab"), "backends: expected a list"),
    ("backend-not-object", result(backends=["a"]), "backends[0]: expected an object"),
    ("calls-string", result(backends=status(calls="3")), "backends[0].calls: expected an integer"),
    ("tokens-string", result(backends=status(input_tokens="9")), "backends[0].input_tokens"),
    ("cost-nan", result(backends=status(cost_usd=float("nan"))), "backends[0].cost_usd"),
    ("status-word", result(backends=status(status="great")), "backends[0].status"),
    ("bad-category", result(findings=[finding(category="oops")]), "findings[0].category: 'oops'"),
    ("bad-severity", result(findings=[finding(severity=3)]), "findings[0].severity: expected a string"),
    ("line-string", result(findings=[finding(start_line="6")]), "findings[0].start_line"),
    ("line-zero", result(findings=[finding(start_line=0)]), "findings[0].start_line: must be at least 1"),
    ("end-before-start", result(findings=[finding(end_line=2)]), "findings[0].end_line"),
    ("finding-backends", result(findings=[finding(backends="ab")]), "findings[0].backends"),
    ("below-not-list", result(below_consensus={}), "below_consensus: expected a list"),
    ("skipped-list", result(coverage={"analysed": [], "skipped": []}), "coverage.skipped"),
    ("analysed-ints", result(coverage={"analysed": [1], "skipped": {}}), "coverage.analysed[0]"),
    ("shard-word", result(shard="half"), "shard: expected I/N"),
    ("min-consensus-str", result(min_consensus="2"), "min_consensus"),
    ("duration-list", result(duration=[1]), "duration"),
]


@pytest.mark.parametrize(("case", "data", "needle"), CASES, ids=[c[0] for c in CASES])
def test_from_dict_names_the_field(case: str, data: dict[str, Any], needle: str) -> None:
    with pytest.raises(UsageError) as raised:
        Outcome.from_dict(data, "shard-1.json")
    assert str(raised.value).startswith("shard-1.json: malformed lok analysis JSON")
    assert needle in str(raised.value)


def test_valid_input_still_reads() -> None:
    read = Outcome.from_dict(result(), "ok.json")
    assert [f.title for f in read.findings] == ["Division by zero"]
    assert read.backends[0].calls == 1 and read.backends[0].duration == 0.5


@pytest.mark.parametrize("case", ["backends-string", "calls-string", "bad-category", "bad-severity"])
def test_lok_merge_cli_is_one_line_exit_2(case: str, analysis_repo, lok_project, tmp_path) -> None:
    data, needle = next((d, n) for c, d, n in CASES if c == case)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(result()))
    bad.write_text(json.dumps(data))
    done = lok_project.lok("merge", str(good), str(bad), "--json", "--fail-on", "high", cwd=analysis_repo)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert str(bad) in done.stderr and needle in done.stderr
