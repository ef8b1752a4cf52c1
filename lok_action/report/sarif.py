"""SARIF 2.1.0 for GitHub code scanning: one run per category (automationDetails.id), rules with
descriptions and help, results with level, security-severity, precision and a line hash.

GitHub's upload limits are respected: at most 25,000 results per run and 10 MB gzipped; what does not
fit is dropped lowest severity first and said in the run's properties and a notification.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lok_action import __version__
from lok_action.findings import CATEGORIES, SEVERITY_RANK, Finding, sort_findings

if TYPE_CHECKING:
    from lok_action.analysis import AnalysisResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS_PER_RUN = 25_000
MAX_GZIP_BYTES = 10 * 1024 * 1024
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


def precision(agreement: int) -> str:
    """More backends agreeing -> more likely a true positive."""
    if agreement >= 3:
        return "very-high"
    return {2: "high", 1: "medium"}.get(agreement, "low")


def _humanise(rule_id: str) -> str:
    words = rule_id.removeprefix("lok/").replace("-", " ").strip()
    return (words[:1].upper() + words[1:]) or rule_id


def _rule(rule_id: str, findings: Sequence[Finding], workflow: str) -> dict[str, Any]:
    exemplar = max(findings, key=lambda f: (f.agreement, SEVERITY_RANK[f.severity], -len(f.title)))
    worst = max(findings, key=lambda f: SEVERITY_RANK[f.severity]).severity
    help_text = exemplar.explanation or exemplar.title
    if exemplar.suggested_fix:
        help_text += "\n\nA suggested fix is attached to each result's explanation in the lok report."
    tags = [exemplar.category, "lok", workflow]
    if exemplar.category == "security":
        tags.append("security")
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.removeprefix("lok/").split("-")) or "Finding",
        "shortDescription": {"text": _humanise(rule_id)},
        "fullDescription": {"text": exemplar.title},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVELS[worst]},
        "properties": {
            "tags": sorted(set(tags)),
            "precision": precision(max(f.agreement for f in findings)),
            "security-severity": SECURITY_SEVERITY[worst],
            "problem.severity": {"error": "error", "warning": "warning", "note": "recommendation"}[
                LEVELS[worst]
            ],
        },
    }


def _result(finding: Finding, rule_index: int, prefix: str) -> dict[str, Any]:
    message = finding.title
    if finding.explanation:
        message += "\n\n" + finding.explanation
    if finding.suggested_fix:
        message += "\n\nSuggested fix:\n" + finding.suggested_fix
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": prefix + finding.file, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": finding.start_line, "endLine": finding.end_line},
                }
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": f"{finding.fingerprint[:32]}:1"},
        "properties": {
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "precision": precision(finding.agreement),
            "severity": finding.severity,
            "agreement": finding.agreement,
            "backends": list(finding.backends),
            "dissent": list(finding.dissent),
            "fingerprint": finding.fingerprint,
        },
    }


def _run(
    workflow: str, category: str, findings: list[Finding], prefix: str, max_results: int, coverage: str
) -> dict[str, Any]:
    kept = findings[:max_results]  # findings are sorted most severe first
    dropped = len(findings) - len(kept)
    rule_ids = sorted({finding.rule_id for finding in kept})
    index = {rule_id: position for position, rule_id in enumerate(rule_ids)}
    rules = [_rule(rule_id, [f for f in kept if f.rule_id == rule_id], workflow) for rule_id in rule_ids]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "lok",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"lok/{workflow}/{category}/"},
        "columnKind": "utf16CodeUnits",
        "results": [_result(finding, index[finding.rule_id], prefix) for finding in kept],
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": []}],
        "properties": {"coverage": coverage, "dropped": 0},
    }
    _note_dropped(run, dropped, f"the {max_results:,}-results-per-run limit")
    return run


def _note_dropped(run: dict[str, Any], count: int, why: str) -> None:
    if not count:
        return
    run["properties"]["dropped"] += count
    text = f"{count} lowest-severity result{'s' if count != 1 else ''} dropped to respect {why}"
    run["properties"].setdefault("notes", []).append(text)
    run["invocations"][0]["toolExecutionNotifications"].append(
        {"level": "warning", "message": {"text": text}}
    )


def _encode(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def render_sarif(
    result: AnalysisResult, max_results: int = MAX_RESULTS_PER_RUN, max_gzip_bytes: int = MAX_GZIP_BYTES
) -> bytes:
    findings = sort_findings(result.reported)
    coverage = result.coverage_line()
    # every category gets a run, empty or not, so code scanning closes alerts that went away
    runs = [
        _run(
            result.workflow,
            category,
            [f for f in findings if f.category == category],
            result.path_prefix,
            max_results,
            coverage,
        )
        for category in CATEGORIES
    ]
    document = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}
    data = _encode(document)
    while len(gzip.compress(data, compresslevel=6)) > max_gzip_bytes:
        if not _drop_lowest(runs, 0.1, f"GitHub's upload limit of {max_gzip_bytes:,} bytes gzipped"):
            break
        data = _encode(document)
    return data


def _drop_lowest(runs: list[dict[str, Any]], fraction: float, why: str) -> bool:
    """Drop the lowest-severity tenth of all results (ties: least agreement, last in order)."""
    ranked = [
        (SEVERITY_RANK[res["properties"]["severity"]], res["properties"]["agreement"], -position, run_index)
        for run_index, run in enumerate(runs)
        for position, res in enumerate(run["results"])
    ]
    if not ranked:
        return False
    ranked.sort()
    count = max(1, int(len(ranked) * fraction))
    doomed: dict[int, set[int]] = {}
    for _severity, _agreement, negative_position, run_index in ranked[:count]:
        doomed.setdefault(run_index, set()).add(-negative_position)
    for run_index, positions in doomed.items():
        run = runs[run_index]
        run["results"] = [res for position, res in enumerate(run["results"]) if position not in positions]
        _note_dropped(
            run, len(positions), f"GitHub's {MAX_GZIP_BYTES // (1024 * 1024)} MB gzipped upload limit"
        )
        used = {res["ruleId"] for res in run["results"]}
        rules = [rule for rule in run["tool"]["driver"]["rules"] if rule["id"] in used]
        run["tool"]["driver"]["rules"] = rules
        index = {rule["id"]: position for position, rule in enumerate(rules)}
        for res in run["results"]:
            res["ruleIndex"] = index[res["ruleId"]]
    return True
