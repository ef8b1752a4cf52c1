"""An incremental pull request review: the earlier review's findings measured against this one.

An earlier finding is found again (its fingerprint is found now, at any agreement level), carried
forward (its file or its lines did not change since the last reviewed head, or its file got no usable
answer this run: it stands as it was, moved to its new lines), or fixed (its file was analysed now, and
its lines changed or a full review no longer finds it). Findings reported now whose
fingerprint the earlier review did not have are new.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from lok_action.findings.model import Finding

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class EarlierReview:
    """What the last review of a pull request left: its head, its findings, and what changed since."""

    head: str  # the last reviewed head commit
    findings: tuple[Finding, ...] = ()
    changed: frozenset[str] | None = None  # files changed since `head`; None: review everything
    since_diff: str = ""  # unified diff head..new head: which lines changed, where the others moved
    full_reason: str = ""  # why the whole pull request is reviewed again (a force-push), or ""

    @property
    def incremental(self) -> bool:
        return self.changed is not None


@dataclass
class ReviewDelta:
    """What this review is to the last one, for the lok comment's summary and the review sink."""

    head: str  # the commit reviewed now
    since: str = ""  # the last reviewed head; "" for a first review
    reviewed: list[str] = field(default_factory=list)  # the files given to the backends
    full_reason: str = ""
    new: int = 0
    again: int = 0  # earlier findings reported again
    carried: int = 0  # earlier findings in unchanged code, kept without asking again
    fixed: list[Finding] = field(default_factory=list)  # earlier findings no longer found

    @property
    def incremental(self) -> bool:
        return bool(self.since) and not self.full_reason


@dataclass
class _FileChange:
    removed: set[int] = field(default_factory=set)  # old line numbers removed or replaced
    inserted_after: set[int] = field(default_factory=set)  # old line numbers followed by new lines
    moved: dict[int, int] = field(default_factory=dict)  # old -> new, for context lines in hunks
    hunks: list[tuple[int, int, int, int]] = field(default_factory=list)

    def touches(self, start: int, end: int) -> bool:
        if any(start <= line <= end for line in self.removed):
            return True
        return any(start <= line < end for line in self.inserted_after)

    def new_line(self, old: int) -> int:
        if old in self.moved:
            return self.moved[old]
        shift = 0
        for old_start, old_count, new_start, new_count in self.hunks:
            old_end = old_start + old_count if old_count else old_start + 1
            if old >= old_end:
                shift = (new_start + new_count if new_count else new_start + 1) - old_end
        return old + shift


def _file_changes(diff: str) -> dict[str, _FileChange]:
    """Per new-side path: the lines a `git diff A B` removed, where it inserted, how the rest moved."""
    changes: dict[str, _FileChange] = {}
    current: _FileChange | None = None
    old = new = 0
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            current = _FileChange()
            changes[line.split(" b/", 1)[-1]] = current
            continue
        if current is None:
            continue
        hunk = _HUNK.match(line)
        if hunk:
            old_start, new_start = int(hunk.group(1)), int(hunk.group(3))
            old_count = int(hunk.group(2)) if hunk.group(2) is not None else 1
            new_count = int(hunk.group(4)) if hunk.group(4) is not None else 1
            current.hunks.append((old_start, old_count, new_start, new_count))
            old, new = old_start, new_start
        elif not old and not new:
            continue  # the file header
        elif line.startswith("-"):
            current.removed.add(old)
            old += 1
        elif line.startswith("+"):
            current.inserted_after.add(old - 1)
            new += 1
        elif line.startswith(" "):
            current.moved[old] = new
            old, new = old + 1, new + 1
    return changes


def carry_forward(
    reported: Sequence[Finding],
    earlier: EarlierReview | None,
    head: str,
    reviewed: Sequence[str],
    *,
    found: Sequence[Finding],
    analysed: Collection[str],
) -> tuple[list[Finding], ReviewDelta]:
    """The earlier findings to add to this review's (carried forward), and the delta for the summary.

    ``reported`` (what passed --min-consensus) are new when the earlier review did not have them;
    ``found`` is everything this run found (every agreement level, refuted ones too): a finding that
    only fell below --min-consensus is found again, not fixed. Only a file in ``analysed`` (a backend
    gave a usable answer on it, or it is gone) can have a fixed finding: in a file the cost budget, a
    failed call or an outage left out, absence proves nothing."""
    delta = ReviewDelta(head=head, reviewed=list(reviewed))
    if earlier is None:
        delta.new = len(reported)
        return [], delta
    delta.since, delta.full_reason = earlier.head, earlier.full_reason
    now = {finding.fingerprint for finding in [*reported, *found]}
    before = {finding.fingerprint for finding in earlier.findings}
    delta.new = len({finding.fingerprint for finding in reported} - before)
    changes = _file_changes(earlier.since_diff)
    carried: list[Finding] = []
    for finding in earlier.findings:
        change = changes.get(finding.file)
        if finding.fingerprint in now:
            delta.again += 1
        elif earlier.changed is not None and finding.file not in earlier.changed:
            carried.append(finding)
        elif finding.file not in analysed:  # not asked, or no usable answer: it stands as it was
            carried.append(_moved(finding, change))
        elif (
            earlier.changed is None or change is None or change.touches(finding.start_line, finding.end_line)
        ):
            delta.fixed.append(finding)  # analysed now, and not found where it was
        else:
            carried.append(_moved(finding, change))
    delta.carried = len(carried)
    return carried, delta


def _moved(finding: Finding, change: _FileChange | None) -> Finding:
    """The finding on its lines in the new head: moved where lines above it were added or removed, kept
    where they were when its own lines changed (nothing says where they went)."""
    if change is None or change.touches(finding.start_line, finding.end_line):
        return finding
    start, end = change.new_line(finding.start_line), change.new_line(finding.end_line)
    return dataclasses.replace(finding, start_line=start, end_line=end)
