"""Structured output shared by the backends: the schema as bytes, as a file, in a prompt, and the one
repair request for vendors that cannot be made to answer in JSON."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lok_action.backends.base import Reply

SCHEMA_FILE_NAME = "schema.json"
REPAIR_ANSWER_CHARS = 8000  # of the unusable answer quoted back in the repair request
REPAIR_MIN_SECONDS = 1.0  # less time left than this after the first answer: no repair
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what OpenAI accepts as response_format json_schema.name


def schema_json(schema: Mapping[str, Any]) -> str:
    """Compact, key-sorted JSON: the same bytes for the same schema (argv, files, cache keys)."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def schema_digest(schema: Mapping[str, Any]) -> str:
    return hashlib.sha256(schema_json(schema).encode()).hexdigest()


def schema_name(schema: Mapping[str, Any]) -> str:
    """The name a vendor wants next to the schema: its title, else lok's name for the findings schema."""
    from lok_action.findings.schema import SCHEMA_NAME, is_findings_schema

    title = schema.get("title")
    if isinstance(title, str) and _NAME.fullmatch(title):
        return title
    return SCHEMA_NAME if is_findings_schema(schema) else "lok_answer"


@contextmanager
def schema_file(schema: Mapping[str, Any]) -> Iterator[Path]:
    """The schema written to a private temporary file (outside the workspace), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="lok-schema-") as directory:
        path = Path(directory) / SCHEMA_FILE_NAME
        path.write_text(schema_json(schema), encoding="utf-8")
        yield path


def prompt_with_schema(prompt: str, schema: Mapping[str, Any]) -> str:
    """For vendors without a schema mechanism: the schema itself, after the prompt's own words."""
    return (
        f"{prompt.rstrip()}\n\nAnswer with only one JSON object, no prose and no code fence, matching"
        f" this JSON Schema:\n{schema_json(schema)}\n"
    )


def repair_prompt(prompt: str, answer: str, schema: Mapping[str, Any]) -> str:
    """The second request: the task again, the unusable answer, and the demand for only the JSON."""
    quoted = answer.strip()[:REPAIR_ANSWER_CHARS]
    return (
        f"{prompt_with_schema(prompt, schema)}\n"
        "Your previous answer to this request was not valid JSON, so it could not be used."
        f" It was:\n<previous-answer>\n{quoted}\n</previous-answer>\n"
        "Answer again with only the JSON object (starting with '{'), matching the schema above.\n"
    )


def is_json_answer(text: str) -> bool:
    """Whether the workflow runner will find a JSON object or array in ``text`` (the same test)."""
    from lok_action.jsonextract import OutputParseError, extract_json

    try:
        extract_json(text, "json")
    except OutputParseError:
        return False
    return True


def ask_with_repair(
    ask: Callable[[str, float], Reply], prompt: str, schema: Mapping[str, Any], timeout: float
) -> Reply:
    """``ask(prompt, timeout)`` with the schema in the prompt; an answer that is not JSON gets exactly
    one repair request within what is left of ``timeout``. The Reply counts it in ``repairs``."""
    first = ask(prompt_with_schema(prompt, schema), timeout)
    if not first.ok or is_json_answer(first.text):
        return first
    left = timeout - first.duration
    if left < REPAIR_MIN_SECONDS:
        return dataclasses.replace(first, note=_joined(first.note, "no time left to ask again for JSON"))
    second = ask(repair_prompt(prompt, first.text, schema), left)
    totals = {
        "duration": first.duration + second.duration,
        "input_tokens": _sum(first.input_tokens, second.input_tokens),
        "output_tokens": _sum(first.output_tokens, second.output_tokens),
        "cost_usd": _sum(first.cost_usd, second.cost_usd),
        "repairs": 1,
    }
    if not second.ok:  # the repair itself failed: keep the first answer, and say why it stays unusable
        return dataclasses.replace(
            first, **totals, note=_joined(first.note, f"asking again for JSON failed: {second.error}")
        )
    return dataclasses.replace(second, **totals, note=_joined(first.note, second.note))


def _sum(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else a + b


def _joined(*notes: str) -> str:
    return "; ".join(note for note in notes if note)
