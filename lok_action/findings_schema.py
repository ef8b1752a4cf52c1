"""The one JSON Schema of a findings answer: what every findings step asks a backend to answer.

Backends that can constrain decoding (the embedded model) decode under it, so their answers are
always JSON of this shape; the others get it in words in the prompt and are validated afterwards
(findings.validate_raw_findings, which also accepts common aliases of these field names).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lok_action.findings import CATEGORIES, MAX_TEXT, MAX_TITLE, SEVERITIES

MAX_RULE = 120
REQUIRED = ("rule", "category", "severity", "file", "start_line", "end_line", "title")


def findings_schema(files: Mapping[str, int] | None = None) -> dict[str, Any]:
    """{"findings": [finding, ...]}. With ``files`` (path -> its number of lines), ``file`` must be
    one of those paths and line numbers stay inside the longest of them."""
    line: dict[str, Any] = {"type": "integer", "minimum": 1}
    if files:
        line["maximum"] = max(max(files.values()), 1)
    finding = {
        "type": "object",
        "properties": {
            "rule": {"type": "string", "maxLength": MAX_RULE, "description": "kebab-case id"},
            "category": {"enum": list(CATEGORIES)},
            "severity": {"enum": list(SEVERITIES)},
            "file": {"enum": sorted(files)} if files else {"type": "string"},
            "start_line": dict(line),
            "end_line": dict(line),
            "title": {"type": "string", "maxLength": MAX_TITLE},
            "explanation": {"type": "string", "maxLength": MAX_TEXT},
            "suggested_fix": {"type": "string", "maxLength": MAX_TEXT},
        },
        "required": list(REQUIRED),
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"findings": {"type": "array", "items": finding}},
        "required": ["findings"],
        "additionalProperties": False,
    }


def capped(schema: Any, max_items: int, max_length: int) -> Any:
    """A copy of ``schema`` with every array at most ``max_items`` long and every string at most
    ``max_length`` characters: how a backend with a small output budget bounds its answer."""
    if isinstance(schema, list):
        return [capped(item, max_items, max_length) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: capped(value, max_items, max_length) for key, value in schema.items()}
    if out.get("type") == "array":
        out["maxItems"] = min(out.get("maxItems", max_items), max_items)
    if out.get("type") == "string":
        out["maxLength"] = min(out.get("maxLength", max_length), max_length)
    return out
