"""`/lok <workflow> [args]` in a comment names a workflow, never a file path."""

from __future__ import annotations

import pytest

from lok_action.github.context import parse_command


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/lok fix", ("fix", [])),
        ("/lok review-pr --strict 'two words'", ("review-pr", ["--strict", "two words"])),
        ("Thanks!\n  /lok hunt src\nmore text", ("hunt", ["src"])),
        ("/lok x.toml", None),
        ("/lok ../../tmp/evil", None),
        ("/lok fix/../../x", None),
        ("please /lok fix", None),  # only at the start of a line
        ("/lokfix", None),
    ],
)
def test_comment_commands(body: str, expected: tuple[str, list[str]] | None) -> None:
    assert parse_command(body) == expected
