"""The code a request analyses: the files under a directory, a git diff, a pull request's diff, or none
(a workflow that fetches what it needs itself). Each becomes one CodeContext: where the steps run,
the chunks each backend is given, the files that can be named in a finding, and the source lines the
findings' line numbers refer to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lok_action import git
from lok_action.context.chunks import Budget, Chunk, Chunker, ChunkPlan, file_chunker
from lok_action.context.diffs import (
    FileDiff,
    PullRequestPatch,
    deleted_files,
    diff_chunker,
    git_diff,
    plan_diff_chunks,
    split_diff,
)
from lok_action.context.files import Coverage, collect_files, source_lines
from lok_action.context.shards import Shard
from lok_action.errors import UsageError
from lok_action.findings.carry import EarlierReview

# room for the untrusted-data label and fences around each pull request chunk, taken off the budget
LABEL_ROOM = 200
DIFF_LABEL = "Diff of the pull request, part {part} (new-file line numbers before '|')"


@dataclass
class CodeContext:
    workdir: Path  # where the steps and backends run
    label: str  # what reports call the target: "src", "main..HEAD", "pull request #7"
    coverage: Coverage | None = None  # None: no code was given (a workflow such as fix or ci)
    chunker: Chunker | None = None  # for `for_each = "chunk"` steps
    candidates: list[str] | None = None  # the files a finding may name; None = any file of workdir
    revision: str | None = None  # whose code the line numbers refer to; None = the working tree
    path_prefix: str = ""  # workdir relative to the repository's top ("src/"), for SARIF URIs
    earlier: EarlierReview | None = None  # a pull request's last review, whose findings carry forward
    gone: list[str] = field(default_factory=list)  # deleted or renamed away (since --since, or by the PR)
    since: str | None = None  # --since REF: only the files changed since REF were candidates
    _lines: dict[str, list[str] | None] = field(default_factory=dict, repr=False)

    def lines_of(self, path: str) -> list[str] | None:
        """A file's lines as the findings' line numbers count them, read once per run (validation and
        fingerprints both need them). For a diff of A..B they come from revision B."""
        if path not in self._lines:
            self._lines[path] = self._read(path)
        return self._lines[path]

    def _read(self, path: str) -> list[str] | None:
        if self.revision is None:
            return (self.coverage or Coverage(root=self.workdir)).lines_of(path)
        shown = git.show_file(self.workdir, self.revision, path)
        return source_lines(shown) if shown is not None else None


def files_context(
    target: Path, shard: Shard | None, since: str | None = None, own: Sequence[Path] = ()
) -> CodeContext:
    """Every file under ``target`` (git's listing, else a .gitignore-aware walk), or its shard; with
    ``since`` only the files changed since that revision, the others skipped as unchanged. ``own``
    are folders lok writes itself during the run (a cassette): not code, never listed."""
    root = target.resolve()
    if not root.is_dir():
        raise UsageError(f"{target}: not a directory")
    coverage = _without(collect_files(root, shard=shard), root, own)
    gone: list[str] = []
    if since is not None:
        gone = only_changed(coverage, root, since)
    return CodeContext(
        root,
        str(target),
        coverage,
        file_chunker(coverage),
        [source.path for source in coverage.files],
        path_prefix=git.prefix(root),
        gone=gone,
        since=since,
    )


def _without(coverage: Coverage, root: Path, own: Sequence[Path]) -> Coverage:
    inside = [folder.resolve() for folder in own if folder.resolve().is_relative_to(root)]
    if not inside:
        return coverage

    def ours(path: str) -> bool:
        return any((root / path).resolve().is_relative_to(folder) for folder in inside)

    coverage.files = [source for source in coverage.files if not ours(source.path)]
    coverage.skipped = {path: why for path, why in coverage.skipped.items() if not ours(path)}
    return coverage


def only_changed(coverage: Coverage, root: Path, since: str) -> list[str]:
    """Keep in ``coverage`` the files changed since ``since``; the others become skipped
    "unchanged since REF". Returns the files deleted or renamed away since then."""
    from lok_action.errors import GitError, GitNotFound

    try:
        if not git.in_work_tree(root):
            raise UsageError(f"--since {since}: {root} is not in a git work tree")
        sha = git.resolve_commit(root, since)
        if sha is None:
            raise UsageError(f"--since {since}: not a commit of the git repository at {root}")
        changed, gone = git.changed_since(root, sha)
    except (GitError, GitNotFound) as error:
        raise UsageError(f"--since {since}: {error}") from None
    reason = f"unchanged since {since}"
    kept = []
    for source in coverage.files:
        if source.path in changed:
            kept.append(source)
        else:
            coverage.skipped[source.path] = reason
    coverage.files = kept
    # a file skipped for its own reason (binary, too large, .lokignore) that did not change is, for this
    # run, unchanged; one that changed keeps its reason, so a night whose only change was skipped is
    # not taken for a night where nothing changed
    for path in list(coverage.skipped):
        if path not in changed:
            coverage.skipped[path] = reason
    return sorted(path for path in gone if coverage.shard is None or coverage.shard.owns(path))


def diff_context(target: Path, revision_range: str | None, shard: Shard | None) -> CodeContext:
    """The staged changes, or a revision range; paths and line numbers as git prints them, from the
    repository's top whatever the directory asked for."""
    directory = target.resolve()
    root = git.top_level(directory) or directory
    sections = split_diff(git_diff(root, revision_range))
    if shard is not None:
        sections = [section for section in sections if shard.owns(section.path)]
    return CodeContext(
        root,
        revision_range or "staged changes",
        Coverage(root=root, shard=shard),
        diff_chunker(sections),
        [section.path for section in sections],
        revision=range_end(revision_range),
        path_prefix=git.prefix(root),
    )


def pull_request_context(workdir: Path, patch: PullRequestPatch) -> CodeContext:
    """The pull request's file diffs, chunked per backend budget like `lok diff`, each chunk fenced and
    labelled as untrusted data; line numbers from its head commit (when the checkout has it). After an
    earlier review only the files changed since its head are given; the others are listed as unchanged."""
    root = workdir.resolve()
    sections = split_diff(patch.diff)
    skipped = dict(patch.skipped)
    earlier = patch.earlier
    if earlier is not None and earlier.changed is not None:
        unchanged = f"unchanged since {earlier.head[:7]}"
        skipped.update({s.path: unchanged for s in sections if s.path not in earlier.changed})
        sections = [section for section in sections if section.path in earlier.changed]
    # files the pull request (or its changes since the last review) deletes: their earlier findings are
    # fixed, though no backend analysed them; read from the diffs, not the checkout, which may lack the head
    gone = deleted_files(patch.diff) | (deleted_files(earlier.since_diff) if earlier is not None else set())
    return CodeContext(
        root,
        f"pull request #{patch.number}",
        Coverage(root=root, skipped=skipped),
        pull_request_chunker(sections),
        [section.path for section in sections],
        revision=patch.head_sha or None,
        earlier=earlier,
        gone=sorted(gone),
    )


def pull_request_chunker(sections: Sequence[FileDiff]) -> Chunker:
    def plan(budget: Budget) -> ChunkPlan:
        room = Budget(max(budget.chars - LABEL_ROOM, LABEL_ROOM), budget.max_chunks)
        inner = plan_diff_chunks(sections, room)
        return ChunkPlan([_labelled(chunk) for chunk in inner.chunks], inner.over_budget)

    return Chunker(plan)


def _labelled(chunk: Chunk) -> Chunk:
    from lok_action.markdown_text import untrusted

    return Chunk(
        chunk.index,
        chunk.files,
        lambda: untrusted(DIFF_LABEL.format(part=chunk.index + 1), chunk.text),
        chunk.size + LABEL_ROOM,
    )


def workflow_only(workdir: Path, label: str) -> CodeContext:
    """No code: the workflow fetches what it needs itself (fix, ci); findings may name any file."""
    return CodeContext(workdir.resolve(), label)


def range_end(revision_range: str | None) -> str | None:
    """The revision whose code a diff's new-side line numbers refer to: B in A..B or A...B (HEAD when
    B is empty); None (the working tree) for staged changes or a single revision."""
    if revision_range is None or ".." not in revision_range:
        return None
    return revision_range.rsplit("..", 1)[1].lstrip(".") or "HEAD"
