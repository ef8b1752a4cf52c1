"""SARIF 2.1.0 for GitHub code scanning: one run per finding category, rules with descriptions and help,
results with level, precision and a line hash (security-severity only for the security category: GitHub
makes any rule that has one a security alert).

A run's automationDetails.id is its code-scanning category: `lok/<workflow>/<path>/<category>/` (no
`<path>/` for the repository root), or `<user category>/<category>/` with --sarif-category. Two analyses
with different ids never replace each other's alerts; the same id replaces the previous analysis.

GitHub's upload limits are respected: at most 25,000 results per run and 10 MB gzipped; what does not
fit is dropped lowest severity first and said once per reason in the run's properties and notifications.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lok_action import __version__
from lok_action.findings.model import CATEGORIES, SEVERITY_RANK, Finding, sort_findings

if TYPE_CHECKING:
    from lok_action.outcome import Outcome

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# Where a reader of an alert learns about lok (multitool SARIF2005); `owner` as in the README's image name.
INFORMATION_URI = "https://github.com/owner/lok-action#readme"
MAX_RESULTS_PER_RUN = 25_000
MAX_GZIP_BYTES = 10 * 1024 * 1024
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


PRECISIONS = ("low", "medium", "high", "very-high")


def precision(finding: Finding) -> str:
    """More backends agreeing (reporters and blind confirmers) -> more likely a true positive:
    3 or more very-high, 2 high, 1 medium; any refutation (a minority's: a majority's drops the
    finding) one step lower."""
    rank = min(finding.agreement, 3)
    if finding.refuted_by:
        rank -= 1
    return PRECISIONS[max(rank, 0)]


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
            "precision": max((precision(f) for f in findings), key=PRECISIONS.index),
            **_security_severity(exemplar.category, worst),
            "problem.severity": {"error": "error", "warning": "warning", "note": "recommendation"}[
                LEVELS[worst]
            ],
        },
    }


def _security_severity(category: str, severity: str) -> dict[str, str]:
    """GitHub treats a rule with security-severity as a security rule (and fails PR checks on High)."""
    return {"security-severity": SECURITY_SEVERITY[severity]} if category == "security" else {}


def artifact_uri(path: str) -> str:
    """A repository-relative path as an RFC 3986 relative reference: UTF-8, percent-encoded, `/` kept."""
    return quote(path, safe="/")


def automation_id(result: Outcome, category: str, user_category: str | None) -> str:
    if user_category:
        return f"{user_category}/{category}/"
    folder = result.path_prefix.strip("/")
    return f"lok/{result.workflow}/{folder + '/' if folder else ''}{category}/"


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
                    "artifactLocation": {
                        "uri": artifact_uri(prefix + finding.file),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {"startLine": finding.start_line, "endLine": finding.end_line},
                }
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": f"{finding.fingerprint[:32]}:1"},
        "properties": {
            **_security_severity(finding.category, finding.severity),
            "precision": precision(finding),
            "severity": finding.severity,
            "agreement": finding.agreement,
            "backends": list(finding.backends),
            "confirmedBy": list(finding.confirmed_by),
            "refutedBy": list(finding.refuted_by),
            "provenance": finding.provenance(),
            "dissent": list(finding.dissent),
            "fingerprint": finding.fingerprint,
        },
    }


def _run(
    workflow: str,
    automation: str,
    findings: list[Finding],
    prefix: str,
    max_results: int,
    coverage: str,
) -> dict[str, Any]:
    kept = findings[:max_results]  # findings are sorted most severe first
    rule_ids = sorted({finding.rule_id for finding in kept})
    index = {rule_id: position for position, rule_id in enumerate(rule_ids)}
    rules = [_rule(rule_id, [f for f in kept if f.rule_id == rule_id], workflow) for rule_id in rule_ids]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "lok",
                "informationUri": INFORMATION_URI,
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "automationDetails": {"id": automation},
        "columnKind": "utf16CodeUnits",
        "results": [_result(finding, index[finding.rule_id], prefix) for finding in kept],
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": []}],
        "properties": {"coverage": coverage, "dropped": 0},
    }
    return run


def _drop_text(count: int, why: str) -> str:
    return f"{count} lowest-severity result{'s' if count != 1 else ''} dropped to respect {why}"


def _note_dropped(run: dict[str, Any], drops: dict[str, int], count: int, why: str) -> None:
    """Add COUNT drops for WHY to the run's tally DROPS: one note and one notification per reason."""
    if not count:
        return
    drops[why] = drops.get(why, 0) + count
    run["properties"]["dropped"] = sum(drops.values())
    texts = [_drop_text(total, reason) for reason, total in drops.items()]
    run["properties"]["notes"] = texts
    run["invocations"][0]["toolExecutionNotifications"] = [
        {"level": "warning", "message": {"text": text}} for text in texts
    ]


def _encode(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def check_category(category: str, where: str) -> str:
    """A user's code-scanning category: one line, not blank; trailing slashes are lok's to add."""
    from lok_action.errors import UsageError

    cleaned = category.strip().rstrip("/")
    if not cleaned or any(ord(char) < 32 for char in cleaned):
        raise UsageError(f"{where}: {category!r} is not a category; use one line such as lok-nightly-hunt")
    return cleaned


def render_sarif(
    result: Outcome,
    max_results: int = MAX_RESULTS_PER_RUN,
    max_gzip_bytes: int = MAX_GZIP_BYTES,
    category: str | None = None,
) -> bytes:
    """CATEGORY (checked by check_category) replaces the default `lok/<workflow>/<path>` category."""
    findings = sort_findings(result.reported)
    coverage = result.coverage_line()
    # every category gets a run, empty or not, so code scanning closes alerts that went away
    runs: list[dict[str, Any]] = []
    drops: list[dict[str, int]] = []  # per run: reason -> results dropped for it
    for finding_category in CATEGORIES:
        of_category = [f for f in findings if f.category == finding_category]
        automation = automation_id(result, finding_category, category)
        runs.append(_run(result.workflow, automation, of_category, result.path_prefix, max_results, coverage))
        drops.append({})
        over = len(of_category) - max_results
        _note_dropped(runs[-1], drops[-1], max(over, 0), f"the {max_results:,}-results-per-run limit")
    document = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}
    why = f"GitHub's upload limit of {max_gzip_bytes:,} bytes gzipped"
    data = _encode(document)
    while len(gzip.compress(data, compresslevel=6)) > max_gzip_bytes:
        if not _drop_lowest(runs, drops, 0.1, why):
            break
        data = _encode(document)
    return data


def _drop_lowest(runs: list[dict[str, Any]], drops: list[dict[str, int]], fraction: float, why: str) -> bool:
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
        _note_dropped(run, drops[run_index], len(positions), why)
        used = {res["ruleId"] for res in run["results"]}
        rules = [rule for rule in run["tool"]["driver"]["rules"] if rule["id"] in used]
        run["tool"]["driver"]["rules"] = rules
        index = {rule["id"]: position for position, rule in enumerate(rules)}
        for res in run["results"]:
            res["ruleIndex"] = index[res["ruleId"]]
    return True
