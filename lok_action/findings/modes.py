"""The challenge round's settings, as plain values (a leaf: the Request, workflow files and the
reports read them without importing the round itself)."""

from __future__ import annotations

from typing import Literal

# off: no verification; below-quorum: findings under --min-consensus, and every critical or high one;
# all: every finding
ChallengeMode = Literal["below-quorum", "all", "off"]
CHALLENGE_MODES: tuple[ChallengeMode, ...] = ("below-quorum", "all", "off")
DEFAULT_ON = frozenset({"hunt", "audit", "diff", "review-pr"})  # workflows challenged unless told not to
_STRICTNESS = {"off": 0, "below-quorum": 1, "all": 2}


def as_mode(text: str) -> ChallengeMode:
    """``text`` as a ChallengeMode; ValueError when it is none (callers check user text first)."""
    for mode in CHALLENGE_MODES:
        if mode == text:
            return mode
    raise ValueError(f"'{text}' is not one of {', '.join(CHALLENGE_MODES)}")


def stricter_mode(a: ChallengeMode | None, b: ChallengeMode | None) -> ChallengeMode | None:
    """The mode that verifies more (None: not set)."""
    if a is None or b is None:
        return a if b is None else b
    return a if _STRICTNESS[a] >= _STRICTNESS[b] else b


def effective_mode(
    requested: ChallengeMode | None, step_mode: ChallengeMode | None, workflow: str
) -> ChallengeMode:
    """--verify / the `verify` input wins; else the step's `challenge`; else on for the workflows
    that analyse code for a verdict (hunt, audit, diff, review-pr), off for the rest."""
    if requested is not None:
        return requested
    if step_mode is not None:
        return step_mode
    return "below-quorum" if workflow in DEFAULT_ON else "off"
