"""Split a task into independent subtasks, run each on the backend best suited to it, in parallel, and
merge the results into one answer. The plan and every output are kept under .lok/runs/<id>/.

Merging: by default the outputs are concatenated under one header per subtask, which loses nothing
and costs no call; with a merger backend, that backend writes one combined answer from them (and the
concatenation is still saved, and used if the merger fails).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lok_action.atomic import atomic_write_text
from lok_action.ensemble.common import CallSettings, Ensemble, save_json
from lok_action.errors import LokError, UsageError
from lok_action.jsonextract import OutputParseError, extract_json

if TYPE_CHECKING:
    from lok_action.backends.base import Backend
    from lok_action.reply import Reply

MAX_SUBTASKS = 8
PLANNING = "plan and split a task (orchestration, reasoning)"  # what `lok suggest` picks the planner for
SLUG = re.compile(r"[^a-z0-9]+")


class SpawnFailure(LokError):
    """The task could not be split (the planner failed or gave no usable plan). A LokError on purpose:
    it is the run's outcome, told on one line with exit 1, not a control-flow signal."""

    exit_code = 1


@dataclass
class Subtask:
    name: str
    description: str
    backend: str = ""  # chosen before running
    reason: str = ""  # why that backend

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "backend": self.backend,
            "reason": self.reason,
        }


@dataclass
class SubtaskOutcome:
    subtask: Subtask
    reply: Reply
    started: float  # seconds since the spawn began
    finished: float
    file: str = ""  # saved output, relative to the run folder

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.subtask.to_dict(),
            "ok": self.reply.ok,
            "output": self.reply.text,
            "error": self.reply.error,
            "started": round(self.started, 3),
            "finished": round(self.finished, 3),
            "duration": round(self.reply.duration, 3),
            "cost_usd": self.reply.cost_usd,
            "file": self.file,
        }


@dataclass
class SpawnResult:
    task: str
    run_id: str
    run_dir: Path
    planner: str | None  # None when the subtasks were given with -a
    outcomes: list[SubtaskOutcome] = field(default_factory=list)
    merged: str = ""
    merged_by: str | None = None  # backend name, or None for concatenation
    subtasks_wall: float = 0.0  # wall time of the parallel subtask phase
    duration: float = 0.0

    @property
    def success(self) -> bool:
        return bool(self.outcomes) and all(outcome.reply.ok for outcome in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "run_id": self.run_id,
            "run_dir": str(self.run_dir),
            "planner": self.planner,
            "success": self.success,
            "subtasks": [outcome.to_dict() for outcome in self.outcomes],
            "failed": [o.subtask.name for o in self.outcomes if not o.reply.ok],
            "merged": self.merged,
            "merged_by": self.merged_by,
            "subtasks_wall": round(self.subtasks_wall, 3),
            "duration": round(self.duration, 3),
        }


def run_spawn(
    task: str,
    ensemble: Ensemble,
    settings: CallSettings,
    *,
    explicit: Sequence[Subtask] = (),
    planner_name: str | None = None,
    merger_name: str | None = None,
) -> SpawnResult:
    """Plan (or take ``explicit`` subtasks), run every subtask on its best-suited backend among the
    ensemble's, merge, and save it all in a new run folder. Raises SpawnFailure without a usable plan."""
    from lok_action.rundir import new_run_dir

    started = time.monotonic()
    workers = {backend.name: backend for backend in ensemble.backends(ensemble.names)}
    merger = ensemble.backend(merger_name) if merger_name else None
    run_dir = new_run_dir(ensemble.workdir)
    plan_text: str | None = None
    if explicit:
        subtasks, planner_name = list(explicit), None
    else:
        planner = ensemble.backend(planner_name or ensemble.best_for(PLANNING)[0])
        planner_name = planner.name
        settings.note(f"planning with {planner.name}")
        subtasks, plan_text = plan_subtasks(task, planner, settings)
    for subtask in subtasks:
        subtask.backend, subtask.reason = ensemble.best_for(subtask.description, list(workers))
        settings.note(f"{subtask.name} -> {subtask.backend} ({subtask.reason})")
    result = SpawnResult(task, run_dir.name, run_dir, planner_name)
    result.outcomes, result.subtasks_wall = run_subtasks(task, subtasks, workers, settings)
    result.merged = concatenate(task, result.outcomes)
    if merger is not None and any(outcome.reply.ok for outcome in result.outcomes):
        result.merged, result.merged_by = merge_with_backend(task, result.merged, merger, settings)
    result.duration = time.monotonic() - started
    save_run(result, plan_text)
    settings.note(f"saved in {run_dir}")
    return result


def parse_subtask_specs(specs: Sequence[str]) -> list[Subtask]:
    """`-a name:description` options as subtasks."""
    subtasks = []
    for spec in specs:
        name, sep, description = spec.partition(":")
        if not sep or not name.strip() or not description.strip():
            raise UsageError(f"-a {spec!r}: expected NAME:DESCRIPTION")
        subtasks.append(Subtask(name.strip(), description.strip()))
    return unique_names(subtasks)


def unique_names(subtasks: list[Subtask]) -> list[Subtask]:
    """File-safe, distinct names (they become file names in the run folder)."""
    seen: set[str] = set()
    for index, subtask in enumerate(subtasks, start=1):
        base = SLUG.sub("-", subtask.name.lower()).strip("-")[:40] or f"subtask-{index}"
        name, n = base, 2
        while name in seen:
            name, n = f"{base}-{n}", n + 1
        seen.add(name)
        subtask.name = name
    return subtasks


def planner_prompt(task: str) -> str:
    return (
        "Split the following task into independent subtasks that different assistants can do in "
        f"parallel, without waiting for each other (at most {MAX_SUBTASKS}).\n\n"
        f"Task:\n{task}\n\n"
        "Answer with only this JSON object:\n"
        '{"subtasks": [{"name": "short-name", "description": "what exactly to do, self-contained"}]}'
    )


def plan_subtasks(task: str, planner: Backend, settings: CallSettings) -> tuple[list[Subtask], str]:
    """The planner's subtasks and its raw answer. Raises SpawnFailure when there is no usable plan."""
    reply = settings.ask(planner, planner_prompt(task))
    if not reply.ok:
        raise SpawnFailure(f"planner {planner.name} failed: {reply.error}")
    try:
        data = extract_json(reply.text, "json")
    except OutputParseError as error:
        raise SpawnFailure(f"planner {planner.name}: {error}") from None
    items = data.get("subtasks") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise SpawnFailure(f'planner {planner.name}: the JSON has no non-empty "subtasks" list')
    subtasks = []
    for index, item in enumerate(items):
        if isinstance(item, str) and item.strip():
            subtasks.append(Subtask(f"subtask-{index + 1}", item.strip()))
        elif (
            isinstance(item, dict)
            and isinstance(item.get("description"), str)
            and item["description"].strip()
        ):
            subtasks.append(
                Subtask(str(item.get("name") or f"subtask-{index + 1}"), item["description"].strip())
            )
        else:
            raise SpawnFailure(f'planner {planner.name}: subtasks[{index}] has no "description" string')
    if len(subtasks) > MAX_SUBTASKS:
        settings.note(f"planner gave {len(subtasks)} subtasks, keeping the first {MAX_SUBTASKS}")
        subtasks = subtasks[:MAX_SUBTASKS]
    return unique_names(subtasks), reply.text


def subtask_prompt(task: str, subtask: Subtask, all_subtasks: Sequence[Subtask]) -> str:
    others = [s for s in all_subtasks if s is not subtask]
    lines = [
        "You are doing one part of a larger task; other assistants do the other parts at the same time.",
        f"\nOverall task:\n{task}",
        f"\nYour part ({subtask.name}):\n{subtask.description}",
    ]
    if others:
        lines.append("\nHandled by others (do not do these):")
        lines += [f"- {s.name}: {s.description}" for s in others]
    lines.append("\nDo only your part and answer with its result.")
    return "\n".join(lines)


def run_subtasks(
    task: str, subtasks: Sequence[Subtask], backends: dict[str, Backend], settings: CallSettings
) -> tuple[list[SubtaskOutcome], float]:
    """Every subtask at once (up to max_parallel), each on its chosen backend; outcomes in plan order."""
    began = time.monotonic()

    def run_one(subtask: Subtask) -> SubtaskOutcome:
        backend = backends[subtask.backend]
        started = time.monotonic() - began
        settings.note(f"{subtask.name}: started on {backend.name}")
        reply = settings.ask(backend, subtask_prompt(task, subtask, subtasks))
        finished = time.monotonic() - began
        status = "done" if reply.ok else f"failed: {reply.error}"
        if reply.truncated:
            from lok_action.process import cut_note

            status += f", {cut_note(backend.config.output_cap)}"
        settings.note(f"{subtask.name}: {status} ({reply.duration:.1f}s)")
        return SubtaskOutcome(subtask, reply, started, finished)

    outcomes = settings.each(run_one, subtasks)
    return outcomes, time.monotonic() - began


def concatenate(task: str, outcomes: Sequence[SubtaskOutcome]) -> str:
    parts = [f"# {task}"]
    for outcome in outcomes:
        subtask = outcome.subtask
        parts.append(f"## {subtask.name} ({subtask.backend})\n\n_{subtask.description}_")
        if outcome.reply.ok:
            parts.append(outcome.reply.text.strip())
        else:
            parts.append(f"**failed:** {outcome.reply.error}")
    return "\n\n".join(parts) + "\n"


def merge_with_backend(
    task: str, concatenated: str, merger: Backend, settings: CallSettings
) -> tuple[str, str | None]:
    """(merged answer, merger name), or the concatenation and None when the merger fails."""
    prompt = (
        f"Several assistants each did one part of this task:\n{task}\n\n"
        f"Their results:\n\n{concatenated}\n\n"
        "Merge them into one coherent answer to the whole task. Keep every concrete result; "
        "resolve overlaps; say plainly if a part failed."
    )
    settings.note(f"merging with {merger.name}")
    reply = settings.ask(merger, prompt)
    if reply.ok and reply.text.strip():
        return reply.text.strip() + "\n", merger.name
    settings.note(f"merge by {merger.name} failed ({reply.error}); using the concatenation")
    return concatenated, None


def save_run(result: SpawnResult, plan_text: str | None) -> None:
    """plan.json, one file per subtask output, merged.md and result.json, each written atomically."""
    folder = result.run_dir
    plan = {
        "task": result.task,
        "planner": result.planner,
        "subtasks": [outcome.subtask.to_dict() for outcome in result.outcomes],
        "planner_answer": plan_text,
    }
    save_json(folder / "plan.json", plan)
    for index, outcome in enumerate(result.outcomes, start=1):
        suffix = "md" if outcome.reply.ok else "error.txt"
        relative = f"subtasks/{index:02d}-{outcome.subtask.name}.{suffix}"
        body = outcome.reply.text if outcome.reply.ok else f"{outcome.reply.error}\n{outcome.reply.text}"
        atomic_write_text(folder / relative, body)
        outcome.file = relative
    atomic_write_text(folder / "merged.md", result.merged)
    save_json(folder / "result.json", result.to_dict())
