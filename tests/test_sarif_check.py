"""The SARIF check every test's SARIF goes through (tests/fakes/sarif_check.py) really rejects bad SARIF:
the schema's format checks run, and the multitool's Sarif and Ghas rules report errors."""

from __future__ import annotations

import copy
import json
from typing import Any

from lok_action.outcome import Outcome
from lok_action.report.sarif import render_sarif
from tests.fakes.refdata import multitool_runs_here
from tests.fakes.sarif_check import SarifChecker


def good_document() -> dict[str, Any]:
    return json.loads(render_sarif(Outcome(workflow="hunt", target=".", findings=[])))


def with_result(uri: str) -> dict[str, Any]:
    document = good_document()
    run = document["runs"][0]
    rule = {"id": "lok/x", "shortDescription": {"text": "X"}, "fullDescription": {"text": "X."}}
    run["tool"]["driver"]["rules"] = [{**rule, "help": {"text": "Fix x."}}]
    run["results"] = [
        {
            "ruleId": "lok/x",
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": "x"},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}}}
            ],
        }
    ]
    return document


def test_lok_sarif_with_a_result_passes(sarif_checker: SarifChecker) -> None:
    assert sarif_checker.check_documents([with_result("src/a%20b.py")]) == []


def test_uri_reference_format_is_checked_by_the_schema(sarif_checker: SarifChecker) -> None:
    """Only a format check catches this: the schema's type for a URI is a plain string."""
    problems = sarif_checker.schema_errors(with_result("lib/données utiles é.py"))
    assert problems == [
        "runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri: "
        "'lib/données utiles é.py' is not a 'uri-reference'"
    ]


def test_known_bad_sarif_fails_the_schema_and_the_multitool(sarif_checker: SarifChecker) -> None:
    bad = with_result("a b.py")
    del bad["$schema"]  # GitHub's GH1013
    bad["runs"][0]["tool"]["driver"].pop("rules")  # GH1018: code scanning needs the rules array
    problems = "\n".join(sarif_checker.check_documents([copy.deepcopy(bad)], ["bad.sarif"]))
    assert "bad.sarif: schema: runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri" in problems
    if not multitool_runs_here():
        assert "bad.sarif: multitool SARIF1002:" in problems
        assert "bad.sarif: multitool GH1013:" in problems
        assert "bad.sarif: multitool GH1018:" in problems


def test_a_file_that_is_not_json_is_a_problem(sarif_checker: SarifChecker, tmp_path_factory: Any) -> None:
    path = tmp_path_factory.mktemp("broken") / "cut.sarif"
    path.write_text('{"version": "2.1.0", "runs": [')
    problems = sarif_checker.check([path])
    assert problems and all(str(path) in line for line in problems) and "not JSON" in problems[0]
