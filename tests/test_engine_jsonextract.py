"""JSON from chatty LLM text."""

from __future__ import annotations

import pytest

from lok_action.jsonextract import OutputParseError, extract_json


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ('{"a": 1}', "json", {"a": 1}),
        (
            'Sure! Here it is:\n```json\n{"findings": [{"msg": "a } brace"}]}\n```\nHope that helps {:',
            "json",
            {"findings": [{"msg": "a } brace"}]},
        ),
        (
            'I found {x} things. {"ok": true, "s": "{not json}"} done.',
            "json",
            {"ok": True, "s": "{not json}"},
        ),
        ("Result: [1, 2] and more", "json", [1, 2]),
        ('prose [see note] then [{"a": "[x]"}] end', "json_array", [{"a": "[x]"}]),
        ("```\n[1,2,3]\n```", "json_array", [1, 2, 3]),
        ('Here you go\n{"a": 1}\n{"a": 2}\nthanks', "jsonl", [{"a": 1}, {"a": 2}]),
        ('```jsonl\n{"a": 1}\n```\n', "jsonl", [{"a": 1}]),
        ("plain text", "text", "plain text"),
        ('{"s": "quote \\" and { brace"}', "json", {"s": 'quote " and { brace'}),
    ],
)
def test_extracts(text: str, fmt: str, expected: object) -> None:
    assert extract_json(text, fmt) == expected


@pytest.mark.parametrize(
    ("text", "fmt"),
    [("no json here at all", "json"), ('{"a": 1}', "json_array"), ("{broken", "jsonl"), ("", "json")],
)
def test_failure_names_the_output(text: str, fmt: str) -> None:
    with pytest.raises(OutputParseError) as info:
        extract_json(text, fmt)
    assert text[:20] in str(info.value)
    assert "\n" not in str(info.value)


def test_failure_message_holds_first_200_chars_only() -> None:
    text = "x" * 199 + "Y" + "Z" * 500
    with pytest.raises(OutputParseError) as info:
        extract_json(text, "json")
    assert "x" * 199 + "Y" in str(info.value)
    assert "Z" not in str(info.value)
