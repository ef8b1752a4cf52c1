"""The one JSON Schema of a findings answer: used by the prompts, by validation and by every backend's
native structured-output mechanism (Claude Code --json-schema, Codex --output-schema, Ollama `format`,
OpenAI `response_format`, grammar-constrained decoding for the embedded model).

It is written to OpenAI's strict rules (every key required, `additionalProperties: false`, optional
values nullable) because that is the strictest of the vendors' dialects: what passes there passes
everywhere else. Validation (findings.validate.validate_raw_findings) still accepts common aliases of these
field names from backends that only read the shape in the prompt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lok_action.findings.model import CATEGORIES, SEVERITIES

SCHEMA_NAME = "lok_findings"
REQUIRED = (
    "rule",
    "category",
    "severity",
    "file",
    "start_line",
    "end_line",
    "title",
    "explanation",
    "evidence",
    "suggested_fix",
)


def findings_schema(files: Mapping[str, int] | None = None) -> dict[str, Any]:
    """{"findings": [finding, ...]}, a fresh object on every call (callers may embed or change it).
    With ``files`` (path -> its number of lines), ``file`` must be one of those paths and line numbers
    stay inside the longest of them: what a chunk's answer can honestly point at."""
    line: dict[str, Any] = {"type": "integer", "minimum": 1}
    if files:
        line["maximum"] = max(max(files.values()), 1)
    finding = {
        "type": "object",
        "properties": {
            "rule": {"type": "string", "description": "kebab-case id of the kind of problem"},
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "severity": {"type": "string", "enum": list(SEVERITIES)},
            "file": (
                {"type": "string", "enum": sorted(files)}
                if files
                else {"type": "string", "description": "path as shown in the code"}
            ),
            "start_line": {**line, "description": "first flagged line (the number before '|')"},
            "end_line": {**line, "description": "last flagged line"},
            "title": {"type": "string", "description": "one line"},
            "explanation": {"type": "string", "description": "why it is wrong and when it fails"},
            "evidence": {
                "type": "string",
                "description": "the exact text of the flagged line(s), copied from the code without line numbers",
            },
            "suggested_fix": {
                "type": ["string", "null"],
                "description": "replacement code for those lines, or null",
            },
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


VERDICT_NAME = "lok_verdict"
VERDICTS = ("confirm", "refute", "unsure")


def verdict_schema() -> dict[str, Any]:
    """The challenge round's answer, {"verdict": "confirm"|"refute"|"unsure", "reason": "one line"}:
    written to the same strict rules, so each vendor's structured output binds it too."""
    return {
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": list(VERDICTS)},
            "reason": {"type": "string", "description": "one line: why"},
        },
        "required": ["verdict", "reason"],
        "additionalProperties": False,
    }


def is_findings_schema(schema: Mapping[str, Any]) -> bool:
    return "findings" in (schema.get("properties") or {})


def schema_text(schema: Mapping[str, Any] | None = None) -> str:
    """Compact, key-sorted JSON: stable bytes for prompts, argv and cache keys."""
    return json.dumps(findings_schema() if schema is None else schema, sort_keys=True, separators=(",", ":"))


def capped(schema: Any, max_items: int, max_length: int) -> Any:
    """A copy of ``schema`` with every array at most ``max_items`` long and every string at most
    ``max_length`` characters: how a backend with a small output budget bounds its answer."""
    if isinstance(schema, list):
        return [capped(item, max_items, max_length) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: capped(value, max_items, max_length) for key, value in schema.items()}
    kinds = out.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "array" in kinds:
        out["maxItems"] = min(out.get("maxItems", max_items), max_items)
    if "string" in kinds:
        out["maxLength"] = min(out.get("maxLength", max_length), max_length)
    return out
