"""How the consensus merge pairs findings within a file: best-first, complete linkage, a linter's
repeats inside one reviewer's range, linter rule codes read as review ideas (bench/merge_quality.py
measures these on real review comments; the wordings here are made up)."""

from __future__ import annotations

import dataclasses

from lok_action.findings.merge import DEFAULT_MERGE, SWEEP_MERGE, MergeRules, cluster_findings, merge_findings
from lok_action.findings.model import Finding
from lok_action.findings.wording import LEXICONS, RULE_CONCEPTS, wording


def said(backend: str, title: str, start: int, end: int, rule: str) -> Finding:
    return Finding(
        rule,
        "bug",
        "high",
        "src/app.py",
        start,
        end,
        title,
        backends=[backend],
        fingerprint=f"fp-{backend}-{start}",
    )


def groups(findings: list[Finding], rules: MergeRules = DEFAULT_MERGE) -> list[list[tuple[str, int]]]:
    return sorted(
        [(member.backends[0], member.start_line) for member in cluster]
        for cluster in cluster_findings(findings, rules)
    )


def test_a_finding_joins_the_one_it_is_most_alike_not_the_first_it_fits():
    findings = [
        said("a", "Division by zero in average() when the list of samples is empty", 9, 9, "lok/div"),
        said("b", "The config loader crashes when the samples list is empty", 10, 10, "lok/loader"),
        said("a", "Config loader crashes on an empty samples list", 12, 12, "lok/crash"),
    ]
    # b says nearly what a says at line 12, and only a little of what a says at line 9
    assert groups(findings) == [[("a", 9)], [("b", 10), ("a", 12)]]
    # the line-order sweep gave b to the first finding it fitted, and a's line 12 stayed alone
    assert groups(findings, SWEEP_MERGE) == [[("a", 9), ("b", 10)], [("a", 12)]]


def test_a_finding_alike_to_two_that_share_nothing_joins_only_one_of_them():
    findings = [
        said("a", "Division by zero in average()", 10, 10, "lok/x"),
        said("b", "Unclosed file handle in load_samples()", 10, 10, "lok/y"),
        said(
            "c", "average() divides by zero; load_samples() leaves its file handle unclosed", 10, 10, "lok/z"
        ),
    ]
    merged = merge_findings(findings)
    assert sorted(f.backends for f in merged) == [["a"], ["b", "c"]]
    # single linkage would chain a and b through c: two problems reported as one
    chained = groups(findings, dataclasses.replace(DEFAULT_MERGE, linkage="single"))
    assert chained == [[("a", 10), ("b", 10), ("c", 10)]]


def test_a_linter_repeating_one_rule_inside_a_reviewers_range_is_one_problem():
    repeats = [
        said("pylint", "W0201: Attribute '_cache' defined outside __init__", 30, 30, "lok/w0201"),
        said("pylint", "W0201: Attribute '_cache' defined outside __init__", 33, 33, "lok/w0201"),
    ]
    wide = said(
        "claude",
        "The _cache attribute is first defined outside __init__, in reset() and in load()",
        28,
        35,
        "lok/attribute-outside-init",
    )
    merged = merge_findings([*repeats, wide])
    assert [(f.start_line, f.backends) for f in merged] == [(28, ["claude", "pylint"])]
    # a reviewer's finding on one of the two lines only joins that one: the linter's two places stay two
    narrow = dataclasses.replace(wide, start_line=33, end_line=33)
    assert groups([*repeats, narrow]) == [[("claude", 33), ("pylint", 33)], [("pylint", 30)]]
    # and two different rules of one backend at two places never join, whatever spans them
    other = dataclasses.replace(
        repeats[1], rule_id="lok/w0212", title="W0212: Access to a protected member _cache"
    )
    assert len(groups([repeats[0], other, wide])) == 2


def test_a_linter_rule_code_names_the_review_idea_its_terse_message_does_not():
    findings = [
        said(
            "ruff",
            "B016: Cannot raise a literal. Did you intend to return it or raise an Exception?",
            40,
            40,
            "lok/b016",
        ),
        said(
            "claude",
            "Raising the string 'timeout': a str is not an exception, so this line fails with TypeError",
            40,
            40,
            "lok/raise-string",
        ),
    ]
    assert groups(findings) == [[("claude", 40), ("ruff", 40)]]
    # the plain lexicon (the sweep merge's) knew no rule codes: no word in common, two findings
    assert groups(findings, SWEEP_MERGE) == [[("claude", 40)], [("ruff", 40)]]


def test_rule_codes_map_to_ideas_the_lexicon_has():
    ideas = {name.removeprefix("~") for name, _, _ in LEXICONS["lint"].concepts}
    assert set(RULE_CONCEPTS.values()) <= ideas
    assert "~undefined" in wording("F821: `foo`", "f821").words
    assert "~undefined" not in wording("F821: `foo`", "f821", lexicon="plain").words


def test_base_exception_in_a_message_is_not_a_broad_except():
    message = "E0710: Raising a class which doesn't inherit from BaseException"
    assert "~broad-except" not in wording(message, "e0710").words
    assert "~raise-non-exception" in wording(message, "e0710").words
    assert "~broad-except" in wording("Catching BaseException hides KeyboardInterrupt").words


def test_a_reviewer_describing_what_a_todo_admits_joins_the_linters_todo():
    todo = said("pylint", "W0511: TODO: weights are assumed normalised", 70, 70, "lok/w0511")
    findings = [
        todo,
        said("gpt", "Scores are skewed when the weights passed in do not sum to one", 71, 71, "lok/weights"),
        said("claude", "Timeout of 0 disables the socket deadline entirely", 72, 72, "lok/timeout"),
    ]
    assert groups(findings) == [[("claude", 72)], [("pylint", 70), ("gpt", 71)]]
    # the whole message ("W0511", "TODO") says little a reviewer repeats: the sweep merge kept them apart
    assert groups(findings, SWEEP_MERGE) == [[("claude", 72)], [("gpt", 71)], [("pylint", 70)]]
    assert wording(todo.title, "w0511").note == wording("weights are assumed normalised").words
    # a finding that is not a TODO has no note, whatever its words
    assert wording("TODO: weights are assumed normalised", "lok-weights").note == frozenset()
