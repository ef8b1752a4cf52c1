"""The one findings JSON Schema (lok_action/findings_schema.py): what it admits, how a small output
budget narrows it, and the embedded model's echo filter. Validated with jsonschema, the reference
implementation of the JSON Schema spec."""

from __future__ import annotations

import json

import jsonschema
import pytest

from lok_action.backends.local import without_echoes
from lok_action.findings import validate_raw_findings
from lok_action.findings_schema import capped, findings_schema

GOOD = {
    "rule": "division-by-zero",
    "category": "bug",
    "severity": "high",
    "file": "src/stats.py",
    "start_line": 6,
    "end_line": 6,
    "title": "Division by zero",
}


def test_the_schema_admits_what_validation_accepts():
    answer = {"findings": [GOOD, {**GOOD, "explanation": "len() is 0", "suggested_fix": ""}]}

    jsonschema.validate(answer, findings_schema({"src/stats.py": 10}))
    result = validate_raw_findings(answer, "x", ["src/stats.py"], lambda path: ["line"] * 10)
    assert result.dropped == 0 and len(result.findings) == 2


@pytest.mark.parametrize(
    "bad",
    [
        {**GOOD, "file": "elsewhere.py"},  # not one of the chunk's files
        {**GOOD, "start_line": 11},  # past the end of the chunk
        {**GOOD, "severity": "catastrophic"},
        {**GOOD, "category": "bugs"},
        {key: value for key, value in GOOD.items() if key != "title"},
        {**GOOD, "extra": 1},
    ],
)
def test_the_schema_refuses_what_validation_would_drop(bad):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"findings": [bad]}, findings_schema({"src/stats.py": 10}))


def test_capping_bounds_every_array_and_string_and_only_narrows():
    schema = capped(findings_schema({"a.py": 3}), max_items=2, max_length=20)
    text = json.dumps(schema)

    assert schema["properties"]["findings"]["maxItems"] == 2
    item = schema["properties"]["findings"]["items"]["properties"]
    assert all(item[key]["maxLength"] == 20 for key in ("rule", "title", "explanation", "suggested_fix"))
    assert (
        '"maxItems": 2' in text
        and findings_schema({"a.py": 3})["properties"]["findings"].get("maxItems") is None
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"findings": [{**GOOD, "file": "a.py", "start_line": 1, "end_line": 1}] * 3}, schema
        )


def test_a_copy_of_the_prompts_example_is_blanked_so_validation_drops_it():
    prompt = (
        'Answer: {"findings": [{"title": "one line", "explanation": "why it is wrong and when it fails"}]}'
    )
    copies = [{**GOOD, "title": "One line."}, {**GOOD, "explanation": "Why it is wrong and when it fails"}]
    answer = json.dumps({"findings": [*copies, GOOD]})

    cleaned = json.loads(without_echoes(answer, prompt))

    result = validate_raw_findings(cleaned, "local", ["src/stats.py"], lambda path: ["x"] * 10)
    assert [f.title for f in result.findings] == ["Division by zero"] and result.dropped == 2
    assert without_echoes("not json", prompt) == "not json"
