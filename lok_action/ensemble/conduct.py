"""An autonomous loop: each round a conductor backend picks one action as JSON, lok carries it out and
feeds the result back, until the conductor finishes or a hard limit (rounds, wall time, spend) stops it.

Actions: query a backend, run a workflow, apply edits (only through the engine's all-or-none
apply_edits, with a verify command the user allowed, so a failing round is rolled back), finish.
A malformed decision is fed back as an error and still counts as a round. Every decision is appended
to conduct.jsonl in the run folder as it happens.

The answer cache is not used here: the workspace can change between rounds, so an old answer to the
same prompt may be wrong now.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from lok_action import shorten
from lok_action.backends.calling import call_backend
from lok_action.ensemble.common import save_json
from lok_action.errors import LokError
from lok_action.jsonextract import OutputParseError, extract_json
from lok_action.workflow.edits import EditError

if TYPE_CHECKING:
    from lok_action.backends.base import Backend
    from lok_action.cassette import Cassette
    from lok_action.config import Config
    from lok_action.reply import Reply

Action = Literal["query", "workflow", "edit", "finish"]
ACTIONS: tuple[Action, ...] = get_args(Action)
FINISHED = "conductor finished"  # the stop reason when the conductor chose to finish
CONDUCTING = "orchestration, reasoning, planning"  # what `lok suggest` picks the conductor for
RESULT_CHARS = 3000  # most characters of one action's result fed back to the conductor
FULL_HISTORY_ROUNDS = 6  # older rounds are shown in one line each


class DecisionError(ValueError):
    """The conductor's answer is not a valid decision. Internal (not a LokError): fed back to the
    conductor as that round's error."""


@dataclass
class Round:
    number: int
    started: float  # seconds since the loop began
    decision: dict[str, Any] | None = None
    error: str | None = None  # malformed decision or failed action
    result: str = ""  # what the action produced, fed back next round
    cost_usd: float = 0.0  # spend in this round (conductor + action)
    duration: float = 0.0

    @property
    def action(self) -> Action | Literal["invalid"]:
        return self.decision["action"] if self.decision else "invalid"  # parse_decision checked it

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "started": round(self.started, 3),
            "action": self.action,
            "decision": self.decision,
            "error": self.error,
            "result": self.result,
            "cost_usd": round(self.cost_usd, 6),
            "duration": round(self.duration, 3),
        }


@dataclass
class ConductResult:
    goal: str
    conductor: str
    run_id: str
    run_dir: Path
    rounds: list[Round] = field(default_factory=list)
    finished: bool = False
    summary: str = ""
    stop_reason: str = ""
    spend_usd: float = 0.0
    unpriced_calls: int = 0  # calls whose backend reports no cost (not counted in spend)
    duration: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal,
            "conductor": self.conductor,
            "run_id": self.run_id,
            "run_dir": str(self.run_dir),
            "finished": self.finished,
            "summary": self.summary,
            "stop_reason": self.stop_reason,
            "rounds_run": len(self.rounds),
            "spend_usd": round(self.spend_usd, 6),
            "unpriced_calls": self.unpriced_calls,
            "duration": round(self.duration, 3),
            "rounds": [r.to_dict() for r in self.rounds],
        }


@dataclass(frozen=True)
class ConductLimits:
    max_rounds: int = 10
    max_seconds: float = 1800.0
    max_cost_usd: float | None = None


@dataclass(frozen=True)
class ConductSettings:
    config: Config
    workdir: Path
    env: Mapping[str, str]
    note: Callable[[str], None]
    backends: Sequence[str]  # names the conductor may query
    workflows: Sequence[str]  # names the conductor may run
    verify_commands: Sequence[str] = ()  # the only verify commands edits may use; none = edits refused
    # --record / --replay: every call of the loop (conductor, queries, workflows) recorded, or answered
    # from the cassette; the conductor is then told the time limit, not the seconds left, so that its
    # prompts repeat from run to run and a replay finds them
    cassette: Cassette | None = None


class _Loop:
    def __init__(
        self,
        goal: str,
        conductor: Backend,
        limits: ConductLimits,
        settings: ConductSettings,
        result: ConductResult,
    ) -> None:
        self.goal = goal
        self.conductor = conductor
        self.limits = limits
        self.settings = settings
        self.result = result
        self.began = time.monotonic()
        self.log = result.run_dir / "conduct.jsonl"
        # a replay's clock is not the recording's: it stops where the recording stopped instead
        self.recorded = recorded_loop(settings.cassette)

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def remaining(self) -> float:
        return self.limits.max_seconds - self.elapsed()

    def deadline(self) -> float:
        """The loop's time limit as a time.monotonic() value, for the engine's RunContext."""
        return self.began + self.limits.max_seconds

    def limit_reached(self) -> str | None:
        limits, result = self.limits, self.result
        if len(result.rounds) >= limits.max_rounds:
            return f"round limit reached ({limits.max_rounds} rounds)"
        if self.recorded is not None:
            rounds, reason = self.recorded
            if len(result.rounds) >= rounds and reason != FINISHED:
                return reason  # the recording's time limit (or another stop) came here
        elif self.remaining() <= 0:
            return f"time limit reached ({limits.max_seconds:g}s)"
        if limits.max_cost_usd is not None and result.spend_usd >= limits.max_cost_usd:
            return f"spend limit reached (${result.spend_usd:.4f} of ${limits.max_cost_usd:g})"
        return None

    def timeout_for(self, backend: Backend) -> float:
        """The backend's own timeout, cut to the wall time left: the time limit is hard."""
        return max(0.1, min(self.settings.config.backend_timeout(backend.config), self.remaining()))

    def charge(self, round_: Round, replies: Sequence[Reply]) -> None:
        for reply in replies:
            if reply.cost_usd is None:
                self.result.unpriced_calls += 1
            else:
                round_.cost_usd += reply.cost_usd
                self.result.spend_usd += reply.cost_usd

    def run(self) -> None:
        while True:
            reason = self.limit_reached()
            if reason is not None:
                self.result.stop_reason = reason
                self.settings.note(f"stopping: {reason}")
                return
            round_ = Round(len(self.result.rounds) + 1, self.elapsed())
            self.play(round_)
            round_.duration = self.elapsed() - round_.started
            self.result.rounds.append(round_)
            self.write_log(round_)
            if self.result.finished:
                self.result.stop_reason = FINISHED
                return

    def play(self, round_: Round) -> None:
        note = self.settings.note
        prompt = conductor_prompt(
            self.goal,
            self.result.rounds,
            self.settings,
            self.limits,
            round_.number,
            None if self.settings.cassette is not None else self.remaining(),
            self.result.spend_usd,
        )
        reply = self.ask(self.conductor, prompt)
        self.charge(round_, [reply])
        if not reply.ok:
            round_.error = f"conductor {self.conductor.name} failed: {reply.error}"
            note(f"round {round_.number}: {round_.error}")
            return
        try:
            round_.decision = parse_decision(reply.text, self.settings)
        except DecisionError as error:
            round_.error = f"invalid decision: {error}"
            note(f"round {round_.number}: {round_.error}")
            return
        note(f"round {round_.number}: {describe(round_.decision)}")
        try:
            round_.result, replies = self.act(round_.decision)
            self.charge(round_, replies)
        except (ActionFailed, EditError, LokError) as error:  # LokError: e.g. an invalid workflow file
            if isinstance(error, ActionFailed):
                self.charge(round_, error.replies)
            round_.error = str(error)
            note(f"round {round_.number}: {round_.action} failed: {error}")

    def act(self, decision: dict[str, Any]) -> tuple[str, list[Reply]]:
        action = decision["action"]
        if action == "finish":
            self.result.finished = True
            self.result.summary = decision["summary"]
            return "finished", []
        if action == "query":
            return self.query(decision["backend"], decision["prompt"])
        if action == "workflow":
            return self.workflow(decision["name"], decision["args"])
        return self.edit(decision["edits"], decision["verify"]), []

    def ask(self, backend: Backend, prompt: str) -> Reply:
        return call_backend(
            backend, prompt, self.settings.workdir, self.timeout_for(backend), cassette=self.settings.cassette
        )

    def query(self, name: str, prompt: str) -> tuple[str, list[Reply]]:
        from lok_action.backends import resolve_backends

        backend = resolve_backends(self.settings.config, [name], env=self.settings.env)[0]
        reply = self.ask(backend, prompt)
        if not reply.ok:
            raise ActionFailed(f"{name} failed: {reply.error}", [reply])
        return clip(reply.text), [reply]

    def workflow(self, name: str, args: list[str]) -> tuple[str, list[Reply]]:
        from lok_action.workflow.lookup import find_workflow
        from lok_action.workflow.runner import RunContext, run_workflow

        workflow = find_workflow(name, self.settings.workdir, self.settings.env)
        # the deadline makes the time limit hard inside the workflow too: no step starts after it and
        # every backend call and shell command is cut to the time left
        context = RunContext(
            config=self.settings.config,
            workdir=self.settings.workdir,
            args=list(args),
            env=self.settings.env,
            deadline=self.deadline(),
            cassette=self.settings.cassette,
        )
        run = run_workflow(workflow, context)
        replies = [reply for step in run.steps.values() for reply in step.replies]
        status = "ok" if run.success else "FAILED"
        lines = [f"workflow {name}: {status}" + (f" ({run.stop_reason})" if run.stop_reason else "")]
        for step in run.steps.values():
            detail = step.error or step.text or step.message or str(step.output)
            lines.append(f"- {step.name}: {step.status}: {clip(detail, 1000)}")
        return clip("\n".join(lines)), replies

    def edit(self, edits: list[Any], verify: str) -> str:
        from lok_action.workflow.edits import apply_edits_from_outputs
        from lok_action.workflow.runner import RunContext

        context = RunContext(
            config=self.settings.config,
            workdir=self.settings.workdir,
            env=self.settings.env,
            deadline=self.deadline(),
        )
        # raises EditError with the workspace restored byte for byte when an edit or verify fails
        return apply_edits_from_outputs(
            [json.dumps({"edits": edits})],
            context,
            verify=verify,
            variables={},
            step_names=[],
            timeout=max(0.1, min(self.settings.config.timeout, self.remaining())),
            note=self.settings.note,
        )

    def write_log(self, round_: Round) -> None:
        # one line per decision, appended and flushed as it happens (a crash keeps what came before)
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(round_.to_dict(), ensure_ascii=False) + "\n")
            handle.flush()


class ActionFailed(Exception):
    """Internal (not a LokError): an action ran but failed; its replies still count toward spend, and
    the failure is fed back to the conductor as that round's error."""

    def __init__(self, message: str, replies: list[Reply]) -> None:
        super().__init__(message)
        self.replies = replies


def run_conduct(
    goal: str, conductor: Backend, limits: ConductLimits, settings: ConductSettings, run_dir: Path
) -> ConductResult:
    result = ConductResult(goal, conductor.name, run_dir.name, run_dir)
    loop = _Loop(goal, conductor, limits, settings, result)
    loop.run()
    result.duration = loop.elapsed()
    if settings.cassette is not None:
        keep_timings(settings.cassette, result, settings.note)
    save_json(run_dir / "result.json", result.to_dict())
    return result


def recorded_loop(cassette: Cassette | None) -> tuple[int, str] | None:
    """In a replay of a finished recording: how many rounds it ran and why it stopped."""
    if cassette is None or not cassette.replaying:
        return None
    facts = cassette.facts()
    rounds, reason = facts.get("rounds"), facts.get("stop_reason")
    if not isinstance(rounds, list) or not isinstance(reason, str):
        return None
    return len(rounds), reason


def keep_timings(cassette: Cassette, result: ConductResult, note: Callable[[str], None]) -> None:
    """Recording: the loop's and each round's times, and why it stopped, go to meta.json. Replaying:
    the times come from it (when the replay ran as many rounds), so a replay reports what the recorded
    run took, as `lok run` does. conduct.jsonl is written as the rounds happen, with this run's times."""
    if not cassette.replaying:
        timings = [[r.started, r.duration] for r in result.rounds]
        cassette.finish(wall_time=result.duration, rounds=timings, stop_reason=result.stop_reason)
        return
    facts = cassette.facts()
    kept = facts.get("rounds")
    recorded = cassette.wall_time()
    if isinstance(kept, list) and len(kept) == len(result.rounds) and recorded is not None:
        for round_, pair in zip(result.rounds, kept, strict=True):
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, (int, float)) for x in pair):
                round_.started, round_.duration = float(pair[0]), float(pair[1])
        result.duration = recorded
    elif isinstance(kept, list):
        note(f"the replay ran {len(result.rounds)} rounds, the recording {len(kept)}: times are this run's")
    cassette.finish(wall_time=result.duration)  # only when it recorded misses


def parse_decision(text: str, settings: ConductSettings) -> dict[str, Any]:
    """The decision object, checked field by field against what this run allows."""
    try:
        data = extract_json(text, "json")
    except OutputParseError as error:
        raise DecisionError(str(error)) from None
    if not isinstance(data, dict):
        raise DecisionError("expected a JSON object with an 'action'")
    action = data.get("action")
    if action not in ACTIONS:
        raise DecisionError(f"'action' must be one of {', '.join(ACTIONS)}, got {action!r}")
    if action == "finish":
        return {"action": action, "summary": _text_field(data, "summary", allow_empty=True)}
    if action == "query":
        backend = _text_field(data, "backend")
        if backend not in settings.backends:
            raise DecisionError(f"unknown backend {backend!r} (available: {', '.join(settings.backends)})")
        return {"action": action, "backend": backend, "prompt": _text_field(data, "prompt")}
    if action == "workflow":
        name = _text_field(data, "name")
        if name not in settings.workflows:
            raise DecisionError(f"unknown workflow {name!r} (available: {', '.join(settings.workflows)})")
        args = data.get("args", [])
        if not isinstance(args, list) or not all(isinstance(arg, (str, int, float)) for arg in args):
            raise DecisionError("'args' must be a list of strings")
        return {"action": action, "name": name, "args": [str(arg) for arg in args]}
    return _edit_decision(data, settings)


def _edit_decision(data: dict[str, Any], settings: ConductSettings) -> dict[str, Any]:
    if not settings.verify_commands:
        raise DecisionError("edits are not allowed in this run (the user gave no --verify command)")
    edits = data.get("edits")
    if not isinstance(edits, list) or not edits:
        raise DecisionError("'edits' must be a non-empty list of {file, old, new}")
    verify = data.get("verify") or settings.verify_commands[0]
    # LLM text never reaches a shell: only a command the user allowed, verbatim
    if verify not in settings.verify_commands:
        raise DecisionError(
            f"'verify' must be one of the allowed commands: {', '.join(repr(v) for v in settings.verify_commands)}"
        )
    return {"action": "edit", "edits": edits, "verify": verify}


def _text_field(data: dict[str, Any], key: str, allow_empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise DecisionError(f"'{key}' must be a non-empty string for action '{data.get('action')}'")
    return value


def describe(decision: dict[str, Any]) -> str:
    action = decision["action"]
    if action == "query":
        return f"query {decision['backend']}: {clip(' '.join(decision['prompt'].split()), 80)}"
    if action == "workflow":
        return f"workflow {decision['name']} {' '.join(decision['args'])}".rstrip()
    if action == "edit":
        files = sorted({str(e.get("file")) for e in decision["edits"] if isinstance(e, dict)})
        return f"edit {', '.join(files)} (verify: {decision['verify']})"
    return f"finish: {clip(decision['summary'], 80)}"


def conductor_prompt(
    goal: str,
    history: Sequence[Round],
    settings: ConductSettings,
    limits: ConductLimits,
    number: int,
    remaining: float | None,
    spend: float,
) -> str:
    lines = [
        "You are the conductor of an automated loop working toward a goal in the repository in your "
        "working directory. Each round choose exactly ONE action and answer with only one JSON object:",
        f'{{"action": "query", "backend": NAME, "prompt": "..."}}  ask a backend; NAME one of: {", ".join(settings.backends)}',
        f'{{"action": "workflow", "name": NAME, "args": ["..."]}}  run a lok workflow; NAME one of: {", ".join(settings.workflows) or "(none)"}',
    ]
    if settings.verify_commands:
        lines.append(
            '{"action": "edit", "edits": [{"file": "path", "old": "exact text", "new": "replacement"}], '
            f'"verify": COMMAND}}  change files, all edits or none; COMMAND one of: {", ".join(json.dumps(v) for v in settings.verify_commands)}; '
            "if it fails the edits are rolled back"
        )
    else:
        lines.append("(editing files is not allowed in this run)")
    lines.append('{"action": "finish", "summary": "..."}  stop: the goal is reached or cannot be')
    budget = f", spent ${spend:.4f} of ${limits.max_cost_usd:g}" if limits.max_cost_usd is not None else ""
    lines += [
        "",
        f"Goal:\n{goal}",
        "",
        f"This is round {number} of at most {limits.max_rounds}; "
        + (f"{limits.max_seconds:g}s time limit" if remaining is None else f"{max(0.0, remaining):.0f}s left")
        + f"{budget}.",
    ]
    if history:
        lines += ["", "What happened so far:"]
        cutoff = len(history) - FULL_HISTORY_ROUNDS
        for past in history:
            decision = (
                json.dumps(past.decision, ensure_ascii=False) if past.decision else "(no valid decision)"
            )
            outcome = f"ERROR: {past.error}" if past.error else past.result
            if past.number <= cutoff:
                lines.append(f"Round {past.number}: {clip(decision, 200)} -> {clip(outcome, 200)}")
            else:
                lines.append(f"Round {past.number}: {clip(decision, 1500)}\n-> {outcome}")
    return "\n".join(lines)


def clip(text: str, limit: int = RESULT_CHARS) -> str:
    return shorten.clip(text, limit)
