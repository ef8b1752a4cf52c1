"""Backends argue a question over rounds until they all agree or the rounds run out.

Round 1 asks every backend for its position, in parallel. Each later round shows every backend the
others' latest positions and asks for a structured verdict (JSON: position, what changed, agree with
each other backend). Consensus is read from those verdicts, never guessed from wording. A backend
whose call fails, or whose verdict cannot be parsed even after one repair request, drops out and is
named in the result.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lok_action.ensemble.common import CallSettings
from lok_action.jsonextract import OutputParseError, extract_json
from lok_action.shorten import clip, one_line

if TYPE_CHECKING:
    from lok_action.backends.base import Backend
    from lok_action.reply import Reply

POSITION_CHARS = 4000  # most characters of one position quoted to the other backends


@dataclass
class Position:
    """One backend's answer in one round."""

    backend: str
    round: int
    position: str
    changed: str = ""
    agree: dict[str, bool] = field(default_factory=dict)  # other backend -> agrees with its position
    duration: float = 0.0
    cost_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "round": self.round,
            "position": self.position,
            "changed": self.changed,
            "agree": dict(self.agree),
            "duration": round(self.duration, 3),
            "cost_usd": self.cost_usd,
        }


@dataclass
class DebateResult:
    question: str
    participants: list[str]
    rounds: list[list[Position]] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # backend -> why it dropped out
    consensus: bool = False
    disagreements: list[tuple[str, str]] = field(default_factory=list)  # (who, does not agree with whom)
    synthesis: str = ""
    synthesized_by: str | None = None  # backend name, or None when computed
    duration: float = 0.0

    @property
    def active(self) -> list[str]:
        return [name for name in self.participants if name not in self.dropped]

    @property
    def latest(self) -> dict[str, Position]:
        """Each still-active backend's most recent position."""
        found: dict[str, Position] = {}
        for positions in self.rounds:
            for position in positions:
                if position.backend not in self.dropped:
                    found[position.backend] = position
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "participants": self.participants,
            "active": self.active,
            "dropped": dict(self.dropped),
            "rounds_run": len(self.rounds),
            "consensus": self.consensus,
            "disagreements": [{"backend": a, "disagrees_with": b} for a, b in self.disagreements],
            "synthesis": self.synthesis,
            "synthesized_by": self.synthesized_by,
            "duration": round(self.duration, 3),
            "rounds": [[p.to_dict() for p in positions] for positions in self.rounds],
        }


class VerdictError(ValueError):
    """A backend's verdict is not the JSON the debate asked for. Internal (not a LokError): the backend
    is asked once more, then drops out with this as the reason."""


def run_debate(
    question: str,
    backends: Sequence[Backend],
    settings: CallSettings,
    synthesizer: Backend | None = None,
    rounds: int = 3,
) -> DebateResult:
    """At most ``rounds`` rounds (the opening one included), stopping once every backend agrees."""
    started = time.monotonic()
    result = DebateResult(question=question, participants=[b.name for b in backends])
    by_name = {backend.name: backend for backend in backends}
    for round_number in range(1, rounds + 1):
        active = [by_name[name] for name in result.active]
        if len(active) < 2:
            settings.note(f"round {round_number}: fewer than 2 backends left, debate over")
            break
        settings.note(f"round {round_number}: asking {', '.join(b.name for b in active)}")
        earlier = result.latest
        positions = _ask_round(question, round_number, active, earlier, settings, result.dropped)
        result.rounds.append(positions)
        if round_number > 1:
            result.consensus, result.disagreements = judge(result.latest, result.active)
            if result.consensus:
                settings.note(f"round {round_number}: all {len(result.active)} backends agree, stopping")
                break
    if len(result.rounds) < 2:
        result.consensus, result.disagreements = False, []
    _synthesize(result, synthesizer, settings)
    result.duration = time.monotonic() - started
    return result


def judge(latest: dict[str, Position], active: Sequence[str]) -> tuple[bool, list[tuple[str, str]]]:
    """Consensus when at least two backends remain and every one agrees with every other one.
    A missing agree entry counts as disagreement: silence is not assent."""
    disagreements = [
        (name, other)
        for name in active
        for other in active
        if other != name and not latest[name].agree.get(other, False)
    ]
    return len(active) >= 2 and not disagreements, disagreements


def _ask_round(
    question: str,
    round_number: int,
    active: Sequence[Backend],
    earlier: dict[str, Position],
    settings: CallSettings,
    dropped: dict[str, str],
) -> list[Position]:
    names = [backend.name for backend in active]

    def ask(backend: Backend) -> Position | str:
        others = [name for name in names if name != backend.name]
        prompt = (
            opening_prompt(question)
            if round_number == 1
            else verdict_prompt(question, round_number, backend.name, earlier, others)
        )
        return _ask_one(backend, prompt, round_number, others, settings)

    positions: list[Position] = []
    outcomes = settings.each(ask, active)
    for backend, outcome in zip(active, outcomes, strict=True):
        if isinstance(outcome, str):
            dropped[backend.name] = f"round {round_number}: {outcome}"
            settings.note(f"round {round_number}: {backend.name} dropped out: {outcome}")
        else:
            positions.append(outcome)
            if outcome.changed:
                settings.note(f"round {round_number}: {backend.name} changed: {one_line(outcome.changed)}")
    return positions


def _ask_one(
    backend: Backend, prompt: str, round_number: int, others: list[str], settings: CallSettings
) -> Position | str:
    """The backend's position, or the reason it drops out. An unreadable verdict gets one repair
    request (round 1 accepts plain text, so only verdict rounds need one): models often wrap JSON in
    prose the first time."""
    repaired = False
    while True:
        reply = settings.ask(backend, prompt)
        if not reply.ok:
            return reply.error or "failed"
        try:
            return parse_position(reply, round_number, others)
        except VerdictError as error:
            if repaired:
                return f"no usable verdict: {error}"
            settings.note(f"round {round_number}: {backend.name} verdict unreadable, asking again")
            prompt = f"{prompt}\n\nYour previous answer could not be used: {error}\nAnswer again with only the JSON object."
            repaired = True


def parse_position(reply: Reply, round_number: int, others: Sequence[str]) -> Position:
    """Round 1 accepts JSON or plain text; later rounds need the verdict object."""
    position = Position(reply.backend, round_number, "", duration=reply.duration, cost_usd=reply.cost_usd)
    try:
        data = extract_json(reply.text, "json")
    except OutputParseError as error:
        if round_number == 1:
            position.position = reply.text.strip()
            return position
        raise VerdictError(str(error)) from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("position"), str)
        or not data["position"].strip()
    ):
        if round_number == 1:
            position.position = reply.text.strip()
            return position
        raise VerdictError('the JSON has no "position" string')
    position.position = data["position"].strip()
    if round_number == 1:
        return position
    changed = data.get("changed", "")
    position.changed = "" if changed in (None, False) else str(changed).strip()
    if position.changed.lower() in ("no", "nothing", "none", "false", "unchanged", "n/a"):
        position.changed = ""
    position.agree = read_agreement(data.get("agree"), others)
    return position


YES, NO = ("true", "yes", "agree"), ("false", "no", "disagree")


def read_agreement(agree: Any, others: Sequence[str]) -> dict[str, bool]:
    """Whether the backend agrees with each other participant. Asked for as an object (name -> true or
    false); the plain forms real models answer instead are read too: `true`/`"yes"` (with all of them),
    `false`/`"no"`, or the list of the names it agrees with."""
    if isinstance(agree, bool):
        return dict.fromkeys(others, agree)
    if isinstance(agree, str) and agree.strip().lower() in YES + NO:
        return dict.fromkeys(others, agree.strip().lower() in YES)
    if isinstance(agree, list) and all(isinstance(name, str) for name in agree):
        named = {name.strip().lower() for name in agree}
        return {other: other.lower() in named for other in others}
    if isinstance(agree, dict):
        lowered = {str(key).strip().lower(): value for key, value in agree.items()}
        return {other: _says_yes(lowered.get(other.lower())) for other in others}
    raise VerdictError('the JSON has no "agree" answer (an object of true/false per participant)')


def _says_yes(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in YES)


def opening_prompt(question: str) -> str:
    return (
        "You are taking part in a debate between several AI assistants.\n\n"
        f"Question:\n{question}\n\n"
        "Give your position: a clear answer and the main reasons for it. "
        'Answer with a JSON object: {"position": "your answer and reasons"}'
    )


def verdict_prompt(
    question: str, round_number: int, name: str, earlier: dict[str, Position], others: Sequence[str]
) -> str:
    own = earlier.get(name)
    lines = [
        "You are taking part in a debate between several AI assistants.",
        f"This is round {round_number}. You are '{name}'.",
        "",
        f"Question:\n{question}",
        "",
    ]
    if own is not None:
        lines += [f"Your latest position:\n{_clip(own.position)}", ""]
    lines.append("The other participants' latest positions:")
    for other in others:
        if other in earlier:
            lines += [f"### {other}", _clip(earlier[other].position), ""]
    template = ", ".join(f'"{other}": true or false' for other in others)
    lines += [
        "Reconsider your position in the light of theirs. Change it only if they convinced you.",
        "Answer with only this JSON object:",
        '{"position": "your (possibly revised) position", '
        '"changed": "what you changed and why, or an empty string", '
        f'"agree": {{{template}}}}}',
        "where agree says, for each other participant, whether you now agree with their position.",
    ]
    return "\n".join(lines)


def _synthesize(result: DebateResult, synthesizer: Backend | None, settings: CallSettings) -> None:
    computed = computed_synthesis(result)
    result.synthesis = computed
    if synthesizer is None or not result.rounds:
        return
    settings.note(f"synthesis by {synthesizer.name}")
    prompt = (
        f"Several AI assistants debated this question:\n{result.question}\n\n"
        f"Outcome so far:\n{computed}\n\n"
        "Write the final synthesis: state the consensus if there is one, otherwise the remaining "
        "disagreement and what each side holds. Be concise."
    )
    reply = settings.ask(synthesizer, prompt)
    if reply.ok and reply.text.strip():
        result.synthesis = reply.text.strip()
        result.synthesized_by = synthesizer.name
    else:
        settings.note(f"synthesis by {synthesizer.name} failed ({reply.error}); using the computed one")


def computed_synthesis(result: DebateResult) -> str:
    """The outcome stated from the verdicts alone, no model needed."""
    latest = result.latest
    rounds = len(result.rounds)
    lines: list[str] = []
    if result.consensus:
        lines.append(
            f"Consensus after {rounds} round{'s' if rounds != 1 else ''} among {', '.join(result.active)}."
        )
    elif rounds < 2:
        lines.append("No verdict round was held, so agreement is unknown.")
    else:
        lines.append(f"No consensus after {rounds} rounds. Remaining disagreement:")
        for who, whom in result.disagreements:
            lines.append(f"- {who} does not agree with {whom}")
    if latest:
        lines.append("")
        lines.append("Final positions:")
        for name in result.active:
            if name in latest:
                lines.append(f"- {name}: {one_line(latest[name].position, 600)}")
    if result.dropped:
        lines.append("")
        lines.append("Dropped out: " + "; ".join(f"{n} ({why})" for n, why in result.dropped.items()))
    return "\n".join(lines)


def transcript_markdown(result: DebateResult) -> str:
    lines = [f"# Debate: {one_line(result.question, 200)}", "", f"Question: {result.question}", ""]
    lines.append(f"Participants: {', '.join(result.participants)}")
    lines.append("")
    for index, positions in enumerate(result.rounds, start=1):
        lines.append(f"## Round {index}")
        lines.append("")
        for position in positions:
            lines.append(f"### {position.backend}")
            lines.append("")
            lines.append(position.position)
            lines.append("")
            if position.changed:
                lines += [f"*Changed:* {position.changed}", ""]
            if position.agree:
                verdicts = ", ".join(
                    f"{o}: {'agrees' if v else 'disagrees'}" for o, v in position.agree.items()
                )
                lines += [f"*Verdict:* {verdicts}", ""]
    for name, why in result.dropped.items():
        lines.append(f"*{name} dropped out ({why}).*")
        lines.append("")
    title = "Consensus" if result.consensus else "Outcome"
    by = f" (by {result.synthesized_by})" if result.synthesized_by else ""
    lines += [f"## {title}{by}", "", result.synthesis, ""]
    return "\n".join(lines)


def _clip(text: str) -> str:
    return clip(text, POSITION_CHARS, "\n[… cut]")
