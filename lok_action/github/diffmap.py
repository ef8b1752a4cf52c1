"""Which lines of a pull request's diff can carry an inline review comment.

GitHub accepts a review comment on a line (RIGHT side = the new file) only inside a diff hunk, and a
multi-line comment only when its first and last lines are in the same hunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

HUNK_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Placement:
    path: str
    line: int  # last line, RIGHT side
    start_line: int | None  # first line when the comment spans several lines
    covers_whole_finding: bool  # a ```suggestion may replace exactly these lines

    def to_review_comment(self, body: str) -> dict[str, object]:
        comment: dict[str, object] = {"path": self.path, "line": self.line, "side": "RIGHT", "body": body}
        if self.start_line is not None:
            comment["start_line"] = self.start_line
            comment["start_side"] = "RIGHT"
        return comment


def hunk_ranges(patch: str) -> list[tuple[int, int]]:
    """Inclusive new-file line ranges of each hunk of one file's patch."""
    ranges = []
    for line in patch.splitlines():
        match = HUNK_HEADER.match(line)
        if match:
            start, length = int(match.group(1)), int(match.group(2) or 1)
            if length:
                ranges.append((start, start + length - 1))
    return ranges


class DiffMap:
    def __init__(self, files: dict[str, list[tuple[int, int]]]) -> None:
        self.files = files

    @classmethod
    def from_patches(cls, patches: Iterable[tuple[str, str | None]]) -> DiffMap:
        """From (filename, patch) pairs as `GET /pulls/{n}/files` lists them (patch None for binaries)."""
        return cls({name: hunk_ranges(patch or "") for name, patch in patches})

    @classmethod
    def from_unified_diff(cls, diff: str) -> DiffMap:
        files: dict[str, list[tuple[int, int]]] = {}
        current: str | None = None
        for line in diff.splitlines():
            if line.startswith("+++ "):
                target = line[4:].strip()
                current = target[2:] if target.startswith("b/") else None
                if current is not None:
                    files.setdefault(current, [])
            elif current is not None and line.startswith("@@"):
                files[current].extend(hunk_ranges(line))
        return cls(files)

    def place(self, path: str, start_line: int, end_line: int) -> Placement | None:
        """Where an inline comment for these lines goes, or None when no line of them is in the diff."""
        first, last = min(start_line, end_line), max(start_line, end_line)
        for hunk_start, hunk_end in self.files.get(path, []):
            if hunk_start <= last and first <= hunk_end:
                start, end = max(first, hunk_start), min(last, hunk_end)
                return Placement(
                    path=path,
                    line=end,
                    start_line=start if start < end else None,
                    covers_whole_finding=(start, end) == (first, last),
                )
        return None

    def __contains__(self, path: object) -> bool:
        return path in self.files
