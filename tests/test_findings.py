"""Findings: validating LLM answers, fingerprints that survive line moves, consensus merge."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

from lok_action.findings.fingerprint import fingerprint
from lok_action.findings.merge import TITLE_MERGE, merge_findings
from lok_action.findings.model import Finding, apply_min_consensus
from lok_action.findings.validate import validate_raw_findings

SOURCE = [
    "import os",
    "",
    "",
    "def average(values):",
    "    total = sum(values)",
    "    return total / len(values)",
]


def lines_for(files: dict[str, list[str]]):
    return lambda path: files.get(path)


def raw(**overrides):
    item = {
        "rule": "division-by-zero",
        "category": "bug",
        "severity": "high",
        "file": "src/stats.py",
        "start_line": 6,
        "end_line": 6,
        "title": "Division by zero",
        "explanation": "len(values) may be 0",
    }
    item.update(overrides)
    return item


def test_valid_findings_are_normalised():
    answer = {
        "findings": [
            raw(),
            raw(
                category="Dead Code",
                severity="warning",
                rule="Unused Import",
                file="./src/stats.py",
                start_line="1",
            ),
            raw(file="stats.py", severity="ERROR", start_line=5, end_line=2),
        ]
    }
    result = validate_raw_findings(answer, "gemini", ["src/stats.py"], lines_for({"src/stats.py": SOURCE}))
    assert result.dropped == 0
    first, second, third = result.findings
    assert (first.rule_id, first.category, first.severity, first.backends) == (
        "lok/division-by-zero",
        "bug",
        "high",
        ["gemini"],
    )
    assert (second.category, second.severity, second.rule_id, second.file, second.start_line) == (
        "dead-code",
        "medium",
        "lok/unused-import",
        "src/stats.py",
        1,
    )
    # a bare file name resolves to the one analysed file it names; end before start becomes start
    assert (third.file, third.severity, third.start_line, third.end_line) == ("src/stats.py", "high", 5, 5)
    assert all(len(f.fingerprint) == 64 for f in result.findings)


def test_malformed_findings_are_dropped_and_counted():
    answer = {
        "findings": [
            raw(),
            raw(severity="catastrophic"),
            raw(category="vibes"),
            raw(file="made/up.py"),
            raw(start_line=99),  # past the end of a 6-line file
            raw(start_line=0),
            raw(title=""),
            "not an object",
            raw(start_line="six"),
        ]
    }
    result = validate_raw_findings(answer, "b", ["src/stats.py"], lines_for({"src/stats.py": SOURCE}))
    assert len(result.findings) == 1
    assert result.dropped == 8
    assert any("catastrophic" in problem for problem in result.problems)


def test_a_garbage_answer_costs_one_drop_not_an_exception():
    for parsed in ("just text", 42, {"answer": "none"}, {"findings": "none"}):
        result = validate_raw_findings(parsed, "x", ["a.py"], lines_for({}))
        assert result.findings == [] and result.dropped == 1
    bare = validate_raw_findings([raw(file="a.py")], "x", ["a.py"], lines_for({}))
    assert len(bare.findings) == 1  # a bare list is accepted


def _finding(lines: list[str], start: int, end: int | None = None) -> Finding:
    finding = Finding("lok/division-by-zero", "bug", "high", "src/stats.py", start, end or start, "t")
    finding.fingerprint = fingerprint(finding, lines)
    return finding


def test_fingerprint_survives_unrelated_lines_inserted_above():
    before = _finding(SOURCE, 6)
    moved = ["import sys", "import json", "", "# a comment", *SOURCE]
    after = _finding(moved, 10)
    assert before.fingerprint == after.fingerprint
    reindented = [line.replace("    ", "\t") for line in moved]
    assert _finding(reindented, 10).fingerprint == before.fingerprint  # whitespace is normalised


def test_fingerprint_changes_when_the_flagged_code_changes():
    before = _finding(SOURCE, 6)
    edited = [*SOURCE[:5], "    return total / max(len(values), 1)"]
    assert _finding(edited, 6).fingerprint != before.fingerprint
    other_rule = Finding("lok/other", "bug", "high", "src/stats.py", 6, 6, "t")
    assert fingerprint(other_rule, SOURCE) != before.fingerprint


def reported(
    backend: str, title: str, start: int, end: int, rule: str, category: str = "bug", **extra
) -> Finding:
    return Finding(
        rule,
        category,
        extra.pop("severity", "high"),
        "src/stats.py",
        start,
        end,
        title,
        backends=[backend],
        fingerprint=f"fp-{backend}-{start}",
        **extra,
    )


def three_wordings() -> list[Finding]:
    return [
        reported(
            "a",
            "Division by zero in average() when the list is empty",
            6,
            6,
            "lok/division-by-zero",
            explanation="len(values) is zero for an empty list; callers pass user input straight in.",
            suggested_fix="return total / len(values) if values else 0.0",
        ),
        reported("b", "ZeroDivisionError: average of an empty list", 8, 9, "lok/zero-division"),
        reported(
            "c", "Possible divide by zero when values is empty", 5, 5, "lok/divide-by-zero", severity="medium"
        ),
    ]


def test_same_bug_in_three_wordings_merges_into_one_with_agreement_three():
    singleton = reported(
        "a", "Unused import os", 1, 1, "lok/unused-import", category="dead-code", severity="low"
    )
    merged = merge_findings([*three_wordings(), singleton], lambda path: ["a", "b", "c", "d"])
    assert len(merged) == 2
    top = merged[0]
    assert top.agreement == 3 and top.backends == ["a", "b", "c"]
    assert top.title == "Division by zero in average() when the list is empty"  # the best-worded one
    assert top.severity == "high"  # two of three said high
    assert top.dissent == ["d"]
    assert merged[1].backends == ["a"] and merged[1].dissent == ["b", "c", "d"]
    assert apply_min_consensus(merged, 2) == [top]


def test_merge_is_deterministic_whatever_the_input_order():
    findings = three_wordings() + [
        reported("b", "SQL injection in query()", 40, 41, "lok/sql-injection", category="security"),
        reported("c", "Slow loop", 80, 80, "lok/slow-loop", category="performance"),
    ]
    expected = [f.to_dict() for f in merge_findings(findings)]
    for seed in range(5):
        shuffled = findings[:]
        random.Random(seed).shuffle(shuffled)
        assert [f.to_dict() for f in merge_findings(shuffled)] == expected


def test_findings_far_apart_or_unrelated_stay_separate():
    near_but_unrelated = [
        reported("a", "Division by zero in average", 6, 6, "lok/division-by-zero"),
        reported("b", "Function name shadows builtin", 6, 6, "lok/naming", category="style"),
    ]
    assert len(merge_findings(near_but_unrelated)) == 2
    far = [
        reported("a", "Division by zero in average", 6, 6, "lok/division-by-zero"),
        reported("b", "Division by zero in average", 60, 60, "lok/division-by-zero"),
    ]
    assert len(merge_findings(far)) == 2
    other_file = [
        reported("a", "Division by zero", 6, 6, "lok/div"),
        reported("b", "Division by zero", 6, 6, "lok/div"),
    ]
    other_file[1].file = "src/other.py"
    assert len(merge_findings(other_file)) == 2


def test_merging_merged_findings_unions_reporters_and_dissent():
    first = merge_findings(three_wordings()[:2], lambda path: ["a", "b", "c"])
    assert first[0].dissent == ["c"]
    again = merge_findings([*first, three_wordings()[2]])
    assert again[0].backends == ["a", "b", "c"] and again[0].dissent == []


def test_one_backend_never_agrees_with_itself_across_rules_and_lines():
    # bandit's B404 (line 1) and B602 (line 5) share words ("subprocess", "security") and a category
    b404 = reported(
        "bandit",
        "Consider possible security implications of the subprocess module",
        1,
        1,
        "lok/bandit-b404",
        category="security",
        severity="low",
    )
    b602 = reported(
        "bandit",
        "subprocess call with shell=True identified, security issue",
        5,
        5,
        "lok/bandit-b602",
        category="security",
    )
    assert len(merge_findings([b404, b602])) == 2
    # one backend repeating a problem on the same line under another slug (another step) is one finding
    first = reported("a", "Division by zero in average()", 6, 6, "lok/division-by-zero")
    again = reported("a", "Division by zero when values is empty", 6, 6, "lok/zero-division")
    assert len(merge_findings([first, again])) == 1


# The merge as measured on real review comments (bench/merge_quality.py): wording decides, code names
# only add to it, a backend's findings at two places stay two problems.


def on_line(backend: str, title: str, line: int, rule: str) -> Finding:
    return reported(backend, title, line, line, rule)


def places(merged: list[Finding]) -> list[tuple[int, list[str]]]:
    return sorted((finding.start_line, finding.backends) for finding in merged)


def test_a_linter_and_a_reviewer_wording_one_problem_are_merged():
    findings = [
        on_line("ruff", "F821: Undefined name `fuzzy_not`", 57, "lok/f821"),
        on_line(
            "claude", "Missing import for fuzzy_not, used in _eval_is_positive", 57, "lok/missing-import"
        ),
    ]
    assert places(merge_findings(findings)) == [(57, ["claude", "ruff"])]
    # the title-word merge lok started with kept these apart (no title word in common)
    assert places(merge_findings(findings, rules=TITLE_MERGE)) == [(57, ["claude"]), (57, ["ruff"])]


def test_findings_sharing_only_a_code_name_stay_apart():
    findings = [
        on_line(
            "pylint",
            "W0212: Access to a protected member _viewcode_modules of a client class",
            8,
            "lok/w0212",
        ),
        on_line(
            "gpt", "Using 'type: ignore' can hide issues with the '_viewcode_modules' attribute", 8, "lok/x"
        ),
    ]
    assert places(merge_findings(findings)) == [(8, ["gpt"]), (8, ["pylint"])]


def test_a_rule_id_that_is_only_the_category_joins_nothing():
    # lok/bug is what a backend that named no rule gets: it is no evidence of one problem
    findings = [
        on_line("a", "Division by zero when `values` is empty", 6, "lok/bug"),
        on_line("b", "`values` shadows a builtin name", 6, "lok/bug"),
    ]
    assert places(merge_findings(findings)) == [(6, ["a"]), (6, ["b"])]
    assert places(merge_findings(findings, rules=TITLE_MERGE)) == [(6, ["a", "b"])]


def test_one_backend_saying_one_thing_at_three_places_means_three_problems():
    said = "Mutable default argument dict() will be shared across all instances"
    also = "Using 'dict()' for default mutable arguments can lead to unexpected behavior"
    findings = [on_line("a", said, line, "lok/mutable-default") for line in (50, 53, 54)]
    findings += [on_line("b", also, line, "lok/mutable-default-argument") for line in (53, 54)]
    assert places(merge_findings(findings)) == [(50, ["a"]), (53, ["a", "b"]), (54, ["a", "b"])]
    assert places(merge_findings(findings, rules=TITLE_MERGE)) == [(53, ["a", "b"])]


def test_a_backend_repeating_itself_on_the_same_line_is_one_finding():
    findings = [
        on_line("static", "F821: Undefined name `cotm`", 90, "lok/f821"),
        on_line("static", "E0602: Undefined variable 'cotm'", 90, "lok/e0602"),
        on_line(
            "claude", "Variable name typo: 'cotm' should be 'cothm' (undefined variable)", 90, "lok/typo"
        ),
    ]
    assert places(merge_findings(findings)) == [(90, ["claude", "static"])]


MERGE_IN_A_CHILD = """
import json, sys
from lok_action.findings.merge import merge_findings
from lok_action.findings.model import Finding
rows = json.loads(sys.stdin.read())
merged = merge_findings(Finding(**row) for row in rows)
print(json.dumps([f.to_dict() for f in merged], sort_keys=True))
"""
NATO = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
NATO += ["kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"]
NATO += ["uniform", "victor", "whiskey", "xray", "yankee", "zulu"]


def tied_findings() -> list[dict[str, object]]:
    """Files where c is exactly as alike to a as to b (and a and b to nothing), with word weights
    (1/3, 1/4, ...) whose sum depends on the order of adding them."""
    rows: list[dict[str, object]] = []

    def add(path: str, backend: str, words: list[str], line: int) -> None:
        rows.append(
            {
                "rule_id": "lok/bug",
                "category": "bug",
                "severity": "high",
                "file": path,
                "start_line": line,
                "end_line": line,
                "title": " ".join(words),
                "backends": [backend],
                "fingerprint": f"{path}:{backend}:{line}",
            }
        )

    for n in range(60):
        words = [NATO[(n * 7 + k) % len(NATO)] for k in range(16)]
        p, x, q, y = words[0:4], words[4:8], words[8:12], words[12:16]
        path = f"src/m{n}.py"
        add(path, "a", p + x, 10)
        add(path, "b", q + y, 10)
        add(path, "c", p + q, 10)
        line = 100  # far below: these only make the words rarer or commoner
        for k in range(4):
            for one, other, times in ((p[k], q[k], 2 + k), (x[k], y[k], 6 + k)):
                for _ in range(times):
                    add(path, "d", [one, other], line)
                    line += 20
    return rows


def test_merge_is_the_same_whatever_the_hash_seed():
    # a set's order follows the hash seed; summing its weights in that order made ties fall either way
    rows = tied_findings()
    outputs = set()
    for seed in ("0", "1", "2", "3"):
        done = subprocess.run(
            [sys.executable, "-c", MERGE_IN_A_CHILD],
            input=json.dumps(rows),
            env=dict(os.environ, PYTHONHASHSEED=seed),
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    merged = json.loads(outputs.pop())
    assert sum(1 for finding in merged if finding["start_line"] == 10 and finding["agreement"] == 2) == 60


def test_challenge_verdicts_are_data_that_survive_json_and_merge():
    """confirmed_by / refuted_by (filled by the challenge round) are empty by default, written to the
    JSON report, read back, and unioned when shard outputs are merged; `backends` stays "found by"."""
    plain = Finding("lok/x", "bug", "high", "a.py", 3, 3, "Off by one", backends=["a"])
    assert (plain.confirmed_by, plain.refuted_by) == ([], [])
    assert plain.to_dict()["confirmed_by"] == [] and plain.to_dict()["refuted_by"] == []
    first = Finding(
        "lok/x",
        "bug",
        "high",
        "a.py",
        3,
        3,
        "Off by one",
        backends=["a"],
        confirmed_by=["b"],
        refuted_by=["c"],
    )
    back = Finding.from_dict(json.loads(json.dumps(first.to_dict())))
    assert back == first
    second = Finding("lok/x", "bug", "high", "a.py", 3, 3, "Off by one", backends=["d"], confirmed_by=["e"])
    (merged,) = merge_findings([first, second])
    assert merged.backends == ["a", "d"]
    assert (merged.confirmed_by, merged.refuted_by) == (["b", "e"], ["c"])
