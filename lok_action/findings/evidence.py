"""Evidence-checked locations: a finding's quoted code (`evidence`) is looked up in the analysed file, so
its line numbers are not taken on trust.

- found at (or overlapping) the reported lines: kept as reported ("kept");
- found elsewhere in the file: the finding moves to the nearest occurrence, its span kept, and its
  fingerprint is taken again from the new lines ("relocated");
- not found anywhere in the file: dropped ("unverifiable"), counted per backend;
- no quote at all ("unchecked"): kept at the reported lines, with the file's text there as its evidence.
  A missing quote is absence of proof, not proof of a wrong place: a quote that is not in the file
  shows the model invented code, an empty one only that it did not copy it (static analyzers never
  quote, their positions are exact; workflows written before `evidence` existed do not ask for it).
  Dropping those would silently empty such runs, so they are kept and counted (an LLM's, in the notes).

Matching forgives what models do to quoted code: indentation and spacing (every whitespace run is
ignored), the "  12| " numbering of lok's own chunks copied along, the "+" of a diff's added lines,
blank lines, a quote of part of a line, and "..." lines standing for elided code. A multi-line quote must stand on consecutive non-blank
lines, each quoted line inside its file line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from lok_action.findings.fingerprint import fingerprint
from lok_action.findings.model import Finding

EvidenceState = Literal["kept", "relocated", "unverifiable", "unchecked"]
NUMBERING = re.compile(r"^\s*\d+\s*\|\s?")  # "   12| code": the numbering of lok's chunks
ELISION = frozenset({"...", "…", "# ...", "// ..."})


@dataclass(frozen=True)
class EvidenceResult:
    state: EvidenceState
    finding: Finding | None  # None when dropped


def _squash(text: str) -> str:
    return "".join(text.split())


def quoted_lines(evidence: str) -> list[str]:
    """The quote's lines as compared: numbering stripped, whitespace removed, blanks and "..." gone."""
    raw = evidence.splitlines()
    if raw and all(NUMBERING.match(line) for line in raw if line.strip()):
        raw = [NUMBERING.sub("", line, count=1) for line in raw]
    return [squashed for squashed in (_squash(line) for line in raw) if squashed and squashed not in ELISION]


def occurrences(quote: Sequence[str], lines: Sequence[str]) -> list[tuple[int, int]]:
    """Every (first, last) 1-based line range of ``lines`` where the quote stands."""
    if not quote:
        return []
    numbered = [(number, squashed) for number, squashed in enumerate(map(_squash, lines), 1) if squashed]
    found = []
    for index in range(len(numbered) - len(quote) + 1):
        if all(part in numbered[index + offset][1] for offset, part in enumerate(quote)):
            found.append((numbered[index][0], numbered[index + len(quote) - 1][0]))
    return found


def check_evidence(finding: Finding, lines: Sequence[str] | None) -> EvidenceResult:
    """``finding`` checked against its file's ``lines`` (None: unreadable, e.g. deleted: unchecked)."""
    quote = quoted_lines(finding.evidence)
    if lines is None:
        return EvidenceResult("unchecked", finding)
    if not quote:
        text = "\n".join(lines[finding.start_line - 1 : finding.end_line])
        return EvidenceResult("unchecked", replace(finding, evidence=finding.evidence or text))
    places = occurrences(quote, lines)
    if not places and any(part.startswith("+") for part in quote):  # copied from a diff, "+" and all
        places = occurrences([part.removeprefix("+") for part in quote], lines)
    if not places:
        return EvidenceResult("unverifiable", None)
    start, end = finding.start_line, finding.end_line
    if any(first <= end and start <= last for first, last in places):
        return EvidenceResult("kept", finding)
    # the nearest occurrence; of two as near, the one above (a total order: reports stay deterministic)
    first, last = min(places, key=lambda place: (abs(place[0] - start), place[0]))
    shift = first - start
    new_start = first
    new_end = min(max(end + shift, last), len(lines))
    moved = replace(finding, start_line=new_start, end_line=max(new_end, new_start))
    return EvidenceResult("relocated", replace(moved, fingerprint=fingerprint(moved, lines)))
