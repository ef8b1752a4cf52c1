"""Code cut into chunks under each backend's budget; chunk text is rendered only when a backend asks
for it (keeps memory flat on big repositories)."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lok_action.context.files import HEADER, Coverage, SourceFile, line_prefix, source_lines

if TYPE_CHECKING:
    from lok_action.backends.base import Backend


# Per-backend budgets when lok.toml sets no budget_chars. CLI agents read the workspace themselves
# and have big windows; HTTP models get a modest prompt; the embedded SmolLM2 has n_ctx 2048.
# what a chunk-limited backend (the embedded model) reads first
_CODE = ".py .pyi .js .jsx .mjs .cjs .ts .tsx .go .rs .java .kt .scala .c .h .cc .cpp .cxx .hpp .cs .rb .php"
CODE_SUFFIXES = frozenset(
    (_CODE + " .swift .m .mm .sh .bash .lua .pl .r .dart .ex .exs .erl .hs .ml .sql").split()
)


@dataclass(frozen=True)
class Piece:
    """A file, or a line range of one when the whole file is bigger than the budget."""

    path: str
    start: int
    end: int
    total: int  # lines in the file


class Chunk:
    """One prompt's worth of code. ``text`` is rendered on first use."""

    def __init__(
        self,
        index: int,
        files: Sequence[str],
        render: Callable[[], str],
        size: int,
        lines: Mapping[str, int] | None = None,
    ) -> None:
        self.index = index
        self.files = list(files)
        self.size = size  # estimated characters of text
        self._render = render
        # file -> the last line number the chunk shows of it (for the findings schema); {} for diffs
        self.lines = dict(lines or {})

    @cached_property
    def text(self) -> str:
        return self._render()

    def __repr__(self) -> str:
        return f"Chunk({self.index}, {len(self.files)} files, ~{self.size} chars)"


def render_pieces(root: Path, pieces: Sequence[Piece]) -> str:
    """Files with line numbers, so the line numbers an LLM answers with are the file's real ones."""
    out: list[str] = []
    for piece in pieces:
        lines = source_lines((root / piece.path).read_text(encoding="utf-8", errors="replace"))
        out.append(
            HEADER.format(path=piece.path, start=piece.start, end=piece.end, total=piece.total).rstrip()
        )
        width = line_prefix(piece.total) - 2
        out.extend(f"{number:{width}d}| {lines[number - 1]}" for number in range(piece.start, piece.end + 1))
        out.append("")
    return "\n".join(out)


def _split_file(root: Path, source: SourceFile, budget: int) -> list[tuple[Piece, int]]:
    """Line ranges of an over-budget file, each rendering under ``budget``."""
    lines = source_lines((root / source.path).read_text(encoding="utf-8", errors="replace"))
    room = max(budget - len(HEADER) - len(source.path) - 20, 1)
    pieces, start, used = [], 1, 0
    for number, line in enumerate(lines, 1):
        cost = len(line) + line_prefix(len(lines)) + 1
        if used and used + cost > room:
            pieces.append((Piece(source.path, start, number - 1, len(lines)), used))
            start, used = number, 0
        used += cost
    if start <= len(lines):
        pieces.append((Piece(source.path, start, len(lines), len(lines)), used))
    return pieces


@dataclass
class ChunkPlan:
    chunks: list[Chunk]
    over_budget: list[str]  # files left out because the backend's chunk limit was reached


def plan_chunks(coverage: Coverage, budget: int, max_chunks: int | None = None) -> ChunkPlan:
    """Pack files, in path order (neighbours stay together), into chunks of at most ``budget``
    characters; a file bigger than the budget is split into line ranges."""
    root = coverage.root
    groups: list[list[Piece]] = []
    sizes: list[int] = []
    current: list[Piece] = []
    used = 0
    over_budget: list[str] = []

    def close() -> None:
        nonlocal current, used
        if current:
            groups.append(current)
            sizes.append(used)
            current, used = [], 0

    # with a chunk limit, not everything fits: source code goes first, configs and docs after
    files = coverage.files if max_chunks is None else sorted(coverage.files, key=_code_first)
    for source in files:
        if max_chunks is not None and len(groups) >= max_chunks:
            over_budget.append(source.path)
            continue
        cost = source.rendered_chars
        if cost <= budget:
            if used + cost > budget:
                close()
            current.append(Piece(source.path, 1, source.lines, source.lines))
            used += cost
            continue
        close()
        for piece, piece_cost in _split_file(root, source, budget):
            if max_chunks is not None and len(groups) >= max_chunks:
                break
            groups.append([piece])
            sizes.append(piece_cost)
        else:
            continue
        over_budget.append(source.path)  # only part of it fitted under the chunk limit
    close()
    if max_chunks is not None and len(groups) > max_chunks:
        kept = {piece.path for group in groups[:max_chunks] for piece in group}
        late = [piece.path for group in groups[max_chunks:] for piece in group if piece.path not in kept]
        over_budget = list(dict.fromkeys(late + over_budget))
        groups, sizes = groups[:max_chunks], sizes[:max_chunks]
    chunks = [
        Chunk(
            index,
            list(dict.fromkeys(p.path for p in group)),
            _renderer(root, group),
            size,
            _last_lines(group),
        )
        for index, (group, size) in enumerate(zip(groups, sizes, strict=True))
    ]
    return ChunkPlan(chunks, over_budget)


def _code_first(source: SourceFile) -> tuple[bool, str]:
    return (PurePosixPath(source.path).suffix.lower() not in CODE_SUFFIXES, source.path)


def _last_lines(pieces: Sequence[Piece]) -> dict[str, int]:
    last: dict[str, int] = {}
    for piece in pieces:
        last[piece.path] = max(last.get(piece.path, 0), piece.end)
    return last


def _renderer(root: Path, pieces: list[Piece]) -> Callable[[], str]:
    return lambda: render_pieces(root, pieces)


@dataclass(frozen=True)
class Budget:
    chars: int
    max_chunks: int | None = None
    patterns: tuple[str, ...] = ()  # only the files these match (static analyzers' file_patterns)

    def describe(self) -> str:
        limit = f", at most {self.max_chunks} chunks" if self.max_chunks else ""
        only = f", only {', '.join(self.patterns)}" if self.patterns else ""
        return f"{self.chars:,} chars per prompt{limit}{only}"

    def admits(self, path: str) -> bool:
        return not self.patterns or path_matches(path, self.patterns)


def path_matches(path: str, patterns: Sequence[str]) -> bool:
    """A pattern without "/" matches the file name (``*.py``), one with "/" the whole path."""
    name = path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(path if "/" in pattern else name, pattern) for pattern in patterns)


def budget_for(backend: Backend) -> Budget:
    """lok.toml's budget_chars, else the one its kind declares (KindSpec.budget)."""
    chars, max_chunks = backend.spec.budget()
    chars = backend.config.budget_chars or chars
    if not backend.answers_prompts:  # an analyzer reads the files itself: the budget bounds its argv
        return Budget(chars, None, backend.config.file_patterns)
    return Budget(chars, max_chunks)


class Chunker:
    """RunContext.chunker: chunks per backend, planned once per budget and reused across steps, so
    chunk indexes mean the same thing in every step's outputs."""

    def __init__(self, plan: Callable[[Budget], ChunkPlan]) -> None:
        self._plan = plan
        self._plans: dict[Budget, ChunkPlan] = {}
        self.by_backend: dict[str, ChunkPlan] = {}
        self.budgets: dict[str, str] = {}  # backend -> its budget, described for reports

    def plan_for(self, budget: Budget) -> ChunkPlan:
        if budget not in self._plans:
            self._plans[budget] = self._plan(budget)
        return self._plans[budget]

    def __call__(self, backend: Backend) -> list[Chunk]:
        budget = budget_for(backend)
        plan = self.plan_for(budget)
        self.by_backend[backend.name] = plan
        self.budgets[backend.name] = budget.describe()
        return plan.chunks

    def files_of(self, backend: str, chunk_index: int | None) -> list[str]:
        plan = self.by_backend.get(backend)
        if plan is None or chunk_index is None or not 0 <= chunk_index < len(plan.chunks):
            return []
        return plan.chunks[chunk_index].files


def file_chunker(coverage: Coverage) -> Chunker:
    def plan(budget: Budget) -> ChunkPlan:
        admitted = coverage if not budget.patterns else _only(coverage, budget)
        return plan_chunks(admitted, budget.chars, budget.max_chunks)

    return Chunker(plan)


def _only(coverage: Coverage, budget: Budget) -> Coverage:
    return Coverage(coverage.root, [f for f in coverage.files if budget.admits(f.path)], {}, coverage.shard)
