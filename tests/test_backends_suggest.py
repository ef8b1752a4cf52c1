"""The strengths table behind `lok suggest` and `lok spawn`."""

from __future__ import annotations

import pytest

from lok_action.errors import BackendError
from lok_action.suggest import pick_backend

ALL = ["codex", "gemini", "claude", "ollama", "local"]


@pytest.mark.parametrize(
    ("task", "expected", "reason_part"),
    [
        ("Find N+1 queries and dead code", "codex", "N+1"),
        ("security audit of the auth module", "gemini", "security"),
        ("Reason about the architecture and orchestrate the migration", "claude", "reasoning"),
        ("analyse this private code offline", "ollama", "private/offline"),
    ],
)
def test_each_strength_goes_to_its_backend(task: str, expected: str, reason_part: str):
    name, reason = pick_backend(task, ALL)
    assert name == expected
    assert reason_part in reason


def test_only_available_backends_are_picked():
    assert pick_backend("security audit", ["codex", "claude"])[0] in ("codex", "claude")
    assert pick_backend("private offline review", ["codex", "local"])[0] == "local"


def test_named_instances_are_matched_by_kind():
    assert pick_backend("keep it offline", {"big": "ollama", "codex": "codex"}) == (
        "big",
        pick_backend("keep it offline", ["ollama"])[1],
    )


def test_no_matching_strength_falls_back_to_the_general_order():
    name, reason = pick_backend("write a haiku", ["gemini", "codex"])
    assert name == "codex" and "no specific strength" in reason


def test_nothing_available_is_an_error():
    with pytest.raises(BackendError, match="lok doctor"):
        pick_backend("anything", [])
