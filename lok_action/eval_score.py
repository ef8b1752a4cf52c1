"""Scoring for `lok eval` (and bench/ replays of published reviews): findings matched to expected
problems by the corpus's documented rule (eval/README.md, "Matching findings to problems"), then
true positives, false positives and misses per backend and per ensemble quorum.

The rule: a finding matches a problem when it names the same file and its lines overlap the
problem's widened by MATCH_TOLERANCE; matching is one-to-one, candidate pairs taken by the gap
between their ranges (ties: problem order, then finding order), so a second finding about a found
problem is a false positive.

The ensemble at quorum k is the merged findings that k backends stand behind, both read from the
same run (`lok eval` runs the challenge round on every finding, --verify all):
- without the challenge round: reported by at least k backends, whatever the verdicts said (the
  findings the round refuted included);
- with it: the findings the round kept (not refuted by more than half of their verdicts,
  findings.challenge) that at least k backends reported or confirmed (Finding.agreement).

A leaf: data in, figures out; no backend, no run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from lok_action.eval_corpus import MATCH_TOLERANCE
from lok_action.findings.model import Finding
from lok_action.outcome import BackendStatus, add_optional

RowKind = Literal["backend", "ensemble"]


class Located(Protocol):
    @property
    def file(self) -> str: ...

    @property
    def start_line(self) -> int: ...

    @property
    def end_line(self) -> int: ...


def gap(finding: Located, problem: Located) -> int:
    """Lines between the two ranges (0 when they overlap)."""
    return max(0, finding.start_line - problem.end_line, problem.start_line - finding.end_line)


def match(
    problems: Sequence[Located], findings: Sequence[Located], tolerance: int = MATCH_TOLERANCE
) -> list[tuple[int, int]]:
    """The kept (problem index, finding index) pairs, one-to-one, closest first."""
    candidates = sorted(
        (gap(finding, problem), p, f)
        for p, problem in enumerate(problems)
        for f, finding in enumerate(findings)
        if finding.file == problem.file
        and finding.start_line <= problem.end_line + tolerance
        and finding.end_line >= problem.start_line - tolerance
    )
    taken_problems: set[int] = set()
    taken_findings: set[int] = set()
    pairs = []
    for _, p, f in candidates:
        if p not in taken_problems and f not in taken_findings:
            taken_problems.add(p)
            taken_findings.add(f)
            pairs.append((p, f))
    return pairs


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Tally) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float | None:
        found = self.tp + self.fp
        return self.tp / found if found else None

    @property
    def recall(self) -> float | None:
        known = self.tp + self.fn
        return self.tp / known if known else None

    @property
    def f1(self) -> float:
        """0 when nothing was found or nothing was there to find (no credit for an empty answer)."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 0.0


def tally(problems: Sequence[Located], findings: Sequence[Located]) -> Tally:
    kept = len(match(problems, findings))
    return Tally(tp=kept, fp=len(findings) - kept, fn=len(problems) - kept)


def at_quorum(run: CaseRun, k: int, challenge: bool) -> list[Finding]:
    """The merged findings the ensemble reports at quorum k (see the module docstring)."""
    if challenge:
        return [f for f in run.merged if f.agreement >= k]
    return [f for f in [*run.merged, *run.refuted] if len(f.backends) >= k]


@dataclass
class CaseRun:
    """One case as analysed: its problems, each backend's own findings, the merged ones the challenge
    round kept (with their verdicts) and those it refuted, the costs."""

    name: str
    problems: Sequence[Located]
    raw: Sequence[Finding]  # each backend's validated findings (Finding.backends = [that backend])
    merged: Sequence[Finding]
    statuses: Sequence[BackendStatus] = ()
    wall_time: float = 0.0
    refuted: Sequence[Finding] = ()


@dataclass
class Row:
    label: str
    kind: RowKind
    backend: str | None = None
    k: int | None = None
    challenge: bool | None = None
    tally: Tally = field(default_factory=Tally)
    calls: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    wall_time: float = 0.0

    @property
    def tokens(self) -> int | None:
        return add_optional(self.input_tokens, self.output_tokens)

    def charge(self, status: BackendStatus, challenge: bool = False) -> None:
        """The backend's calls, tokens and cost: the analysis's, plus the challenge round's with it."""
        if challenge:
            self.calls += status.calls + status.verify_calls
            spent = (status.input_tokens, status.output_tokens, status.cost_usd)
        else:
            self.calls += status.calls
            spent = (
                _less(status.input_tokens, status.verify_input_tokens),
                _less(status.output_tokens, status.verify_output_tokens),
                _less(status.cost_usd, status.verify_cost_usd),
            )
        self.input_tokens = add_optional(self.input_tokens, spent[0])
        self.output_tokens = add_optional(self.output_tokens, spent[1])
        self.cost_usd = add_optional(self.cost_usd, spent[2])

    def to_dict(self) -> dict[str, Any]:
        t = self.tally
        return {
            "row": self.label,
            "kind": self.kind,
            "backend": self.backend,
            "k": self.k,
            "challenge": self.challenge,
            "tp": t.tp,
            "fp": t.fp,
            "fn": t.fn,
            "precision": _rounded(t.precision),
            "recall": _rounded(t.recall),
            "f1": _rounded(t.f1),
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "tokens": self.tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
            "wall_time": round(self.wall_time, 2),
        }


def _less(total: Any, part: Any) -> Any:
    """total - part, where part (a share of total) may be unknown: then nothing was spent on it."""
    return total if total is None or part is None else total - part


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def ensemble_label(k: int, challenge: bool) -> str:
    return f"k={k}{' +challenge' if challenge else ''}"


def score(runs: Sequence[CaseRun], backends: Sequence[str]) -> list[Row]:
    """One row per backend (its own findings, its analysis calls and time), then the ensemble at each
    quorum k = 1..len(backends), without and with the challenge round (every backend's calls, the
    round's added to the +challenge rows; the runs' wall time, which includes the round)."""
    rows = [Row(name, "backend", backend=name) for name in backends]
    ensemble = [
        Row(ensemble_label(k, challenge), "ensemble", k=k, challenge=challenge)
        for k in range(1, len(backends) + 1)
        for challenge in (False, True)
    ]
    for run in runs:
        by_name = {status.name: status for status in run.statuses}
        for row in rows:
            own = [f for f in run.raw if row.backend in f.backends]
            row.tally.add(tally(run.problems, own))
            status = by_name.get(row.backend or "")
            if status is not None:
                row.charge(status)
                row.wall_time += status.duration
        for row in ensemble:
            chosen = at_quorum(run, row.k or 1, bool(row.challenge))
            row.tally.add(tally(run.problems, chosen))
            for status in run.statuses:
                row.charge(status, bool(row.challenge))
            row.wall_time += run.wall_time
    return rows + ensemble


EVAL_FORMAT = "lok-eval/1"


@dataclass
class EvalResult:
    corpus: str
    cases: int
    problems: int
    backends: list[str]
    rows: list[Row]
    per_case: dict[str, dict[str, Tally]] = field(default_factory=dict)  # case -> row label -> tally

    def row(self, label: str) -> Row | None:
        return next((row for row in self.rows if row.label == label), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": EVAL_FORMAT,
            "corpus": self.corpus,
            "cases": self.cases,
            "problems": self.problems,
            "backends": list(self.backends),
            "rows": [row.to_dict() for row in self.rows],
            "per_case": {
                case: {label: [t.tp, t.fp, t.fn] for label, t in tallies.items()}
                for case, tallies in self.per_case.items()
            },
        }


def evaluate(corpus: str, runs: Sequence[CaseRun], backends: Sequence[str]) -> EvalResult:
    """score() over every case, with each case's own tallies kept (tp, fp, fn per row)."""
    per_case = {run.name: {row.label: row.tally for row in score([run], backends)} for run in runs}
    return EvalResult(
        corpus=corpus,
        cases=len(runs),
        problems=sum(len(run.problems) for run in runs),
        backends=list(backends),
        rows=score(runs, backends),
        per_case=per_case,
    )
