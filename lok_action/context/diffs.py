"""Diffs as analysis context: per-file sections annotated with new-file line numbers, packed into
chunks under a backend's budget."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lok_action import git
from lok_action.context.chunks import Budget, Chunk, Chunker, ChunkPlan
from lok_action.context.files import source_lines
from lok_action.errors import ContextError, GitError, UsageError
from lok_action.findings.carry import EarlierReview


@dataclass
class FileDiff:
    path: str
    text: str  # annotated with new-file line numbers


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def git_diff(root: Path, revision_range: str | None) -> str:
    """``git diff --cached`` (staged changes) or ``git diff A..B``."""
    if revision_range is not None and (revision_range.startswith("-") or not revision_range.strip()):
        raise UsageError(f"diff: '{revision_range}' is not a revision range such as main..HEAD")
    try:
        # outside a work tree git falls back to `diff --no-index` and answers with its usage text
        if not git.in_work_tree(root):
            raise ContextError(f"diff: {root} is not a git repository (lok diff compares git revisions)")
        return git.diff(root, revision_range)
    except GitError as error:
        raise ContextError(f"diff: {error}") from None


def deleted_files(diff: str) -> set[str]:
    """The files a unified diff deletes (their new side is /dev/null), read from the diff itself, so it
    needs no checkout of either side."""
    deleted: set[str] = set()
    path, in_header = "", False
    for line in source_lines(diff):
        if line.startswith("diff --git "):
            path, in_header = line.split(" b/", 1)[-1], True
        elif in_header and line.startswith("--- a/"):
            path = line[len("--- a/") :].strip()
        elif in_header and line.startswith("+++ "):
            if line[4:].strip() == "/dev/null" and path:
                deleted.add(path)
            in_header = False
    return deleted


def split_diff(diff: str) -> list[FileDiff]:
    """Per-file sections; added and context lines get their new-file line number in front."""
    sections: list[FileDiff] = []
    path, new_line = "", 0
    out: list[str] = []
    in_header = False  # between "diff --git" and the first "@@": an added "++ x" line is no header
    for line in source_lines(diff):
        if line.startswith("diff --git "):
            if path:
                sections.append(_section(path, out))
            path, out, new_line, in_header = line.split(" b/", 1)[-1], [line], 0, True
            continue
        if in_header and line.startswith("+++ "):
            target = line[4:].strip()
            if target != "/dev/null":
                path = target.removeprefix("b/")
            out.append(line)
            continue
        hunk = _HUNK.match(line)
        if hunk:
            new_line, in_header = int(hunk.group(1)), False
            out.append(line)
        elif new_line and line.startswith(("+", " ")):
            out.append(f"{new_line:5d}| {line}")
            new_line += 1
        else:
            out.append(f"     | {line}" if new_line else line)
    if path:
        sections.append(_section(path, out))
    return sections


def _section(path: str, lines: list[str]) -> FileDiff:
    return FileDiff(path, f"### FILE {path} (changes)\n" + "\n".join(lines))


def plan_diff_chunks(sections: Sequence[FileDiff], budget: Budget) -> ChunkPlan:
    """Whole file sections packed under the budget; a section bigger than the budget is cut."""
    chunks: list[Chunk] = []
    group: list[FileDiff] = []
    used = 0
    over_budget: list[str] = []

    def close() -> None:
        nonlocal group, used
        if group:
            text = "\n".join(section.text for section in group) + "\n"
            chunks.append(Chunk(len(chunks), [s.path for s in group], _constant(text), len(text)))
            group, used = [], 0

    for section in sections:
        if not budget.admits(section.path):
            continue
        if budget.max_chunks is not None and len(chunks) >= budget.max_chunks:
            over_budget.append(section.path)
            continue
        cost = len(section.text) + 1
        if cost > budget.chars:
            close()
            cut = section.text[: budget.chars - 40] + "\n... (diff cut to fit the budget)"
            chunks.append(Chunk(len(chunks), [section.path], _constant(cut), len(cut)))
            continue
        if used + cost > budget.chars:
            close()
        group.append(section)
        used += cost
    close()
    if budget.max_chunks is not None:
        chunks = chunks[: budget.max_chunks]
    return ChunkPlan(chunks, over_budget)


def _constant(text: str) -> Callable[[], str]:
    return lambda: text


def diff_chunker(sections: Sequence[FileDiff]) -> Chunker:
    return Chunker(lambda budget: plan_diff_chunks(sections, budget))


@dataclass(frozen=True)
class PullRequestPatch:
    """A pull request's diff as its host gives it (fetched by the caller: lok_action.github.pr_data)."""

    number: int
    head_sha: str  # the commit the new-side line numbers refer to
    diff: str
    skipped: Mapping[str, str] = field(default_factory=dict)  # changed files with no patch -> why
    earlier: EarlierReview | None = None  # the last review of this pull request, when there is one


# number -> its patch: how the pipeline gets a pull request without knowing where it lives
PullRequestSource = Callable[[int], PullRequestPatch]
