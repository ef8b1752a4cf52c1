"""The one findings schema (lok_action/findings/schema.py): it agrees with the built-in prompts and with
validation (its `evidence` field survives into Finding and back out of a lok JSON report), what it admits,
how a small output budget narrows it, and the embedded model's echo filter. Validated with jsonschema."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from lok_action.backends.local import without_echoes
from lok_action.findings.model import Finding
from lok_action.findings.schema import capped, findings_schema, schema_text
from lok_action.findings.validate import validate_raw_findings
from lok_action.workflow.lookup import builtin_files
from lok_action.workflow.model import parse_workflow

SOURCE = [
    "import os",
    "",
    "",
    "def average(values):",
    "    total = sum(values)",
    "    return total / len(values)",
]


def findings_steps() -> list[tuple[str, str]]:
    steps = []
    for name, label, text in builtin_files():
        workflow = parse_workflow(text, label)
        steps += [(f"{name}.{step.name}", step.prompt or "") for step in workflow.steps if step.findings]
    return steps


def test_every_builtin_workflow_has_findings_steps_to_check():
    names = {name.split(".")[0] for name, _prompt in findings_steps()}
    assert {"hunt", "audit", "diff", "review-pr"} <= names


@pytest.mark.parametrize(("step", "prompt"), findings_steps())
def test_the_shape_each_prompt_shows_is_valid_under_the_schema(step: str, prompt: str):
    shown = re.search(r'^\{"findings": \[\{.*\}\]\}$', prompt, re.MULTILINE)
    assert shown, f"{step}: the prompt shows no findings shape"
    example = json.loads(shown.group(0))
    jsonschema.Draft202012Validator(findings_schema()).validate(example)  # same keys, right types
    assert list(example["findings"][0]) == findings_schema()["properties"]["findings"]["items"]["required"]
    assert "evidence is the code after it, copied exactly" in prompt


def test_schema_text_is_the_schema_in_stable_bytes():
    assert json.loads(schema_text()) == findings_schema()
    assert schema_text() == json.dumps(findings_schema(), sort_keys=True, separators=(",", ":"))


def test_a_schema_bound_answer_validates_with_its_evidence():
    answer = {
        "findings": [
            {
                "rule": "division-by-zero",
                "category": "bug",
                "severity": "high",
                "file": "src/stats.py",
                "start_line": 6,
                "end_line": 6,
                "title": "Division by zero",
                "explanation": "len(values) may be 0",
                "evidence": "    return total / len(values)\n",
                "suggested_fix": None,
            }
        ]
    }
    jsonschema.Draft202012Validator(findings_schema()).validate(answer)

    result = validate_raw_findings(answer, "codex", ["src/stats.py"], lambda path: SOURCE)

    assert result.dropped == 0
    [finding] = result.findings
    assert finding.evidence == "    return total / len(values)"  # indentation kept, the newline not
    assert finding.suggested_fix == ""  # null means no fix
    again = Finding.from_dict(json.loads(json.dumps(finding.to_dict())))
    assert again.evidence == finding.evidence and again == finding


def test_a_report_written_before_evidence_existed_still_reads():
    old = Finding("lok/x", "bug", "high", "a.py", 1, 1, "t").to_dict()
    del old["evidence"]
    assert Finding.from_dict(old).evidence == ""


GOOD = {
    "rule": "division-by-zero",
    "category": "bug",
    "severity": "high",
    "file": "src/stats.py",
    "start_line": 6,
    "end_line": 6,
    "title": "Division by zero",
    "explanation": "len(values) is 0 for an empty list",
    "evidence": "return total / len(values)",
    "suggested_fix": None,
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
