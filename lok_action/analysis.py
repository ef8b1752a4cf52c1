"""Run an analysis workflow (hunt, audit, explain, diff) and turn its step results into findings.

context (files or diff, chunked per backend) -> run_workflow -> per-backend JSON answers ->
validated findings (malformed ones dropped and counted) -> consensus merge -> AnalysisResult,
which every report format and `lok merge` read.
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lok_action.context.chunks import Chunker, file_chunker
from lok_action.context.diffs import diff_chunker, git_diff, split_diff
from lok_action.context.files import Coverage, collect_files, describe_coverage, source_lines
from lok_action.context.shards import Shard
from lok_action.errors import UsageError
from lok_action.findings.merge import merge_findings
from lok_action.findings.model import Finding, apply_min_consensus
from lok_action.findings.validate import validate_raw_findings

if TYPE_CHECKING:
    from lok_action.cache import AnswerCache
    from lok_action.config import Config
    from lok_action.progress import Progress
    from lok_action.workflow.model import Workflow
    from lok_action.workflow.result import RunResult

FORMAT_VERSION = "lok-analysis/1"


@dataclass
class BackendStatus:
    name: str
    status: str = "ok"  # ok | failed
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
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "") -> BackendStatus:
        """Read back from a lok JSON report; raises jsonfields.FieldError naming the field."""
        from lok_action import jsonfields as f

        data = f.as_mapping(data, where.rstrip(".") or "backend")
        calls = f.integer(data, "calls", where, 0)
        failed_calls = f.integer(data, "failed_calls", where, 0)
        unparseable = f.integer(data, "unparseable", where, 0)
        return cls(
            name=f.text(data, "name", where),
            status=f.choice(data, "status", ("ok", "failed"), where) if "status" in data else "ok",
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
        )

    def absorb(self, other: BackendStatus) -> None:
        """Add another shard's figures for the same backend."""
        self.calls += other.calls
        self.failed_calls += other.failed_calls
        self.usable += other.usable
        self.duration += other.duration
        self.input_tokens = _add(self.input_tokens, other.input_tokens)
        self.output_tokens = _add(self.output_tokens, other.output_tokens)
        self.cost_usd = _add(self.cost_usd, other.cost_usd)
        self.findings += other.findings
        self.dropped += other.dropped
        self.unparseable += other.unparseable
        self.repairs += other.repairs
        self.over_budget += other.over_budget
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


def _add(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else a + b


@dataclass
class AnalysisResult:
    workflow: str
    target: str  # the directory, or the revision range for diff
    findings: list[Finding] = field(default_factory=list)  # merged, all agreement levels, sorted
    min_consensus: int = 1
    backends: list[BackendStatus] = field(default_factory=list)  # sorted by name
    analysed_files: list[str] = field(default_factory=list)
    skipped_files: dict[str, str] = field(default_factory=dict)
    shard: str | None = None
    path_prefix: str = ""  # target dir relative to the repository root, for SARIF URIs ("" or "src/")
    text: str = ""  # text steps' output (explain's overview)
    duration: float = 0.0

    @property
    def reported(self) -> list[Finding]:
        """The findings that pass --min-consensus (what reports show)."""
        return apply_min_consensus(self.findings, self.min_consensus)

    @property
    def hidden(self) -> int:
        return len(self.findings) - len(self.reported)

    @property
    def succeeded(self) -> bool:
        """At least one backend gave a usable answer; a run where every call failed, or every answer
        was unusable, analysed nothing."""
        return any(status.status == "ok" for status in self.backends)

    def nothing_analysed(self) -> str:
        """Why nothing was analysed when there was something to analyse, else "" (a false pass
        for --fail-on otherwise: no analysed file, no finding, exit 0)."""
        if self.analysed_files or not (self.skipped_files or self.backends):
            return ""
        if self.backends and not self.succeeded:
            reasons = "; ".join(f"{s.name}: {s.error or s.answers_line()}" for s in self.backends)
            return f"no backend gave a usable answer ({reasons})"
        if not self.backends:
            return "no backend ran"
        return "no file was analysed"

    def coverage_line(self) -> str:
        shard = None
        if self.shard:
            index, count = self.shard.split("/")
            shard = Shard(int(index), int(count))
        return describe_coverage(len(self.analysed_files), self.skipped_files, shard)

    def malformed_notes(self) -> list[str]:
        return [note for note in (status.malformed_note() for status in self.backends) if note]

    def to_dict(self) -> dict[str, Any]:
        reported = self.reported
        passed = {id(finding) for finding in reported}
        return {
            "format": FORMAT_VERSION,
            "workflow": self.workflow,
            "target": self.target,
            "min_consensus": self.min_consensus,
            "shard": self.shard,
            "path_prefix": self.path_prefix,
            "summary": {
                "findings": len(reported),
                "below_consensus": self.hidden,
                "coverage": self.coverage_line(),
            },
            "findings": [finding.to_dict() for finding in reported],
            "below_consensus": [f.to_dict() for f in self.findings if id(f) not in passed],
            "backends": [status.to_dict() for status in self.backends],
            "coverage": {"analysed": list(self.analysed_files), "skipped": dict(self.skipped_files)},
            "text": self.text,
            "duration": round(self.duration, 1),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<input>") -> AnalysisResult:
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
            shard = f.optional_text(data, "shard")
            if shard is not None and not _SHARD.fullmatch(shard):
                raise f.FieldError("shard", f"expected I/N such as 2/4, got '{shard}'")
            return cls(
                workflow=f.text(data, "workflow"),
                target=f.text(data, "target"),
                findings=merge_findings(findings),
                min_consensus=f.integer(data, "min_consensus", minimum=1),
                backends=[
                    BackendStatus.from_dict(item, f"backends[{index}].")
                    for index, item in enumerate(f.as_list(data.get("backends"), "backends"))
                ],
                analysed_files=f.text_list(coverage, "analysed", "coverage."),
                skipped_files=f.text_map(coverage, "skipped", "coverage."),
                shard=shard,
                path_prefix=f.text(data, "path_prefix", "", ""),
                text=f.text(data, "text", "", ""),
                duration=f.number(data, "duration", "", 0.0),
            )
        except f.FieldError as error:
            raise UsageError(f"{source}: malformed lok analysis JSON: {error}") from None


_SHARD = re.compile(r"[1-9]\d*/[1-9]\d*")


def merge_results(
    results: Sequence[AnalysisResult], min_consensus: int, sources: Sequence[str]
) -> AnalysisResult:
    """Shard outputs (or runs with different backends) -> one result, findings re-merged."""
    if not results:
        raise UsageError("merge: no inputs")
    workflows = {result.workflow for result in results}
    if len(workflows) > 1:
        listing = ", ".join(f"{src}: {res.workflow}" for src, res in zip(sources, results, strict=True))
        raise UsageError(f"merge: inputs come from different workflows ({listing})")
    statuses: dict[str, BackendStatus] = {}
    analysed: set[str] = set()
    skipped: dict[str, str] = {}
    for result in results:
        analysed.update(result.analysed_files)
        skipped.update(result.skipped_files)
        for status in result.backends:
            if status.name in statuses:
                statuses[status.name].absorb(status)
            else:
                statuses[status.name] = BackendStatus.from_dict(status.to_dict())
    first = results[0]
    return AnalysisResult(
        workflow=first.workflow,
        target=first.target,
        findings=merge_findings(f for result in results for f in result.findings),
        min_consensus=min_consensus,
        backends=[statuses[name] for name in sorted(statuses)],
        analysed_files=sorted(analysed),
        skipped_files={path: skipped[path] for path in sorted(skipped) if path not in analysed},
        path_prefix=first.path_prefix,
        text="\n\n".join(result.text for result in results if result.text),
        duration=max(result.duration for result in results),
    )


# ---------------------------------------------------------------------------------------------
# Running


@dataclass
class AnalysisRequest:
    workflow: str  # built-in name (hunt, audit, explain, diff) or a path / project override
    config: Config
    project_dir: Path  # where lok.toml and .lok/workflows are looked up
    target: Path  # directory to analyse (the repository for diff)
    revision_range: str | None = None  # diff only; None = staged changes
    backends: list[str] | None = None  # -b; None = the configured defaults
    min_consensus: int = 1
    shard: Shard | None = None
    cache: AnswerCache | None = None
    progress: Progress | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    is_diff: bool = False


def default_backends(config: Config) -> list[str] | None:
    """The ready LLM backends (or the embedded fallback) and the ready static analyzers."""
    from lok_action.backends.selection import default_analyzer_names, default_backend_names

    return list(default_backend_names(config)) + default_analyzer_names(config)


def _repo_prefix(target: Path) -> str:
    from lok_action import git

    return git.prefix(target)


def _repo_root(directory: Path) -> Path:
    """The work tree's top directory (git diff prints paths relative to it), or ``directory``."""
    from lok_action import git

    return git.top_level(directory) or directory


def run_analysis(request: AnalysisRequest) -> AnalysisResult:
    from lok_action.workflow.lookup import find_workflow
    from lok_action.workflow.runner import RunContext, run_workflow

    started = time.monotonic()
    target = request.target.resolve()
    if not target.is_dir():
        raise UsageError(f"{request.target}: not a directory")
    workflow = find_workflow(request.workflow, request.project_dir)
    if request.min_consensus < 1:
        raise UsageError(f"--min-consensus must be at least 1, got {request.min_consensus}")
    if request.is_diff:
        # diff paths are relative to the repository root whatever the cwd: read and report from there
        target = _repo_root(target)
        sections = split_diff(git_diff(target, request.revision_range))
        if request.shard is not None:
            sections = [section for section in sections if request.shard.owns(section.path)]
        coverage = Coverage(root=target, shard=request.shard)
        chunker = diff_chunker(sections)
        candidates = [section.path for section in sections]
        what = request.revision_range or "staged changes"
    else:
        coverage = collect_files(target, shard=request.shard)
        chunker = file_chunker(coverage)
        candidates = [source.path for source in coverage.files]
        what = str(request.target)
    names = request.backends if request.backends else default_backends(request.config)
    ctx = RunContext(
        config=request.config,
        workdir=target,
        env=request.env,
        cache=request.cache,
        default_backends=names,
        chunker=chunker,
        template_vars={"target": what, "workflow_name": workflow.name},
        progress=request.progress,
    )
    run = run_workflow(workflow, ctx)
    revision = range_end(request.revision_range) if request.is_diff else None
    result = collect_analysis(workflow, run, chunker, coverage, candidates, request.min_consensus, revision)
    result.target = what
    result.path_prefix = _repo_prefix(target)
    result.duration = time.monotonic() - started
    return result


class _SourceCache:
    """File lines read once per run (validation and fingerprints both need them). For a diff of a
    range A..B they come from revision B, the code the line numbers refer to."""

    def __init__(self, coverage: Coverage, revision: str | None = None) -> None:
        self._coverage = coverage
        self._revision = revision
        self._lines: dict[str, list[str] | None] = {}

    def __call__(self, path: str) -> list[str] | None:
        if path not in self._lines:
            self._lines[path] = self._read(path)
        return self._lines[path]

    def _read(self, path: str) -> list[str] | None:
        if self._revision is None:
            return self._coverage.lines_of(path)
        from lok_action import git

        shown = git.show_file(self._coverage.root, self._revision, path)
        return source_lines(shown) if shown is not None else None


def range_end(revision_range: str | None) -> str | None:
    """The revision whose code a diff's new-side line numbers refer to: B in A..B or A...B (HEAD when
    B is empty); None (the working tree) for staged changes or a single revision."""
    if revision_range is None or ".." not in revision_range:
        return None
    return revision_range.rsplit("..", 1)[1].lstrip(".") or "HEAD"


def collect_analysis(
    workflow: Workflow,
    run: RunResult,
    chunker: Chunker,
    coverage: Coverage,
    candidates: Sequence[str],
    min_consensus: int,
    revision: str | None = None,
) -> AnalysisResult:
    """Step results -> AnalysisResult: findings validated per backend answer, then merged."""
    statuses: dict[str, BackendStatus] = {}
    analysed_by: dict[str, set[str]] = defaultdict(set)
    raw: list[Finding] = []
    texts: list[str] = []
    lines_of = _SourceCache(coverage, revision)
    for step in workflow.steps:
        step_result = run.steps.get(step.name)
        if step_result is None:
            continue
        for output, reply in zip(step_result.outputs, step_result.replies, strict=False):
            status = statuses.setdefault(output.backend, BackendStatus(output.backend))
            status.calls += 1
            status.duration += reply.duration
            status.input_tokens = _add(status.input_tokens, reply.input_tokens)
            status.output_tokens = _add(status.output_tokens, reply.output_tokens)
            status.cost_usd = _add(status.cost_usd, reply.cost_usd)
            status.repairs += reply.repairs
            if not reply.ok:
                status.failed_calls += 1
                status.error = status.error or reply.error
                continue
            files = (
                chunker.files_of(output.backend, output.chunk_index) if step.for_each else list(candidates)
            )
            if step.findings and output.parsed is None:
                status.unparseable += 1  # the reply came back but held no JSON: its findings are lost
                status.error = status.error or (output.error or "answer was not JSON")
                continue
            status.usable += 1
            for path in files:
                analysed_by[path].add(output.backend)
            if not step.findings:
                continue
            validated = validate_raw_findings(output.parsed, output.backend, files, lines_of)
            status.findings += len(validated.findings)
            status.dropped += validated.dropped
            raw.extend(validated.findings)
        if not step.findings and step.prompt is not None and step_result.text.strip():
            texts.append(step_result.text.strip())
    for name, status in statuses.items():
        status.status = "ok" if status.usable else "failed"  # ok = at least one answer was usable
        if status.status == "ok":
            status.error = None
        elif status.unparseable and not status.failed_calls:
            status.error = f"no answer was JSON ({status.error})"
        plan = chunker.by_backend.get(name)
        status.over_budget = len(plan.over_budget) if plan else 0
        status.budget = chunker.budgets.get(name, "")
    analysed = sorted(path for path in candidates if path in analysed_by)
    skipped = dict(coverage.skipped)
    for path in candidates:
        if path not in analysed_by:
            skipped[path] = _why_not_analysed(path, chunker, statuses)
    findings = merge_findings(raw, lambda path: analysed_by.get(path, ()))
    return AnalysisResult(
        workflow=workflow.name,
        target=str(coverage.root),
        findings=findings,
        min_consensus=min_consensus,
        backends=[statuses[name] for name in sorted(statuses)],
        analysed_files=analysed,
        skipped_files={path: skipped[path] for path in sorted(skipped)},
        shard=str(coverage.shard) if coverage.shard else None,
        text="\n\n".join(texts),
    )


def _why_not_analysed(path: str, chunker: Chunker, statuses: Mapping[str, BackendStatus]) -> str:
    plans = chunker.by_backend
    if plans and all(path in plan.over_budget for plan in plans.values()):
        return "over budget (every backend's chunk limit was reached)"
    if not statuses:
        return "not analysed (no backend ran)"
    return "not analysed (no usable answer: the calls failed or their answers were not JSON)"
