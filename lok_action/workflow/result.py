"""What a workflow run produced. Sinks (reports, GitHub) read only these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from lok_action.reply import Reply

# success: ran and succeeded; failed: hard failure (stops the workflow);
# soft_failed: failed with continue_on_error (error text passed on as output);
# skipped: its `when` was false, or too few dependencies succeeded under continue_on_error;
# not_run: never started because the workflow stopped on a hard failure (or its time limit).
StepStatus = Literal["success", "failed", "soft_failed", "skipped", "not_run"]
STATUSES: tuple[StepStatus, ...] = get_args(StepStatus)


@dataclass
class BackendOutput:
    """One backend's contribution to a step (one per chunk for steps with for_each = "chunk")."""

    backend: str
    text: str
    parsed: Any = None  # the parsed JSON when output_format is not text and parsing worked
    error: str | None = None  # backend failure or parse failure
    chunk_index: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "chunk": self.chunk_index,
            "ok": self.ok,
            "error": self.error,
            "parsed": self.parsed,
        }


@dataclass
class StepResult:
    name: str
    status: StepStatus = "not_run"
    output: Any = ""  # text, or the parsed JSON value when output_format is json/json_array/jsonl
    text: str = ""  # the raw text (joined per backend for multi-backend steps)
    error: str | None = None
    duration: float = 0.0
    attempts: int = 0
    replies: list[Reply] = field(default_factory=list)  # one per backend call (per chunk for chunked steps)
    outputs: list[BackendOutput] = field(default_factory=list)  # per backend (and chunk), LLM steps only
    message: str = ""  # e.g. "consensus reached (2/3 succeeded)"

    @property
    def success(self) -> bool:
        return self.status == "success"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "success": self.success,
            "output": self.output,
            "error": self.error,
            "duration": round(self.duration, 3),
            "attempts": self.attempts,
            "message": self.message,
            "replies": [reply.to_dict() for reply in self.replies],
            "outputs": [output.to_dict() for output in self.outputs],
        }


@dataclass
class RunResult:
    workflow: str
    source: str  # file path or "built-in"
    steps: dict[str, StepResult] = field(default_factory=dict)  # in workflow order
    duration: float = 0.0
    stop_reason: str = ""  # set when the run stopped early for a reason of its own (its time limit)

    @property
    def success(self) -> bool:
        return not self.stop_reason and not any(step.status == "failed" for step in self.steps.values())

    @property
    def exit_code(self) -> int:
        return 0 if self.success else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "source": self.source,
            "success": self.success,
            "stop_reason": self.stop_reason,
            "duration": round(self.duration, 3),
            "steps": [step.to_dict() for step in self.steps.values()],
        }


def step_view(result: StepResult) -> dict[str, Any]:
    """What templates see as steps.NAME."""
    return {
        "output": result.output,
        "text": result.text,
        "success": result.success,
        "error": result.error,
        "status": result.status,
        "message": result.message,
        "outputs": [output.to_dict() for output in result.outputs],
    }


STEP_VIEW_FIELDS = tuple(step_view(StepResult("")))  # what `steps.NAME.X` may read (checked at load time)
