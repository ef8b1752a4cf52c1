"""Workflow files: parse the TOML, check every field, and refuse anything that would fail mid-run."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from lok_action import ranges
from lok_action.errors import WorkflowError, closest
from lok_action.findings.modes import CHALLENGE_MODES, ChallengeMode, as_mode
from lok_action.jsonextract import OutputFormat
from lok_action.ranges import NumberRange
from lok_action.schema import Key, check_value
from lok_action.tomlload import load_toml, parse_toml
from lok_action.workflow.validation import validate_templates

OUTPUT_FORMATS: tuple[OutputFormat, ...] = get_args(OutputFormat)
PublishTarget = Literal["issue-comment", "pr-review", "issues"]  # where the action posts a result
PUBLISH_TARGETS: tuple[PublishTarget, ...] = get_args(PublishTarget)
ForEach = Literal["chunk"]  # once per chunk of the code base, per backend
FOR_EACH_VALUES: tuple[ForEach, ...] = get_args(ForEach)
DEFAULT_BACKENDS = "*"  # a backend entry meaning "the run's default backends"
STEP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

# key -> accepted types, meaning and (numbers) documented range; validation and the README's
# workflow reference both read these tables
WORKFLOW_KEYS: dict[str, Key] = {
    "name": Key((str,), "workflow name (defaults to the file name)"),
    "description": Key((str,), "one line shown by `lok workflow list`"),
    "continue_on_error": Key((bool,), "default for every step: a failed step does not stop the run"),
    "timeout": Key((int,), "default timeout of every step (milliseconds)", ranges.MILLISECONDS),
    "publish": Key((str,), "where the action posts the result: `issue-comment`, `pr-review` or `issues`"),
    "steps": Key((list,), "the `[[steps]]` tables"),
}
STEP_KEYS: dict[str, Key] = {
    "name": Key((str,), "step name, used by `depends_on` and `{{ steps.NAME.output }}`"),
    "backend": Key((str,), "one backend (or `*` for the run's default backends)"),
    "backends": Key((list,), "several backends, called in parallel; `*` = the run's default backends"),
    "prompt": Key((str,), "Jinja2 template sent to the backend(s)"),
    "shell": Key((str,), "Jinja2 template of a shell command (values quoted) instead of a prompt"),
    "depends_on": Key((list,), "steps that must finish first"),
    "when": Key((str, bool), "Jinja2 condition; false skips the step"),
    "min_deps_success": Key(
        (int,),
        "run when at least this many dependencies succeeded",
        NumberRange(integer=True, low=1, high=None, note="at most the number of `depends_on`"),
    ),
    "continue_on_error": Key((bool,), "a failure here does not stop the run"),
    "timeout": Key((int,), "milliseconds for this step", ranges.MILLISECONDS),
    "retries": Key((int,), "extra attempts on retryable failures", ranges.RETRIES),
    "retry_delay": Key(
        (int,), "milliseconds before the first retry (doubles each time)", ranges.RETRY_DELAY_MS
    ),
    "apply_edits": Key((bool,), "apply the edits the answer proposes (inside the workspace only)"),
    "verify": Key((str,), "shell command that must pass after edits, else they are rolled back"),
    "output_format": Key((str,), "`text`, `json`, `json_array` or `jsonl`"),
    "for_each": Key((str,), "`chunk`: run once per chunk of the code base per backend"),
    "findings": Key((bool,), "the answers are findings to merge and report"),
    "challenge": Key(
        (str,),
        "findings steps: which findings other backends are asked, blind, to confirm or refute:"
        " `below-quorum` (and every critical/high one), `all` or `off`"
        " (default: `below-quorum` in hunt, audit, diff and review-pr, else `off`; `--verify` overrides)",
    ),
}


@dataclass(frozen=True)
class Step:
    name: str
    backend: str | None = None  # as written; `backends` is the effective list the runner uses
    backends: tuple[str, ...] = ()  # ("*",) when the step names none: the run's default backends
    prompt: str | None = None
    shell: str | None = None
    depends_on: tuple[str, ...] = ()
    when: str | None = None
    min_deps_success: int | None = None
    continue_on_error: bool = False  # the workflow default is already applied
    timeout_ms: int | None = None  # the workflow default is already applied; None = config timeout
    retries: int = 0
    retry_delay_ms: int = 1000
    apply_edits: bool = False
    verify: str | None = None
    output_format: OutputFormat = "text"
    for_each: ForEach | None = None
    findings: bool = False
    challenge: ChallengeMode | None = None  # None: the workflow's default (findings.modes.effective_mode)

    @property
    def is_shell(self) -> bool:
        return self.shell is not None


@dataclass(frozen=True)
class Workflow:
    name: str
    description: str = ""
    source: str = "<string>"
    steps: tuple[Step, ...] = ()
    continue_on_error: bool = False
    timeout_ms: int | None = None
    publish: PublishTarget | None = None

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)


def load_workflow_file(path: Path) -> Workflow:
    data = load_toml(Path(path), WorkflowError)
    return build_workflow(data, str(path), default_name=Path(path).stem)


def parse_workflow(text: str, source: str = "<string>") -> Workflow:
    data = parse_toml(text, source, WorkflowError)
    return build_workflow(data, source, default_name=Path(source).stem if source.endswith(".toml") else "")


def _check_keys(where: str, table: Mapping[str, Any], schema: Mapping[str, Key]) -> None:
    for key, value in table.items():
        if key not in schema:
            hint = closest(key, schema)
            if key == "retry_delay_ms":
                hint = " (did you mean 'retry_delay'?)"
            raise WorkflowError(f"{where}: unknown key '{key}'{hint}")
        check_value(f"{where}: '{key}'", value, schema[key], WorkflowError)


def _string_list(where: str, key: str, value: list[Any]) -> tuple[str, ...]:
    if not all(isinstance(item, str) and item for item in value):
        raise WorkflowError(f"{where}: '{key}' must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def build_workflow(data: Mapping[str, Any], source: str, default_name: str = "") -> Workflow:
    _check_keys(source, data, WORKFLOW_KEYS)
    name = data.get("name", default_name)
    if not name:
        raise WorkflowError(f"{source}: missing 'name'")
    publish = data.get("publish")
    if publish is not None and publish not in PUBLISH_TARGETS:
        raise WorkflowError(
            f"{source}: 'publish' must be one of {', '.join(PUBLISH_TARGETS)}, got '{publish}'"
            f"{closest(publish, PUBLISH_TARGETS)}"
        )
    timeout = data.get("timeout")
    raw_steps = data.get("steps")
    if not raw_steps:
        raise WorkflowError(f"{source}: no steps (add at least one [[steps]] table)")
    default_continue = data.get("continue_on_error", False)
    steps = tuple(
        _build_step(source, index, raw, default_continue, timeout) for index, raw in enumerate(raw_steps)
    )
    workflow = Workflow(
        name=name,
        description=data.get("description", ""),
        source=source,
        steps=steps,
        continue_on_error=default_continue,
        timeout_ms=timeout,
        publish=publish,
    )
    validate_graph(workflow)
    validate_templates(workflow)
    return workflow


def _build_step(
    source: str, index: int, raw: Any, default_continue: bool, default_timeout: int | None
) -> Step:
    where = f"{source}: steps[{index}]"
    if not isinstance(raw, dict):
        raise WorkflowError(f"{where}: each step must be a [[steps]] table")
    name = raw.get("name")
    if name is None:
        raise WorkflowError(f"{where}: missing 'name'")
    check_value(f"{where}: 'name'", name, STEP_KEYS["name"], WorkflowError)
    if not STEP_NAME.match(name):
        raise WorkflowError(
            f"{where}: step name '{name}' must start with a letter or _ and contain only letters, digits, _ and -"
        )
    where = f"{source}: step '{name}'"
    _check_keys(where, raw, STEP_KEYS)
    prompt, shell = raw.get("prompt"), raw.get("shell")
    if prompt is None and shell is None:
        raise WorkflowError(f"{where}: needs either 'prompt' (ask a backend) or 'shell' (run a command)")
    if prompt is not None and shell is not None:
        raise WorkflowError(f"{where}: has both 'prompt' and 'shell'; a step does one or the other")
    backend = raw.get("backend")
    backends = _string_list(where, "backends", raw["backends"]) if "backends" in raw else ()
    if backend is not None and backends:
        raise WorkflowError(f"{where}: has both 'backend' and 'backends'; use 'backends' for several")
    if "backends" in raw and not backends:
        raise WorkflowError(f"{where}: 'backends' is empty")
    if shell is not None and (backend is not None or backends):
        raise WorkflowError(f"{where}: 'backend' is only for prompt steps, this step has 'shell'")
    if shell is None:
        backends = (backend,) if backend is not None else backends or (DEFAULT_BACKENDS,)
    depends_on = _string_list(where, "depends_on", raw.get("depends_on", []))
    if len(set(depends_on)) != len(depends_on):
        raise WorkflowError(f"{where}: 'depends_on' lists a step twice: {list(depends_on)}")
    min_deps = raw.get("min_deps_success")
    if min_deps is not None:
        if not depends_on:
            raise WorkflowError(f"{where}: 'min_deps_success' needs 'depends_on'")
        if min_deps > len(depends_on):
            raise WorkflowError(
                f"{where}: 'min_deps_success' = {min_deps} but the step has {len(depends_on)} "
                f"dependencies (must be 1..{len(depends_on)})"
            )
    output_format = raw.get("output_format", "text")
    if output_format not in OUTPUT_FORMATS:
        raise WorkflowError(
            f"{where}: unknown output_format '{output_format}'{closest(output_format, OUTPUT_FORMATS)}"
            f" (one of {', '.join(OUTPUT_FORMATS)})"
        )
    for_each = raw.get("for_each")
    if for_each is not None:
        if for_each not in FOR_EACH_VALUES:
            raise WorkflowError(f"{where}: 'for_each' must be \"chunk\", got '{for_each}'")
        if shell is not None:
            raise WorkflowError(f"{where}: 'for_each' is only for prompt steps")
    challenge = raw.get("challenge")
    if challenge is not None:
        if challenge not in CHALLENGE_MODES:
            raise WorkflowError(
                f"{where}: 'challenge' must be one of {', '.join(CHALLENGE_MODES)}, got '{challenge}'"
                f"{closest(challenge, CHALLENGE_MODES)}"
            )
        if not raw.get("findings", False):
            raise WorkflowError(f"{where}: 'challenge' verifies findings; set findings = true or remove it")
    verify = raw.get("verify")
    apply_edits = raw.get("apply_edits", False)
    if verify is not None and not apply_edits:
        raise WorkflowError(f"{where}: 'verify' checks applied edits; set apply_edits = true or remove it")
    when = raw.get("when")
    if isinstance(when, bool):
        when = "true" if when else "false"
    return Step(
        name=name,
        backend=backend,
        backends=backends,
        prompt=prompt,
        shell=shell,
        depends_on=depends_on,
        when=when,
        min_deps_success=min_deps,
        continue_on_error=raw.get("continue_on_error", default_continue),
        timeout_ms=raw.get("timeout", default_timeout),
        retries=raw.get("retries", 0),
        retry_delay_ms=raw.get("retry_delay", 1000),
        apply_edits=apply_edits,
        verify=verify,
        output_format=output_format,
        for_each=for_each,
        findings=raw.get("findings", False),
        challenge=as_mode(challenge) if challenge is not None else None,
    )


def validate_graph(workflow: Workflow) -> None:
    names: set[str] = set()
    for step in workflow.steps:
        if step.name in names:
            raise WorkflowError(f"{workflow.source}: duplicate step name '{step.name}'")
        names.add(step.name)
    for step in workflow.steps:
        for dep in step.depends_on:
            if dep == step.name:
                raise WorkflowError(f"{workflow.source}: step '{step.name}': depends_on lists itself")
            if dep not in names:
                raise WorkflowError(
                    f"{workflow.source}: step '{step.name}': depends_on: unknown step '{dep}'"
                    f"{closest(dep, names)}"
                )
    cycle = find_cycle({step.name: step.depends_on for step in workflow.steps})
    if cycle:
        raise WorkflowError(f"{workflow.source}: dependency cycle: {' -> '.join(cycle)}")


def find_cycle(graph: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    """A cycle as [a, b, ..., a], or None. Iterative DFS so deep graphs cannot overflow the stack."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in graph:
        if state.get(root):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            deps = graph[node]
            if index < len(deps):
                stack.append((node, index + 1))
                dep = deps[index]
                if state.get(dep) == 1:
                    return [*path[path.index(dep) :], dep]
                if not state.get(dep):
                    stack.append((dep, 0))
            else:
                state[node] = 2
                path.pop()
    return None
