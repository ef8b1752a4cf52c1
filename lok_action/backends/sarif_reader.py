"""SARIF 2.1.0 written by a static analyzer -> raw findings in the JSON shape the LLMs answer
({"findings": [{"rule", "category", "severity", "file", "start_line", ...}]}), so analyzer and LLM
findings go through one validation (findings.validate_raw_findings) and one consensus merge."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from lok_action.findings.validate import MAX_TEXT, MAX_TITLE

LEVELS = ("error", "warning", "note", "none")
DEFAULT_LEVELS = {"error": "high", "warning": "medium", "note": "low", "none": "info"}
# rule tags (properties.tags, as CodeQL, bandit and semgrep write them) -> category, first match wins
TAG_CATEGORIES = (
    ("security", "security"),
    ("external/cwe", "security"),
    ("correctness", "bug"),
    ("bug", "bug"),
    ("reliability", "bug"),
    ("error-prone", "bug"),
    ("performance", "performance"),
    ("unused", "dead-code"),
    ("dead-code", "dead-code"),
    ("maintainability", "style"),
    ("readability", "style"),
    ("style", "style"),
    ("convention", "style"),
)


class NotSarif(ValueError):
    """The document is not usable SARIF; the message says what is wrong."""


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise NotSarif(f"{where} is not an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise NotSarif(f"{where} is not a list")
    return value


def raw_findings(
    document: Any, workdir: Path, tool: str, default_category: str, levels: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Every result of every run, as a raw finding. Raises NotSarif for a document that is not
    SARIF 2.1.0 or whose tool says its run failed. Results lok cannot place (no file, a file outside
    ``workdir``) still become raw findings, which validation drops and counts."""
    sarif = _mapping(document, "the document")
    if sarif.get("version") != "2.1.0":
        raise NotSarif(f"version is {sarif.get('version')!r}, not '2.1.0'")
    if "runs" not in sarif:
        raise NotSarif("no 'runs'")
    runs = _list(sarif.get("runs"), "runs")
    levels = {**DEFAULT_LEVELS, **levels}
    found: list[dict[str, Any]] = []
    for index, run_value in enumerate(runs):
        run = _mapping(run_value, f"runs[{index}]")
        driver = _mapping(
            _mapping(run.get("tool"), f"runs[{index}].tool").get("driver"), f"runs[{index}].tool.driver"
        )
        if not isinstance(driver.get("name"), str):
            raise NotSarif(f"runs[{index}].tool.driver.name is missing")
        _check_invocations(run, index)
        rules = _rules(run)
        bases = _uri_bases(run, workdir)
        for number, result_value in enumerate(_list(run.get("results"), f"runs[{index}].results")):
            result = _mapping(result_value, f"runs[{index}].results[{number}]")
            found.append(_finding(result, rules, bases, workdir, tool, default_category, levels))
    return found


def _check_invocations(run: Mapping[str, Any], index: int) -> None:
    for invocation in _list(run.get("invocations"), f"runs[{index}].invocations"):
        if isinstance(invocation, Mapping) and invocation.get("executionSuccessful") is False:
            notes = [
                note.get("message", {}).get("text", "")
                for note in invocation.get("toolExecutionNotifications") or []
                if isinstance(note, Mapping) and isinstance(note.get("message"), Mapping)
            ]
            detail = "; ".join(text for text in notes if text)[:300]
            raise NotSarif("the tool says its run failed" + (f": {detail}" if detail else ""))


def _rules(run: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """rule id (and "#index" for ruleIndex) -> rule descriptor, from the driver and its extensions."""
    tool = run.get("tool") or {}
    components = [tool.get("driver") or {}] + list(tool.get("extensions") or [])
    rules: dict[str, Mapping[str, Any]] = {}
    for component in components:
        if not isinstance(component, Mapping):
            continue
        for position, rule in enumerate(component.get("rules") or []):
            if isinstance(rule, Mapping):
                if isinstance(rule.get("id"), str):
                    rules.setdefault(rule["id"], rule)
                if component is components[0]:
                    rules[f"#{position}"] = rule
    return rules


def _uri_bases(run: Mapping[str, Any], workdir: Path) -> dict[str, Path]:
    bases: dict[str, Path] = {}
    for name, base in (run.get("originalUriBaseIds") or {}).items():
        if isinstance(base, Mapping) and isinstance(base.get("uri"), str):
            path = _uri_path(base["uri"], workdir, {})
            if path is not None:
                bases[name] = path
    return bases


def _uri_path(uri: str, workdir: Path, bases: Mapping[str, Path], base_id: str | None = None) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme:
        return None  # http:// and the like: not a file of this checkout
    relative = unquote(parsed.path)
    if relative.startswith("/"):
        return Path(relative)
    return (bases.get(base_id or "", workdir)) / relative


def _location(result: Mapping[str, Any], bases: Mapping[str, Path], workdir: Path) -> tuple[str, int, int]:
    for location in result.get("locations") or []:
        physical = location.get("physicalLocation") if isinstance(location, Mapping) else None
        if not isinstance(physical, Mapping):
            continue
        artifact = physical.get("artifactLocation") or {}
        uri = artifact.get("uri") if isinstance(artifact, Mapping) else None
        if not isinstance(uri, str):
            continue
        path = _uri_path(uri, workdir, bases, artifact.get("uriBaseId"))
        region = physical.get("region")
        region = region if isinstance(region, Mapping) else {}
        start = region.get("startLine", 1)
        end = region.get("endLine", start)
        return (_relative(path, workdir) if path else uri), start, end
    return "", 0, 0


def _relative(path: Path, workdir: Path) -> str:
    try:
        return PurePosixPath(path.resolve().relative_to(workdir.resolve())).as_posix()
    except ValueError:
        return str(path)  # outside the workspace: validation drops it as not analysed


def _severity(rule: Mapping[str, Any], level: str, levels: Mapping[str, str]) -> str:
    """GitHub's security-severity score when the rule has one (CodeQL's convention), else the level."""
    score = (rule.get("properties") or {}).get("security-severity")
    try:
        value = float(score) if score is not None else None
    except (TypeError, ValueError):
        value = None
    if value is not None:
        return "critical" if value >= 9 else "high" if value >= 7 else "medium" if value >= 4 else "low"
    return levels.get(level, levels["warning"])


def _category(rule: Mapping[str, Any], result: Mapping[str, Any], default: str) -> str:
    tags = [
        str(tag).lower()
        for source in (rule, result)
        for tag in ((source.get("properties") or {}).get("tags") or [])
    ]
    for needle, category in TAG_CATEGORIES:
        if any(tag == needle or tag.startswith(needle + "/") for tag in tags):
            return category
    return default


def _text(value: Any) -> str:
    return value.get("text", "") if isinstance(value, Mapping) and isinstance(value.get("text"), str) else ""


def _finding(
    result: Mapping[str, Any],
    rules: Mapping[str, Mapping[str, Any]],
    bases: Mapping[str, Path],
    workdir: Path,
    tool: str,
    default_category: str,
    levels: Mapping[str, str],
) -> dict[str, Any]:
    rule_id = result.get("ruleId") or (result.get("rule") or {}).get("id") or ""
    rule = rules.get(str(rule_id)) or rules.get(f"#{result.get('ruleIndex')}") or {}
    rule_id = rule_id or rule.get("id") or "result"
    level = result.get("level") or (rule.get("defaultConfiguration") or {}).get("level") or "warning"
    message = _text(result.get("message")) or _text(rule.get("shortDescription")) or str(rule_id)
    path, start, end = _location(result, bases, workdir)
    help_uri = rule.get("helpUri") if isinstance(rule.get("helpUri"), str) else ""
    return {
        "rule": f"{tool}-{re.sub(r'[^A-Za-z0-9]+', '-', str(rule_id))}",
        "category": _category(rule, result, default_category),
        "severity": _severity(rule, str(level), levels),
        "file": path,
        "start_line": start,
        "end_line": end,
        "title": " ".join(message.split())[:MAX_TITLE],
        "explanation": (message + (f" ({help_uri})" if help_uri else ""))[:MAX_TEXT],
    }
