"""Which revision range a `push` event asks to analyse, given what the checkout actually holds.

The pushed range is BEFORE..AFTER from the payload. GitHub sends BEFORE = 000… for a new branch, and
actions/checkout fetches one commit by default, so BEFORE is often not in the checkout. Then the last
commit's diff (AFTER^..AFTER) is analysed instead and the summary says so; when even AFTER^ is missing
(fetch-depth 1) the run stops with the checkout setting that fixes it, rather than silently analysing
the whole repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lok_action import git
from lok_action.errors import UsageError

NULL_SHA = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree
DEPTH_FIX = "set `fetch-depth: 0` (whole pushed range) or `fetch-depth: 2` (last commit) on actions/checkout"


@dataclass(frozen=True)
class PushRange:
    revision_range: str
    note: str = ""  # why the range differs from the pushed one ("" when it is the pushed range)


def is_null(sha: str) -> bool:
    return not sha or set(sha) == {"0"}


def resolve_push_range(workspace: Path, before: str, after: str) -> PushRange:
    short = after[:12]
    if not git.has_commit(workspace, after):
        raise UsageError(
            f"push: the pushed commit {short} is not in the checkout at {workspace}; {DEPTH_FIX}"
        )
    if not is_null(before) and git.has_commit(workspace, before):
        return PushRange(f"{before}..{after}")
    why = (
        "a new branch (no previous commit)"
        if is_null(before)
        else f"the previous head {before[:12]} is not in the checkout (shallow clone)"
    )
    parents = git.parent_count(workspace, after)
    if parents == 0:  # the repository's first commit: everything in it is new
        note = f"Push of {why}: analysed the whole first commit {short}."
        return PushRange(f"{EMPTY_TREE}..{after}", note)
    if not git.has_commit(workspace, f"{after}^"):
        raise UsageError(
            f"push: cannot analyse the pushed range: {why}, and the parent of {short} is not in the checkout "
            f"either; {DEPTH_FIX}"
        )
    note = (
        f"Push of {why}: analysed only the last commit's diff ({short}^..{short}), not the whole pushed range."
        + ("" if is_null(before) else f" To analyse every pushed commit, {DEPTH_FIX.split(' (')[0]}.")
    )
    return PushRange(f"{after}^..{after}", note)
