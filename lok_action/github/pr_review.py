"""review-pr's code context: the pull request's diff, fetched through the API, split per file and
packed into chunks under each backend's budget by the chunker `lok diff` uses (lok_action.context),
each chunk fenced and labelled as untrusted data. The review's findings are then collected the way
`lok diff` collects them, so every changed file is either analysed or listed as skipped."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lok_action.context.chunks import Budget, Chunk, Chunker, ChunkPlan
from lok_action.context.diffs import FileDiff, plan_diff_chunks, split_diff
from lok_action.errors import UsageError
from lok_action.ranges import ISSUE_NUMBER

if TYPE_CHECKING:
    from lok_action.analysis import AnalysisResult
    from lok_action.github.client import RepoHandle
    from lok_action.workflow.model import Workflow
    from lok_action.workflow.result import RunResult
    from lok_action.workflow.runner import RunContext

# room for the untrusted-data label and fences around each chunk, taken off the backend's budget
LABEL_ROOM = 200
DIFF_LABEL = "Diff of the pull request, part {part} (new-file line numbers before '|')"


def _labelled(chunk: Chunk) -> Chunk:
    from lok_action.github.pr_data import untrusted

    return Chunk(
        chunk.index,
        chunk.files,
        lambda: untrusted(DIFF_LABEL.format(part=chunk.index + 1), chunk.text),
        chunk.size + LABEL_ROOM,
    )


class PullRequestChunker(Chunker):
    """RunContext.chunker for a pull request: its file diffs, chunked per backend budget."""

    def __init__(
        self, number: int, head_sha: str, sections: Sequence[FileDiff], skipped: dict[str, str] | None = None
    ) -> None:
        self.number = number
        self.head_sha = head_sha
        self.paths = [section.path for section in sections]
        self.skipped = dict(skipped or {})  # changed files with no patch to review (path -> why)

        def plan(budget: Budget) -> ChunkPlan:
            room = Budget(max(budget.chars - LABEL_ROOM, LABEL_ROOM), budget.max_chunks)
            inner = plan_diff_chunks(sections, room)
            return ChunkPlan([_labelled(chunk) for chunk in inner.chunks], inner.over_budget)

        super().__init__(plan)


def fetch_pull_request(handle: RepoHandle, number: int) -> PullRequestChunker:
    from lok_action.github.pr_data import pull_request_diff

    pull = handle.repo().get_pull(number)
    diff = pull_request_diff(handle, number)
    return PullRequestChunker(number, pull.head.sha, split_diff(diff.text), diff.skipped)


def attach_pull_request(context: RunContext) -> PullRequestChunker:
    """`lok run review-pr 123`: the PR's diff (token from GITHUB_TOKEN, repo from GITHUB_REPOSITORY or
    the git remote) as the run's chunker."""
    from lok_action.github.client import open_repo, repository_name

    if not context.args:
        raise UsageError("review-pr: give the pull request number, e.g. lok run review-pr 123")
    number = int(ISSUE_NUMBER.parse("review-pr: the pull request number", context.args[0]))
    handle = open_repo(repository_name(context.workdir, context.env), context.env)
    chunker = fetch_pull_request(handle, number)
    context.chunker = chunker
    return chunker


def review_analysis(
    workflow: Workflow, run: RunResult, chunker: PullRequestChunker, workdir: Path, min_consensus: int
) -> AnalysisResult:
    """Findings validated against the files of the chunk each answer was about, with the line numbers
    of the PR's head commit (when the checkout has it), merged by consensus; coverage and per-backend
    status and cost as for `lok diff`."""
    from lok_action.analysis import collect_analysis
    from lok_action.context.files import Coverage

    result = collect_analysis(
        workflow,
        run,
        chunker,
        Coverage(root=workdir, skipped=dict(chunker.skipped)),
        chunker.paths,
        min_consensus,
        chunker.head_sha or None,
    )
    result.target = f"pull request #{chunker.number}"
    return result
