"""Pull JSON out of chatty LLM text: fenced blocks, prose before and after, braces inside strings.

Shared by the workflow runner, the backends' structured-output check and the ensemble modes, so it
belongs to none of them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Literal

from lok_action import json_text

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\r?\n(.*?)```", re.DOTALL)
MAX_STARTS = 500  # bracket positions tried per text; bounds the work on huge non-JSON output
PREVIEW_CHARS = 200
# what a workflow step's output_format may ask for (and what extract_json reads)
OutputFormat = Literal["text", "json", "json_array", "jsonl"]


class OutputParseError(ValueError):
    """The output did not contain the JSON asked for. Not a LokError: the output is a model's or a
    command's, so every caller turns this into that step's, verdict's or plan's failure; one that
    reaches the CLI is a bug, not a user error."""


def extract_json(text: str, output_format: OutputFormat) -> Any:
    """The value `output_format` asks for, found in ``text``. 'text' returns the text unchanged."""
    if output_format == "text":
        return text
    if output_format == "jsonl":
        return _extract_jsonl(text)
    wanted: tuple[type, ...] = (list,) if output_format == "json_array" else (dict, list)
    for candidate in _candidates(text):
        found = _first_value(candidate, wanted)
        if found is not None:
            return found[0]
    raise _failure(text, "a JSON array" if output_format == "json_array" else "JSON")


def _failure(text: str, what: str) -> OutputParseError:
    preview = text.strip()[:PREVIEW_CHARS]
    return OutputParseError(
        f"output is not {what}: {preview!r}" if preview else f"output is empty, expected {what}"
    )


def _candidates(text: str) -> Iterator[str]:
    """Fenced blocks first (the model marked them as the answer), then the whole text."""
    for match in FENCE.finditer(text):
        yield match.group(2)
    yield text


def _first_value(text: str, wanted: tuple[type, ...]) -> tuple[Any] | None:
    """The first complete JSON value of a wanted type starting at a bracket. Objects are preferred
    over arrays when both are acceptable (a JSON answer is usually an object holding lists)."""
    decoder = json.JSONDecoder()
    openers = "{[" if dict in wanted else "["
    stripped = text.strip()
    try:
        whole = json_text.loads(stripped)
        if isinstance(whole, wanted):
            return (whole,)
    except ValueError:
        pass
    fallback: tuple[Any] | None = None
    tried = 0
    for index, char in enumerate(text):
        if char not in openers:
            continue
        tried += 1
        if tried > MAX_STARTS:
            break
        try:
            value, _end = json_text.raw_decode(decoder, text, index)
        except ValueError:
            continue
        if isinstance(value, dict):
            return (value,)
        if isinstance(value, list) and list in wanted:
            if dict not in wanted:
                return (value,)
            if fallback is None:
                fallback = (value,)
    return fallback


def _extract_jsonl(text: str) -> list[Any]:
    """One JSON value per line; prose lines and fences are skipped, a broken JSON-looking line fails."""
    fences = [m.group(2) for m in FENCE.finditer(text)]
    body = "\n".join(fences) if fences else text
    values: list[Any] = []
    for line in body.splitlines():
        line = line.strip()
        if not line or line[0] not in "{[":
            continue
        try:
            values.append(json_text.loads(line))
        except ValueError:
            raise _failure(text, f"JSON lines (bad line: {line[:80]!r})") from None
    if not values:
        raise _failure(text, "JSON lines")
    return values
