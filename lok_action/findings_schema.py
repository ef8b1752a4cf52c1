"""The one JSON Schema of a findings answer: used by the prompts, by validation and by every backend's
native structured-output mechanism (Claude Code --json-schema, Codex --output-schema, Ollama `format`,
OpenAI `response_format`, grammar-constrained decoding for the embedded model).

It is written to OpenAI's strict rules (every key required, `additionalProperties: false`, optional
values nullable) because that is the strictest of the vendors' dialects: what passes there passes
everywhere else.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from lok_action.findings import CATEGORIES, SEVERITIES

SCHEMA_NAME = "lok_findings"

_FINDING: dict[str, Any] = {
    "type": "object",
    "properties": {
        "rule": {"type": "string", "description": "kebab-case id of the kind of problem"},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "file": {"type": "string", "description": "path as shown in the code"},
        "start_line": {"type": "integer", "description": "first flagged line (the number before '|')"},
        "end_line": {"type": "integer", "description": "last flagged line"},
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
    "required": [
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
    ],
    "additionalProperties": False,
}

_FINDINGS: dict[str, Any] = {
    "type": "object",
    "properties": {"findings": {"type": "array", "items": _FINDING}},
    "required": ["findings"],
    "additionalProperties": False,
}


def findings_schema() -> dict[str, Any]:
    """A fresh copy (callers may embed or serialise it; nobody may change the original)."""
    return copy.deepcopy(_FINDINGS)


def schema_text() -> str:
    """Compact, key-sorted JSON: stable bytes for prompts, argv and cache keys."""
    return json.dumps(_FINDINGS, sort_keys=True, separators=(",", ":"))
