"""Run a workflow: a DAG scheduler where each step starts as soon as its own dependencies are done."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lok_action.errors import BackendError, CassetteError, LokError
from lok_action.jsonextract import OutputFormat, OutputParseError, extract_json
from lok_action.retrying import cap_timeout, time_left
from lok_action.workflow.edits import EditError, apply_edits_from_outputs
from lok_action.workflow.model import DEFAULT_BACKENDS, Step, Workflow
from lok_action.workflow.result import BackendOutput, RunResult, StepResult, step_view
from lok_action.workflow.shell import describe_process_failure, run_shell_command
from lok_action.workflow.templating import TemplateProblem, evaluate_condition, render_shell, render_text

if TYPE_CHECKING:
    from lok_action.backends.base import Backend
    from lok_action.budget import Spend
    from lok_action.cache import AnswerCache
    from lok_action.cassette import Cassette
    from lok_action.config import Config
    from lok_action.reply import Reply

TIME_LIMIT_NOTE = "the run's time limit was reached"


class RunObserver(Protocol):
    """What the runner tells as it goes (lok_action.progress.Progress is one): the runner depends on this
    small interface, not on the display, so the display may read workflow results freely."""

    def step_started(self, name: str) -> None: ...

    def step_finished(self, step: StepResult) -> None: ...

    def note(self, text: str) -> None: ...


@dataclass
class RunContext:
    config: Config
    workdir: Path
    args: list[str] = field(default_factory=list)
    named_args: dict[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cache: AnswerCache | None = None
    default_backends: list[str] | None = None
    # backend -> chunks (objects with .index, .text, .files) for `for_each = "chunk"` steps
    chunker: Callable[[Backend], list[Any]] | None = None
    template_vars: dict[str, Any] = field(default_factory=dict)
    progress: RunObserver | None = None
    max_parallel: int | None = None
    # time.monotonic() after which no step starts and every process is cut (e.g. conduct --max-seconds)
    deadline: float | None = None
    # record every backend call, or replay them without asking any backend (lok_action.cassette)
    cassette: Cassette | None = None
    # the run's spend by backend and its cost budget, consulted before each call (lok_action.budget)
    spend: Spend | None = None

    def parallelism(self) -> int:
        if self.max_parallel is not None:
            return max(1, self.max_parallel)
        return self.config.max_parallel if self.config.parallel else 1

    def time_left(self) -> float | None:
        return time_left(self.deadline)

    def past_deadline(self) -> bool:
        left = self.time_left()
        return left is not None and left <= 0

    def cap_timeout(self, timeout: float) -> float:
        """``timeout`` cut to the time left before the deadline (a hard limit on the whole run)."""
        return cap_timeout(timeout, self.deadline)


class StepFailure(Exception):
    """Internal: a step failed; the message becomes StepResult.error. Not a LokError (nor are the edit,
    template and output-parse failures caught with it): a step's failure is reported on the step."""


def run_workflow(workflow: Workflow, ctx: RunContext) -> RunResult:
    """Run every step in dependency order, independent ones in parallel. Raises LokError (exit 2) for
    problems found before anything runs (unknown or disabled backends)."""
    backends = resolve_step_backends(workflow, ctx)
    return _Scheduler(workflow, ctx, backends).run()


def resolve_step_backends(workflow: Workflow, ctx: RunContext) -> dict[str, list[Backend]]:
    """step name -> its Backend objects, one instance per backend name, checked before anything runs."""
    from lok_action.backends import resolve_backends

    instances: dict[str, Backend] = {}

    def get(name: str) -> Backend:
        if name not in instances:
            instances[name] = resolve_backends(ctx.config, [name], env=ctx.env)[0]
        return instances[name]

    defaults: list[str] | None = None
    mapping: dict[str, list[Backend]] = {}
    # static analyzers give the same answer to every findings step: from the defaults they join the
    # first one only (their findings count once); a step that names one gets it
    # (the first whose `when` does not rule it out before the run: `depth` picks the passes)
    first_findings = next(
        (
            s.name
            for s in workflow.steps
            if analyses_files(s) and static_condition(s, workflow, ctx) is not False
        ),
        None,
    )
    for step in workflow.steps:
        if step.is_shell:
            continue
        names: list[str] = []
        named: set[str] = set()
        for name in step.backends:
            if name == DEFAULT_BACKENDS:
                if defaults is None:
                    defaults = (
                        list(ctx.default_backends) if ctx.default_backends else _default_backend_names(ctx)
                    )
                if not defaults:
                    raise BackendError(
                        f"{workflow.source}: step '{step.name}' uses the default backends but none is ready"
                        " (run 'lok doctor', or pass -b NAME)"
                    )
                names.extend(defaults)
            else:
                names.append(name)
                named.add(name)
        try:
            backends = [get(name) for name in dict.fromkeys(names)]
            mapping[step.name] = [
                b for b in backends if _takes_part(b, step, b.name in named, first_findings)
            ]
        except LokError as error:
            raise BackendError(f"{workflow.source}: step '{step.name}': {error}") from None
        if not mapping[step.name] and not analyses_files(step):
            raise BackendError(
                f"{workflow.source}: step '{step.name}': no backend that answers prompts"
                f" (static analyzers answer none: {', '.join(b.name for b in backends)})"
            )
    return mapping


def static_condition(step: Step, workflow: Workflow, ctx: RunContext) -> bool | None:
    """A step's `when` as known before anything runs (from args, arg, env): True or False, or None
    when it depends on earlier steps' results (or fails: the step reports that when it runs)."""
    if step.when is None:
        return True
    try:
        return evaluate_condition(
            step.when, template_variables(workflow, ctx, {}), [s.name for s in workflow.steps]
        )
    except TemplateProblem:
        return None


def template_variables(workflow: Workflow, ctx: RunContext, steps: dict[str, Any]) -> dict[str, Any]:
    """What a step's templates see: the run's own variables, ``steps`` (the finished ones' views),
    env, args, arg and the workflow."""
    variables: dict[str, Any] = dict(ctx.template_vars)
    variables.update(
        steps=steps,
        env=dict(ctx.env),
        args=list(ctx.args),
        arg=dict(ctx.named_args),
        workflow={"name": workflow.name, "description": workflow.description},
    )
    return variables


def analyses_files(step: Step) -> bool:
    """Steps static analyzers take part in: findings steps over code chunks."""
    return step.findings and step.for_each == "chunk"


def _takes_part(backend: Backend, step: Step, named: bool, first_findings: str | None) -> bool:
    if backend.answers_prompts:
        return True
    if not analyses_files(step):
        if named:
            raise BackendError(
                f"{backend.name} is a static analyzer (kind '{backend.kind}'); it takes part only in"
                ' findings steps (findings = true, for_each = "chunk")'
            )
        return False
    return named or step.name == first_findings


def _default_backend_names(ctx: RunContext) -> list[str]:
    """The project-wide policy for "no backend named": the ready ones (see backends.selection); in
    a replay, the ones the cassette holds answers from."""
    if ctx.cassette is not None and ctx.cassette.replaying:
        return ctx.cassette.default_backends(ctx.config, ctx.env)
    from lok_action.backends.selection import default_backend_names

    return default_backend_names(ctx.config, env=ctx.env)


class _Scheduler:
    def __init__(self, workflow: Workflow, ctx: RunContext, backends: dict[str, list[Backend]]) -> None:
        self.workflow = workflow
        self.ctx = ctx
        self.backends = backends
        self.names = [step.name for step in workflow.steps]
        self.results: dict[str, StepResult] = {}
        self.tolerated = consensus_inputs(workflow)

    def run(self) -> RunResult:
        started = time.monotonic()
        limit = self.ctx.parallelism()
        pending = list(self.workflow.steps)
        running: dict[Future[StepResult], str] = {}
        stopped = False
        out_of_time = False
        with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="lok-step") as pool:
            while True:
                if pending and not out_of_time and self.ctx.past_deadline():
                    stopped = out_of_time = True
                    if self.ctx.progress:
                        self.ctx.progress.note(f"{TIME_LIMIT_NOTE}: starting no more steps")
                if not stopped:
                    for step in list(pending):
                        if len(running) >= limit:
                            break
                        if all(dep in self.results for dep in step.depends_on):
                            pending.remove(step)
                            variables = self.variables()  # built here: only this thread writes results
                            if self.ctx.progress:
                                self.ctx.progress.step_started(step.name)
                            running[pool.submit(self.execute, step, variables)] = step.name
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    name = running.pop(future)
                    result = future.result()
                    self.results[name] = result
                    if self.ctx.progress:
                        self.ctx.progress.step_finished(result)
                    if result.status == "failed":
                        stopped = True  # hard failure: let running steps finish, start nothing new
        for step in pending:
            message = f"not run: {TIME_LIMIT_NOTE}" if out_of_time else ""
            self.results[step.name] = StepResult(step.name, status="not_run", message=message)
        ordered = {name: self.results[name] for name in self.names}
        return RunResult(
            workflow=self.workflow.name,
            source=self.workflow.source,
            steps=ordered,
            duration=time.monotonic() - started,
            stop_reason=TIME_LIMIT_NOTE if out_of_time else "",
        )

    def variables(self) -> dict[str, Any]:
        steps = {name: step_view(result) for name, result in self.results.items()}
        return template_variables(self.workflow, self.ctx, steps)

    def execute(self, step: Step, variables: dict[str, Any]) -> StepResult:
        """Run one step; never raises (every problem becomes the step's failure)."""
        started = time.monotonic()
        result = StepResult(step.name, status="success")
        try:
            self._check_consensus(step, result)
            if step.when is not None and not self._condition(step, variables):
                result.status = "skipped"
                result.message = "skipped: `when` is false"
            elif step.is_shell:
                self._run_shell(step, variables, result)
            else:
                self._run_prompt(step, variables, result)
        except CassetteError:
            raise  # a replay without its answer, or a recording that cannot be written: the run stops
        except (StepFailure, EditError, OutputParseError, LokError) as failure:
            result.status = "failed"
            result.error = str(failure)
        except Exception as error:  # a bug must not hang the scheduler; report it on the step
            result.status = "failed"
            result.error = f"internal error: {type(error).__name__}: {error}"
        if result.status == "failed" and self.ctx.past_deadline():
            result.error = f"{result.error} ({TIME_LIMIT_NOTE})"
        if result.status == "failed" and (step.continue_on_error or step.name in self.tolerated):
            result.status = "soft_failed"
            # dependants get the error text in place of output; it always contains the word "error"
            result.output = result.text = f"error: {result.error}"
        result.duration = time.monotonic() - started
        return result

    def _check_consensus(self, step: Step, result: StepResult) -> None:
        """min_deps_success: go on when enough dependencies succeeded, else fail with the counts."""
        if step.min_deps_success is None:
            return
        succeeded = sum(1 for dep in step.depends_on if self.results[dep].success)
        counts = f"{succeeded}/{len(step.depends_on)} succeeded"
        if succeeded >= step.min_deps_success:
            result.message = f"consensus reached ({counts})"
            if self.ctx.progress:
                self.ctx.progress.note(f"{step.name}: {result.message}")
            return
        raise StepFailure(f"consensus not reached: {counts}, min_deps_success = {step.min_deps_success}")

    def _condition(self, step: Step, variables: dict[str, Any]) -> bool:
        assert step.when is not None
        try:
            return evaluate_condition(step.when, variables, self.names)
        except TemplateProblem as error:
            raise StepFailure(f"when: {error}") from None

    # ---- shell steps

    def _run_shell(self, step: Step, variables: dict[str, Any], result: StepResult) -> None:
        from lok_action.process import cut_note

        assert step.shell is not None
        try:
            command = render_shell(step.shell, variables, self.names)
        except TemplateProblem as error:
            raise StepFailure(f"shell: {error}") from None
        timeout = step.timeout_ms / 1000 if step.timeout_ms else self.ctx.config.timeout
        process, attempts = run_shell_command(
            command, self.ctx, timeout, retries=step.retries, retry_delay_ms=step.retry_delay_ms
        )
        result.attempts = attempts
        result.text = process.stdout
        if not process.ok:
            # under a run deadline the process may have been cut sooner than the step's own timeout
            shown = min(timeout, round(process.duration, 1)) if self.ctx.deadline is not None else timeout
            raise StepFailure(describe_process_failure(process, shown, self.ctx.env))
        if process.truncated:
            note = cut_note(self.ctx.config.output_cap)
            if step.output_format != "text":  # a cut JSON document fails for a reason that is not the model's
                raise StepFailure(f"{note}; a cut output cannot be read as {step.output_format}")
            result.message = note
        output = process.stdout.rstrip("\n")
        result.output = extract_json(output, step.output_format)

    # ---- prompt steps

    def _run_prompt(self, step: Step, variables: dict[str, Any], result: StepResult) -> None:
        assert step.prompt is not None
        per_backend: list[list[tuple[Backend, Any]]] = []
        for backend in self.backends[step.name]:
            if step.for_each == "chunk":
                if self.ctx.chunker is None:
                    raise StepFailure(
                        'for_each = "chunk" needs code chunks, which this command does not provide'
                    )
                per_backend.append([(backend, chunk) for chunk in self.ctx.chunker(backend)])
            else:
                per_backend.append([(backend, None)])
        # chunk by chunk, every backend's call for a chunk before the next chunk's: a run the cost
        # budget or the deadline stops leaves whole chunks unasked, not one backend's share of all
        calls = [call for group in itertools.zip_longest(*per_backend) for call in group if call is not None]
        if not calls:
            result.output = [] if step.output_format in ("json_array", "jsonl") else ""
            result.message = (
                "no code chunks to analyse"
                if self.backends[step.name]
                else "nothing to ask: the static analyzers ran in the first findings step"
            )
            return

        def prompt_for(chunk: Any) -> str:
            scope = dict(variables, chunk=chunk) if chunk is not None else variables
            try:
                return render_text(step.prompt or "", scope, self.names)
            except TemplateProblem as error:
                raise StepFailure(f"prompt: {error}") from None

        # Render one prompt up front so a template error fails before any call; render the rest in
        # the workers, so a large repository never holds every chunk's prompt in memory at once.
        first_prompt: str | None = prompt_for(calls[0][1])

        def ask(index: int) -> Reply:
            nonlocal first_prompt
            backend, chunk = calls[index]
            if index == 0 and first_prompt is not None:
                prompt, first_prompt = first_prompt, None
            elif backend.answers_prompts:
                prompt = prompt_for(chunk)
            if not backend.answers_prompts:
                return self._analyse(step, backend, chunk)
            return self._ask(step, backend, prompt, self._schema(step, chunk))

        width = max(1, min(len(calls), self.ctx.parallelism()))
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix=f"lok-{step.name}") as pool:
            replies = list(pool.map(ask, range(len(calls))))
        self._collect(step, calls, replies, result)
        if step.apply_edits:
            self._apply_edits(step, variables, result)

    def _timeout(self, step: Step, backend: Backend) -> float:
        return step.timeout_ms / 1000 if step.timeout_ms else self.ctx.config.backend_timeout(backend.config)

    @staticmethod
    def _schema(step: Step, chunk: Any) -> dict[str, Any] | None:
        """The findings JSON Schema a findings step's answers must follow (the chunk's files only)."""
        if not step.findings or step.output_format != "json":
            return None
        from lok_action.findings.schema import findings_schema

        return findings_schema(getattr(chunk, "lines", None) or None)

    def _ask(self, step: Step, backend: Backend, prompt: str, schema: dict[str, Any] | None = None) -> Reply:
        from lok_action.backends.calling import call_backend

        if self.ctx.past_deadline():
            from lok_action.reply import Reply

            return Reply(backend.name, error=f"not called: {TIME_LIMIT_NOTE}", attempts=0)

        def call() -> Reply:
            return call_backend(
                backend,
                prompt,
                self.ctx.workdir,
                self._timeout(step, backend),
                cache=self.ctx.cache,
                retries=step.retries,
                retry_delay_ms=step.retry_delay_ms,
                deadline=self.ctx.deadline,
                schema=schema,
                cassette=self.ctx.cassette,
            )

        if self.ctx.spend is None:
            return call()
        from lok_action.costs import price_of

        # the cost budget: refused (never started) when its estimate would pass the budget
        return self.ctx.spend.call(backend.name, price_of(backend), len(prompt), call)

    def _analyse(self, step: Step, backend: Backend, chunk: Any) -> Reply:
        """A static analyzer over the chunk's files. Not cached: the answer depends on the tool's own
        configuration too, and running it costs seconds."""
        from lok_action.reply import Reply

        if self.ctx.past_deadline():
            return Reply(backend.name, error=f"not called: {TIME_LIMIT_NOTE}", attempts=0)
        timeout = self.ctx.cap_timeout(self._timeout(step, backend))
        files = list(getattr(chunk, "files", []))

        def call() -> Reply:
            if self.ctx.cassette is not None:
                from lok_action.cassette import analyse_prompt

                live = lambda: backend.analyse(files, self.ctx.workdir, timeout)  # noqa: E731
                return self.ctx.cassette.answer(backend, analyse_prompt(files), live, op="analyse")
            return backend.analyse(files, self.ctx.workdir, timeout)

        if self.ctx.spend is None:
            return call()
        from lok_action.costs import Price

        # free, but once the cost budget stopped the run no call starts: its unasked chunks stay
        # one clear set of files not analysed
        return self.ctx.spend.call(backend.name, Price(), 0, call)

    def _collect(
        self, step: Step, calls: list[tuple[Backend, Any]], replies: list[Reply], result: StepResult
    ) -> None:
        from lok_action.process import cut_note

        cut: list[str] = []
        for (backend, chunk), reply in zip(calls, replies, strict=True):
            index = getattr(chunk, "index", None) if chunk is not None else None
            output = BackendOutput(backend.name, reply.text, error=reply.error, chunk_index=index)
            if reply.ok and reply.truncated and step.output_format != "text":
                output.error = (
                    f"{backend.name}: answer {cut_note(backend.config.output_cap)};"
                    f" a cut answer cannot be read as {step.output_format}"
                )
            elif reply.ok:
                try:
                    output.parsed = extract_json(reply.text, step.output_format)
                except OutputParseError as error:
                    output.error = f"{backend.name}: {error}"
                if reply.truncated:
                    cut.append(
                        f"{backend.name}{_chunk_label(output)}: answer {cut_note(backend.config.output_cap)}"
                    )
            result.outputs.append(output)
            result.replies.append(reply)
            result.attempts += reply.attempts
            if reply.note and self.ctx.progress:  # e.g. a structured-output fallback, said once
                self.ctx.progress.note(f"{step.name}: {backend.name}: {reply.note}")
        good = [output for output in result.outputs if output.ok]
        several = len(result.outputs) > 1
        result.text = "\n\n".join(
            (f"## {o.backend}{_chunk_label(o)}\n{o.text}" if several else o.text) for o in result.outputs
        )
        if not good:
            raise StepFailure("; ".join(f"{o.backend}{_chunk_label(o)}: {o.error}" for o in result.outputs))
        result.output = merge_outputs(step.output_format, good, several)
        failed = [output for output in result.outputs if not output.ok]
        notes = [result.message] if result.message else []
        if failed:
            notes.append(
                f"{len(good)}/{len(result.outputs)} backend calls succeeded; failed: {failure_summary(failed)}"
            )
        result.message = "; ".join(notes + cut)

    def _apply_edits(self, step: Step, variables: dict[str, Any], result: StepResult) -> None:
        def note(text: str) -> None:
            if self.ctx.progress:
                self.ctx.progress.note(f"{step.name}: {text}")

        timeout = step.timeout_ms / 1000 if step.timeout_ms else self.ctx.config.timeout
        summary = apply_edits_from_outputs(
            [o.text for o in result.outputs if o.ok],
            self.ctx,
            verify=step.verify,
            variables=variables,
            step_names=self.names,
            timeout=timeout,
            note=note,
        )
        result.message = f"{result.message}; {summary}" if result.message else summary


def consensus_inputs(workflow: Workflow) -> set[str]:
    """Steps whose every dependant has min_deps_success: their failure is what the consensus step
    counts, so it must not stop the workflow (the seed's consensus example sets no continue_on_error)."""
    dependants: dict[str, list[Step]] = {step.name: [] for step in workflow.steps}
    for step in workflow.steps:
        for dep in step.depends_on:
            dependants[dep].append(step)
    return {
        name
        for name, users in dependants.items()
        if users and all(user.min_deps_success is not None for user in users)
    }


def failure_summary(failed: list[BackendOutput], limit: int = 3) -> str:
    """'gemini (2 calls): exit 1: boom; local (chunk 3): not JSON' — who failed and why, briefly."""
    from lok_action.shorten import first_line

    by_backend: dict[str, list[BackendOutput]] = {}
    for output in failed:
        by_backend.setdefault(output.backend, []).append(output)
    parts = []
    for name, outputs in list(by_backend.items())[:limit]:
        where = f" ({len(outputs)} calls)" if len(outputs) > 1 else _chunk_label(outputs[0])
        why = first_line((outputs[0].error or "error").removeprefix(f"{name}: "), 120)
        parts.append(f"{name}{where}: {why}")
    more = len(by_backend) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _chunk_label(output: BackendOutput) -> str:
    return f" (chunk {output.chunk_index})" if output.chunk_index is not None else ""


def merge_outputs(output_format: OutputFormat, good: list[BackendOutput], several: bool) -> Any:
    """One step output from several backend (and chunk) outputs."""
    if not several:
        return good[0].parsed
    if output_format in ("json_array", "jsonl"):
        merged: list[Any] = []
        for output in good:
            merged.extend(output.parsed)
        return merged
    if output_format == "json":
        return [output.parsed for output in good]
    return "\n\n".join(f"## {o.backend}{_chunk_label(o)}\n{o.text}" for o in good)
