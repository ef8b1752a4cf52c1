"""The one findings schema agrees with the built-in prompts and with validation (its `evidence` field
survives into Finding and back out of a lok JSON report)."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from lok_action.findings import Finding, validate_raw_findings
from lok_action.findings_schema import findings_schema, schema_text
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
