"""The challenge round: a finding is put, blind, to the other backends that analysed its file, each asked
for a schema-bound verdict (findings.schema.verdict_schema): confirm, refute or unsure, one line why.

Who is asked: for each merged finding the step's mode allows (findings.modes), the backends that answer
prompts, analysed the finding's file and did not report it (its `dissent`), in name order. "below-quorum"
asks about findings under --min-consensus and every critical or high one; "all" about every one.
Blind: the prompt holds the finding (title, explanation, category, severity, lines) and the file's lines
around it, never who reported it or what anyone else said.

What the verdicts do: a confirmation counts toward the quorum (Finding.agreement = reporters and
confirmers); a finding refuted by more than half of the verdicts it got is dropped from what is posted
and listed as refuted (Outcome.refuted). A call that fails or answers no verdict counts as none.

This module decides and words; lok_action.verification makes the calls. They go through
backends.calling.call_backend (cached, redacted, recorded or replayed by a cassette),
at most the runner's max_parallel at once, at most `cap` per run: the calls are taken in report order
(most severe first), the findings past the cap are marked unverified. Replies are applied in that same
order, so the same answers give the same report byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lok_action.findings.model import Finding, severity_at_least, sort_findings
from lok_action.findings.modes import ChallengeMode, effective_mode
from lok_action.findings.schema import VERDICTS

MAX_PROMPT_CHARS = 8000  # every verification prompt stays under this
CONTEXT_LINES = 30  # lines shown above and below the finding, fewer when the prompt would be too long
MAX_REASON = 200
PROMPT_MARK = "You are checking one reported problem in source code"


@dataclass(frozen=True)
class Task:
    finding: int  # index into the findings asked about
    backend: str
    prompt: str


def due(finding: Finding, mode: ChallengeMode, min_consensus: int) -> bool:
    """Whether ``mode`` puts this finding to the other backends."""
    if mode == "all":
        return True
    if mode == "off":
        return False
    return finding.agreement < min_consensus or severity_at_least(finding.severity, "high")


def numbered(lines: Sequence[str], first: int, last: int) -> str:
    return "\n".join(f"{number:5d}| {lines[number - 1]}" for number in range(first, last + 1))


def challenge_prompt(finding: Finding, lines: Sequence[str] | None, limit: int = MAX_PROMPT_CHARS) -> str:
    """The blind question about one finding, under ``limit`` characters: the context shrinks first,
    then the explanation is cut."""
    head = [
        f"{PROMPT_MARK}. Judge it on the code alone: it may be right or wrong.",
        "",
        "Reported problem:",
        f"- title: {' '.join(finding.title.split())}",
        f"- category: {finding.category}; severity: {finding.severity}",
        f"- file: {finding.file}, lines {finding.start_line}-{finding.end_line}",
    ]
    tail = [
        "",
        'Answer with JSON only: {"verdict": "confirm" | "refute" | "unsure", "reason": "one line"}',
        "confirm: the problem is real at those lines. refute: it is not (the code there is correct, or the"
        " problem does not exist). unsure: the code shown is not enough to tell.",
    ]
    explanation = " ".join(finding.explanation.split())
    for context in (CONTEXT_LINES, 20, 10, 5, 2, 0):
        code: list[str] = []
        if lines:
            first = max(1, finding.start_line - context)
            last = min(len(lines), finding.end_line + context)
            code = [
                "",
                f"Code ({finding.file}, lines {first}-{last}; the number before '|' is the line number):",
            ]
            code.append(numbered(lines, first, last))
        for cut in (explanation, explanation[:1500], explanation[:300]):
            text = "\n".join(
                [*head, f"- explanation: {cut}" if cut else "- explanation: (none)", *code, *tail]
            )
            if len(text) < limit:
                return text
    return text[: limit - 1]  # a pathological line: cut, still under the limit


def parse_verdict(text: str | None) -> tuple[str, str] | None:
    """(verdict, reason) from an answer's text (None: the call failed); None when it holds none."""
    from lok_action.errors import LokError
    from lok_action.jsonextract import extract_json

    if text is None:
        return None
    try:
        value: Any = extract_json(text, "json")
    except (LokError, ValueError):
        return None
    if not isinstance(value, dict):
        return None
    verdict = str(value.get("verdict", "")).strip().lower()
    if verdict not in VERDICTS:
        return None
    return verdict, " ".join(str(value.get("reason", "")).split())[:MAX_REASON]


def plan_tasks(
    findings: Sequence[Finding],
    min_consensus: int,
    modes: Mapping[str, ChallengeMode | None],
    requested: ChallengeMode | None,
    workflow: str,
    verifiers: frozenset[str],
    lines_of: Callable[[str], Sequence[str] | None],
) -> tuple[list[Task], int]:
    """Every (finding, backend) question due, in report order, and how many findings are asked about."""
    tasks: list[Task] = []
    asked = 0
    for index, finding in enumerate(findings):
        mode = effective_mode(requested, modes.get(finding.fingerprint), workflow)
        if not due(finding, mode, min_consensus):
            continue
        names = sorted(name for name in finding.dissent if name in verifiers)
        if not names:
            continue
        asked += 1
        prompt = challenge_prompt(finding, lines_of(finding.file))
        tasks.extend(Task(index, name, prompt) for name in names)
    return tasks, asked


def apply_verdicts(
    findings: Sequence[Finding],
    verdicts: Sequence[tuple[Task, tuple[str, str] | None]],
    left: Sequence[Task],
) -> tuple[list[Finding], list[Finding]]:
    """The verdicts written onto the findings (in place), in task order; the findings of ``left``
    (calls not made) marked unverified. Returns (kept, refuted), each in report order: refuted is a
    finding more than half of whose verdicts refute it."""
    said: dict[int, dict[str, list[str]]] = {}
    for task, verdict in verdicts:
        if verdict is not None:
            said.setdefault(task.finding, {}).setdefault(verdict[0], []).append(task.backend)
    for task in left:
        findings[task.finding].unverified = True
    kept: list[Finding] = []
    refuted: list[Finding] = []
    for index, finding in enumerate(findings):
        mine = said.get(index, {})
        finding.confirmed_by = sorted(set(finding.confirmed_by) | set(mine.get("confirm", [])))
        finding.refuted_by = sorted(set(finding.refuted_by) | set(mine.get("refute", [])))
        finding.unsure_by = sorted(set(finding.unsure_by) | set(mine.get("unsure", [])))
        given = len(finding.confirmed_by) + len(finding.refuted_by) + len(finding.unsure_by)
        (refuted if given and 2 * len(finding.refuted_by) > given else kept).append(finding)
    return sort_findings(kept), sort_findings(refuted)
