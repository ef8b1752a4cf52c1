"""What a run of a request came to: the one type every sink reads (terminal, markdown, JSON, SARIF,
GitHub), and `lok merge` reads back from the JSON report.

A leaf: it imports only data modules, so a sink that reads an Outcome depends on no orchestration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from lok_action.errors import UsageError
from lok_action.findings.model import (
    SEVERITY_RANK,
    Finding,
    Severity,
    apply_min_consensus,
    as_severity,
    severity_at_least,
    sort_findings,
)
from lok_action.findings.modes import ChallengeMode

if TYPE_CHECKING:
    from lok_action.findings.carry import ReviewDelta
    from lok_action.workflow.result import RunResult

FORMAT_VERSION = "lok-analysis/1"
BackendState = Literal["ok", "failed"]  # ok: at least one of its answers could be used
Verdict = Literal["pass", "warn", "fail"]
BACKEND_STATES: tuple[BackendState, ...] = ("ok", "failed")
_SHARD = re.compile(r"[1-9]\d*/[1-9]\d*")


@dataclass
class BackendStatus:
    name: str
    status: BackendState = "ok"
    error: str | None = None
    calls: int = 0
    failed_calls: int = 0  # calls that returned no answer (an error, a timeout)
    usable: int = 0  # answers that could be used: JSON in findings steps, any text in text steps
    duration: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    findings: int = 0  # valid findings it reported (before merging)
    dropped: int = 0  # findings dropped as malformed
    unparseable: int = 0  # answers with no JSON at all
    repairs: int = 0  # answers that were not JSON and were asked for once more
    over_budget: int = 0  # files it did not get (its chunk limit)
    budget: str = ""
    # the evidence check (findings.evidence): findings moved to where their quoted code stands,
    # dropped because the quoted code is nowhere in the file, kept unchecked because nothing was quoted
    relocated: int = 0
    unverifiable: int = 0
    unchecked: int = 0
    verify_calls: int = 0  # challenge-round calls it answered (their cost and tokens are in the totals)
    # the challenge round's share of the totals above (lok eval prices its rows with and without it)
    verify_input_tokens: int | None = None
    verify_output_tokens: int | None = None
    verify_cost_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "error": self.error,
            "calls": self.calls,
            "failed_calls": self.failed_calls,
            "usable": self.usable,
            "duration": round(self.duration, 1),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
            "findings": self.findings,
            "dropped": self.dropped,
            "unparseable": self.unparseable,
            "repairs": self.repairs,
            "over_budget": self.over_budget,
            "budget": self.budget,
            "relocated": self.relocated,
            "unverifiable": self.unverifiable,
            "unchecked": self.unchecked,
            "verify_calls": self.verify_calls,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "") -> BackendStatus:
        """Read back from a lok JSON report; raises jsonfields.FieldError naming the field."""
        from lok_action import jsonfields as f

        data = f.as_mapping(data, where.rstrip(".") or "backend")
        calls = f.integer(data, "calls", where, 0)
        failed_calls = f.integer(data, "failed_calls", where, 0)
        unparseable = f.integer(data, "unparseable", where, 0)
        state = f.choice(data, "status", BACKEND_STATES, where) if "status" in data else "ok"
        return cls(
            name=f.text(data, "name", where),
            status="ok" if state == "ok" else "failed",
            error=f.optional_text(data, "error", where),
            calls=calls,
            failed_calls=failed_calls,
            # reports written before "usable" existed: every answer that came back and parsed
            usable=f.integer(data, "usable", where, max(calls - failed_calls - unparseable, 0)),
            duration=f.number(data, "duration", where, 0.0),
            input_tokens=f.optional_integer(data, "input_tokens", where),
            output_tokens=f.optional_integer(data, "output_tokens", where),
            cost_usd=f.optional_number(data, "cost_usd", where),
            findings=f.integer(data, "findings", where, 0),
            dropped=f.integer(data, "dropped", where, 0),
            unparseable=unparseable,
            repairs=f.integer(data, "repairs", where, 0),
            over_budget=f.integer(data, "over_budget", where, 0),
            budget=f.text(data, "budget", where, ""),
            relocated=f.integer(data, "relocated", where, 0),
            unverifiable=f.integer(data, "unverifiable", where, 0),
            unchecked=f.integer(data, "unchecked", where, 0),
            verify_calls=f.integer(data, "verify_calls", where, 0),
        )

    def absorb(self, other: BackendStatus) -> None:
        """Add another shard's figures for the same backend."""
        self.calls += other.calls
        self.failed_calls += other.failed_calls
        self.usable += other.usable
        self.duration += other.duration
        self.input_tokens = add_optional(self.input_tokens, other.input_tokens)
        self.output_tokens = add_optional(self.output_tokens, other.output_tokens)
        self.cost_usd = add_optional(self.cost_usd, other.cost_usd)
        self.findings += other.findings
        self.dropped += other.dropped
        self.unparseable += other.unparseable
        self.repairs += other.repairs
        self.over_budget += other.over_budget
        self.relocated += other.relocated
        self.unverifiable += other.unverifiable
        self.unchecked += other.unchecked
        self.verify_calls += other.verify_calls
        if self.status != "ok" and other.status == "ok":
            self.status, self.error = "ok", None
        self.budget = self.budget or other.budget

    def answers_line(self) -> str:
        """'8/12 answers usable (3 not JSON, 1 failed)': the one meaning of a backend's success."""
        why = []
        if self.unparseable:
            why.append(f"{self.unparseable} not JSON")
        if self.failed_calls:
            why.append(f"{self.failed_calls} failed")
        detail = f" ({', '.join(why)})" if why else ""
        return f"{self.usable}/{self.calls} answer{'s' if self.calls != 1 else ''} usable{detail}"

    def malformed_note(self) -> str:
        """'gemini: 2 findings dropped as malformed, 1 answer was not JSON', or ''."""
        parts = []
        if self.dropped:
            parts.append(f"{self.dropped} finding{'s' if self.dropped != 1 else ''} dropped as malformed")
        if self.unparseable:
            s = "s were" if self.unparseable != 1 else " was"
            parts.append(f"{self.unparseable} answer{s} not JSON")
        if self.repairs:  # an answer was not JSON: the backend was asked once more for only the JSON
            parts.append(f"{self.repairs} repair request{'s' if self.repairs != 1 else ''} for JSON")
        return f"{self.name}: {', '.join(parts)}" if parts else ""

    def evidence_note(self) -> str:
        """'codex: 1 finding dropped as unverifiable (...), 2 moved to ...', or '' (findings.evidence)."""
        parts = []
        if self.unverifiable:
            parts.append(
                f"{_count(self.unverifiable, 'finding')} dropped as unverifiable (the quoted code is not in the file)"
            )
        if self.relocated:
            parts.append(f"{_count(self.relocated, 'finding')} moved to the lines the quoted code stands on")
        if self.unchecked:
            parts.append(f"{_count(self.unchecked, 'finding')} quoting no code kept at the reported lines")
        return f"{self.name}: {', '.join(parts)}" if parts else ""

    def detail(self, count_findings: bool) -> str:
        """One line for a status table: why it failed, what was dropped, or (for an analysis) how
        many findings it reported."""
        return self.error or self.malformed_note() or (f"{self.findings} findings" if count_findings else "")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def add_optional(a: Any, b: Any) -> Any:
    """a + b where either may be unknown (None)."""
    if a is None:
        return b
    return a if b is None else a + b


@dataclass
class CoverageSummary:
    """What the backends were given: every file is analysed or skipped with a reason."""

    analysed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # path -> reason
    shard: str | None = None  # "2/4"
    gone: list[str] = field(default_factory=list)  # --since: files deleted or renamed away since REF

    def line(self) -> str:
        """'12 files analysed, 3 skipped (2 binary, 1 vendored)' — the line every report carries."""
        reasons: dict[str, int] = {}
        for reason in self.skipped.values():
            kind = reason.split(" (")[0]
            reasons[kind] = reasons.get(kind, 0) + 1
        detail = ", ".join(
            f"{count} {kind}" for kind, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        count = len(self.analysed)
        line = f"{count} file{'s' if count != 1 else ''} analysed, {len(self.skipped)} skipped"
        if detail:
            line += f" ({detail})"
        if self.shard is not None:
            line += f"; shard {self.shard}"
        return line


@dataclass
class Verification:
    """The challenge round's figures (findings.challenge)."""

    calls: int = 0  # verification calls made
    answered: int = 0  # of them, answers that held a verdict
    cap: int = 0  # the run's cap on verification calls
    findings: int = 0  # findings put to other backends
    unverified: int = 0  # of them, findings some of whose calls the cap left out
    max_prompt_chars: int = 0  # the longest verification prompt

    def line(self) -> str:
        """'Challenge round: 4 findings put to the other backends, 6 verification calls (5 answered, cap 40)'."""
        line = (
            f"Challenge round: {self.findings} finding{'s' if self.findings != 1 else ''} put to the other"
            f" backends, {self.calls} verification call{'s' if self.calls != 1 else ''}"
            f" ({self.answered} answered, cap {self.cap})"
        )
        if self.unverified:
            line += f"; {self.unverified} left unverified by the cap"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "answered": self.answered,
            "cap": self.cap,
            "findings": self.findings,
            "unverified": self.unverified,
            "max_prompt_chars": self.max_prompt_chars,
        }

    @classmethod
    def combined(cls, rounds: Iterable[Verification | None]) -> Verification | None:
        """The figures of several runs' rounds as one (``lok merge``); None when none had a round.
        Counts add up; so do the caps, since each run's cap bounded only its own calls (the merged
        calls never exceed it); the longest prompt is the longest of any run."""
        held = [item for item in rounds if item is not None]
        if not held:
            return None
        return cls(
            calls=sum(item.calls for item in held),
            answered=sum(item.answered for item in held),
            cap=sum(item.cap for item in held),
            findings=sum(item.findings for item in held),
            unverified=sum(item.unverified for item in held),
            max_prompt_chars=max(item.max_prompt_chars for item in held),
        )

    @classmethod
    def from_dict(cls, data: Any, where: str = "verification.") -> Verification:
        from lok_action import jsonfields as f

        data = f.as_mapping(data, where.rstrip("."))
        return cls(**{key: f.integer(data, key, where, 0) for key in cls().to_dict()})


@dataclass
class Outcome:
    workflow: str
    target: str  # the directory, the revision range, "pull request #7", or the issue/PR number
    findings: list[Finding] = field(default_factory=list)  # merged, every agreement level, report order
    min_consensus: int = 1
    backends: list[BackendStatus] = field(default_factory=list)  # sorted by name
    # None: the run was given no code to analyse (a workflow such as fix or ci)
    coverage: CoverageSummary | None = field(default_factory=CoverageSummary)
    path_prefix: str = ""  # target dir relative to the repository root, for SARIF URIs ("" or "src/")
    text: str = ""  # what the workflow answered besides findings (explain's overview, a proposed fix)
    notes: list[str] = field(default_factory=list)  # for the reader: "analysed only the last commit"
    duration: float = 0.0
    run: RunResult | None = None  # every step's result (lok run --json); None when read back from JSON
    review: ReviewDelta | None = None  # a pull request review: what it is to the last review
    # each backend's own validated findings before the merge (lok eval scores them); not in the JSON
    raw_findings: list[Finding] = field(default_factory=list)
    stop_reason: str = ""  # why the run stopped before asking everything (the cost budget), or ""
    # the challenge round (findings.challenge): findings a majority of their verifiers refuted (never
    # posted), its figures (None: no verification call was due), and the critical findings that are
    # listed as unconfirmed when they miss the quorum (None: none is)
    refuted: list[Finding] = field(default_factory=list)
    verification: Verification | None = None
    unconfirmed_floor: Severity | None = "critical"
    challenge_modes: dict[str, ChallengeMode | None] = field(
        default_factory=dict, repr=False
    )  # by fingerprint

    def record_spend(self, by_backend: Mapping[str, float], stop_reason: str = "") -> None:
        """The run's spend (USD, reported by the backends where they do, else estimated) per backend;
        ``stop_reason`` when the cost budget stopped the run."""
        for status in self.backends:
            if status.name in by_backend:
                status.cost_usd = by_backend[status.name]
        if stop_reason:
            self.stop_reason = stop_reason
            self.notes.append(stop_reason)

    @property
    def cost_usd(self) -> float | None:
        known = [status.cost_usd for status in self.backends if status.cost_usd is not None]
        return sum(known) if known else None

    @property
    def reported(self) -> list[Finding]:
        """The findings that pass --min-consensus (what reports show), in report order."""
        return apply_min_consensus(self.findings, self.min_consensus)

    @property
    def unconfirmed(self) -> list[Finding]:
        """Findings at least as severe as the floor that miss the quorum and were not refuted: never
        dropped silently, listed (not inline) as unconfirmed."""
        floor = self.unconfirmed_floor
        if floor is None:
            return []
        return [
            f
            for f in self.findings
            if f.agreement < self.min_consensus and severity_at_least(f.severity, floor)
        ]

    @property
    def hidden(self) -> int:
        return len(self.findings) - len(self.reported)

    @property
    def analysed_code(self) -> bool:
        """Whether the run was given code (files, a diff, a pull request) rather than only a task."""
        return self.coverage is not None

    @property
    def succeeded(self) -> bool:
        """At least one backend gave a usable answer; a run where every call failed, or every answer
        was unusable, analysed nothing."""
        return any(status.status == "ok" for status in self.backends)

    @property
    def verdict(self) -> Verdict:
        """pass: nothing reported; fail: a critical or high finding; warn: anything else."""
        reported = self.reported
        if not reported:
            return "pass"
        worst = max(SEVERITY_RANK[f.severity] for f in reported)
        return "fail" if worst >= SEVERITY_RANK["high"] else "warn"

    def nothing_analysed(self) -> str:
        """Why nothing was analysed when there was something to analyse, else "" (a false pass
        for --fail-on otherwise: no analysed file, no finding, exit 0)."""
        coverage = self.coverage
        if coverage is None or coverage.analysed or not (coverage.skipped or self.backends):
            return ""
        if self.backends and not self.succeeded:
            reasons = "; ".join(f"{s.name}: {s.error or s.answers_line()}" for s in self.backends)
            return f"no backend gave a usable answer ({reasons})"
        if not self.backends:
            return "no backend ran"
        return "no file was analysed"

    def coverage_line(self) -> str:
        return self.coverage.line() if self.coverage is not None else ""

    def malformed_notes(self) -> list[str]:
        return [note for note in (status.malformed_note() for status in self.backends) if note]

    def trust_notes(self) -> list[str]:
        """What the evidence check and the challenge round did, one line each, for every report."""
        notes = [note for note in (status.evidence_note() for status in self.backends) if note]
        if self.verification is not None:
            notes.append(self.verification.line())
        if self.refuted:
            count = len(self.refuted)
            notes.append(
                f"{count} finding{'s' if count != 1 else ''} refuted by most of their verifiers, not posted"
            )
        return notes

    def to_dict(self) -> dict[str, Any]:
        reported = self.reported
        passed = {id(finding) for finding in reported}
        coverage = self.coverage or CoverageSummary()
        return {
            "format": FORMAT_VERSION,
            "workflow": self.workflow,
            "target": self.target,
            "min_consensus": self.min_consensus,
            "shard": coverage.shard,
            "path_prefix": self.path_prefix,
            "summary": {
                "findings": len(reported),
                "below_consensus": self.hidden,
                "unconfirmed": len(self.unconfirmed),
                "refuted": len(self.refuted),
                "coverage": self.coverage_line(),
                "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
                "stop_reason": self.stop_reason,
            },
            "findings": [finding.to_dict() for finding in reported],
            "below_consensus": [f.to_dict() for f in self.findings if id(f) not in passed],
            "unconfirmed_floor": self.unconfirmed_floor,
            "unconfirmed": [f.fingerprint for f in self.unconfirmed],
            "refuted": [f.to_dict() for f in self.refuted],
            "verification": self.verification.to_dict() if self.verification is not None else None,
            "review": review_to_dict(self.review) if self.review is not None else None,
            "backends": [status.to_dict() for status in self.backends],
            "coverage": {"analysed": list(coverage.analysed), "skipped": dict(coverage.skipped)},
            "text": self.text,
            "notes": list(self.notes),
            "duration": round(self.duration, 1),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<input>") -> Outcome:
        """A lok JSON report read back (`lok merge`): one line naming the file and the field when it
        is not one."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT_VERSION:
            raise UsageError(f'{source}: not a lok analysis JSON (expected "format": "{FORMAT_VERSION}")')
        from lok_action import jsonfields as f

        try:
            findings = [
                Finding.from_dict(item, f"{key}[{index}].")
                for key in ("findings", "below_consensus")
                for index, item in enumerate(f.as_list(data.get(key), key))
            ]
            coverage = f.as_mapping(data.get("coverage"), "coverage")
            refuted = [
                Finding.from_dict(item, f"refuted[{index}].")
                for index, item in enumerate(f.as_list(data.get("refuted", []), "refuted"))
            ]
            floor = f.optional_text(data, "unconfirmed_floor") if "unconfirmed_floor" in data else "critical"
            if floor is not None and floor not in SEVERITY_RANK:
                raise f.FieldError("unconfirmed_floor", f"'{floor}' is not a severity")
            verification = data.get("verification")
            review = data.get("review")  # added to lok-analysis/1 later: an older report has none
            shard = f.optional_text(data, "shard")
            if shard is not None and not _SHARD.fullmatch(shard):
                raise f.FieldError("shard", f"expected I/N such as 2/4, got '{shard}'")
            return cls(
                workflow=f.text(data, "workflow"),
                target=f.text(data, "target"),
                findings=sort_findings(findings),
                min_consensus=f.integer(data, "min_consensus", minimum=1),
                backends=[
                    BackendStatus.from_dict(item, f"backends[{index}].")
                    for index, item in enumerate(f.as_list(data.get("backends"), "backends"))
                ],
                coverage=CoverageSummary(
                    analysed=f.text_list(coverage, "analysed", "coverage."),
                    skipped=f.text_map(coverage, "skipped", "coverage."),
                    shard=shard,
                ),
                path_prefix=f.text(data, "path_prefix", "", ""),
                text=f.text(data, "text", "", ""),
                notes=f.text_list(data, "notes", "") if "notes" in data else [],
                stop_reason=f.text(
                    f.as_mapping(data.get("summary", {}), "summary"), "stop_reason", "summary.", ""
                ),
                duration=f.number(data, "duration", "", 0.0),
                refuted=sort_findings(refuted),
                verification=Verification.from_dict(verification) if verification is not None else None,
                review=review_from_dict(review) if review is not None else None,
                unconfirmed_floor=as_severity(floor) if floor is not None else None,
            )
        except f.FieldError as error:
            raise UsageError(f"{source}: malformed lok analysis JSON: {error}") from None


def review_to_dict(review: ReviewDelta) -> dict[str, Any]:
    """An incremental pull request review's delta (findings.carry.ReviewDelta) in the JSON report."""
    return {
        "head": review.head,
        "since": review.since,
        "reviewed": list(review.reviewed),
        "full_reason": review.full_reason,
        "incremental": review.incremental,  # derived (since set, no full_reason); not read back
        "new": review.new,
        "again": review.again,
        "carried": review.carried,
        "fixed": [finding.to_dict() for finding in review.fixed],
    }


def review_from_dict(data: Any, where: str = "review.") -> ReviewDelta:
    from lok_action import jsonfields as f
    from lok_action.findings.carry import ReviewDelta

    data = f.as_mapping(data, where.rstrip("."))
    return ReviewDelta(
        head=f.text(data, "head", where),
        since=f.text(data, "since", where, ""),
        reviewed=f.text_list(data, "reviewed", where),
        full_reason=f.text(data, "full_reason", where, ""),
        new=f.integer(data, "new", where, 0),
        again=f.integer(data, "again", where, 0),
        carried=f.integer(data, "carried", where, 0),
        fixed=[
            Finding.from_dict(item, f"{where}fixed[{index}].")
            for index, item in enumerate(f.as_list(data.get("fixed", []), f"{where}fixed"))
        ],
    )
