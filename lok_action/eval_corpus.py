"""The labelled corpus that `lok eval` scores backends against: loading and validating its cases.

A corpus is a folder of cases. A case is a folder holding ``tree/`` (the code under review),
``expected.toml`` (its known problems, or ``problems = []`` for a clean case) and, for a diff
review, ``base/`` (the same code before the change). eval/README.md is the format's reference.
Everything wrong with a case is found here, at load time, as one line naming the file and field.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from lok_action import jsonfields as f
from lok_action.context.files import source_lines
from lok_action.errors import LokError, closest
from lok_action.findings.model import CATEGORIES, SEVERITIES
from lok_action.tomlload import load_toml

EXPECTED_FILE = "expected.toml"
TREE_DIR = "tree"
BASE_DIR = "base"
# A finding matches an expected problem when it names the same file and its lines overlap the
# problem's lines widened by this many on each side (eval/README.md says why 3).
MATCH_TOLERANCE = 3

CASE_KEYS = ("description", "problems")
PROBLEM_KEYS = (
    "file",
    "start_line",
    "end_line",
    "category",
    "severity",
    "kind",
    "description",
    "evidence",
)
KIND_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LANGUAGES = {
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
}
# Made by running a case's code, never part of one.
SKIPPED_DIRS = frozenset(["__pycache__", "node_modules"])


class CorpusError(LokError):
    """A corpus, case or expected.toml is malformed."""


@dataclass(frozen=True)
class ExpectedProblem:
    file: str  # POSIX path relative to the case's tree/
    start_line: int  # 1-based, inclusive, as git and editors number lines
    end_line: int
    category: str  # one of findings.CATEGORIES
    severity: str  # one of findings.SEVERITIES
    kind: str  # slug naming the class of problem, e.g. "sql-injection"
    description: str
    evidence: str  # an exact substring of one of the lines start_line..end_line

    def matches(self, file: str, start_line: int, end_line: int, tolerance: int = MATCH_TOLERANCE) -> bool:
        """Whether a finding at file:start_line-end_line is about this problem (location only)."""
        return (
            file == self.file
            and start_line <= self.end_line + tolerance
            and end_line >= self.start_line - tolerance
        )


@dataclass(frozen=True)
class Case:
    name: str  # the case folder's name
    path: Path  # the case folder
    description: str
    problems: tuple[ExpectedProblem, ...]
    files: tuple[str, ...]  # every file of tree/, POSIX paths relative to it, sorted
    base_files: tuple[str, ...]  # every file of base/; empty for a case that is not a diff review

    @property
    def tree(self) -> Path:
        return self.path / TREE_DIR

    @property
    def base(self) -> Path | None:
        return self.path / BASE_DIR if self.is_diff else None

    @property
    def is_diff(self) -> bool:
        return bool(self.base_files)

    @property
    def is_clean(self) -> bool:
        return not self.problems

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(
            LANGUAGES[suffix]
            for suffix in (PurePosixPath(p).suffix for p in self.files)
            if suffix in LANGUAGES
        )


def load_corpus(path: Path) -> list[Case]:
    """Every case of the corpus at ``path``, sorted by name; ``path`` may also be a single case."""
    if not path.is_dir():
        raise CorpusError(f"{path}: not a directory")
    if (path / EXPECTED_FILE).is_file():
        return [load_case(path)]
    cases = []
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        if not entry.is_dir() or entry.name.startswith((".", "_")):
            continue
        if not (entry / EXPECTED_FILE).is_file():
            raise CorpusError(f"{entry}: not a case: it has no {EXPECTED_FILE}")
        cases.append(load_case(entry))
    if not cases:
        raise CorpusError(f"{path}: no cases (a case is a folder with {EXPECTED_FILE} and {TREE_DIR}/)")
    return cases


def load_case(path: Path) -> Case:
    expected = path / EXPECTED_FILE
    tree = path / TREE_DIR
    if not tree.is_dir() or tree.is_symlink():
        raise CorpusError(f"{path}: no {TREE_DIR}/ folder (the code under review)")
    files = _list_files(tree)
    if not files:
        raise CorpusError(f"{tree}: holds no files")
    base_files: tuple[str, ...] = ()
    base = path / BASE_DIR
    if base.exists():
        if not base.is_dir() or base.is_symlink():
            raise CorpusError(f"{base}: must be a folder (the code before the change)")
        base_files = _list_files(base)
        if not base_files:
            raise CorpusError(f"{base}: holds no files (a case without a change has no {BASE_DIR}/)")
    data = load_toml(expected, CorpusError)
    try:
        description, problems = _read_expected(data, tree, base if base_files else None)
    except f.FieldError as error:
        raise CorpusError(f"{expected}: {error}") from None
    if base_files and _tree_text(tree, files) == _tree_text(base, base_files):
        raise CorpusError(
            f"{path}: {TREE_DIR}/ and {BASE_DIR}/ are identical, so there is no change to review"
        )
    return Case(path.name, path, description, problems, files, base_files)


def _list_files(root: Path) -> tuple[str, ...]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in filenames:
            full = here / name
            relative = full.relative_to(root).as_posix()
            if full.is_symlink() or not full.is_file():
                raise CorpusError(f"{full}: not a regular file (a case holds plain files only)")
            found.append(relative)
        for name in dirnames:
            if (here / name).is_symlink():
                raise CorpusError(f"{here / name}: a symlink (a case holds plain files only)")
    return tuple(sorted(found))


def _tree_text(root: Path, files: tuple[str, ...]) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in files}


def _read_lines(path: Path) -> list[str]:
    try:
        return source_lines(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CorpusError(f"{path}: not UTF-8 text") from None


def _unknown_key(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise f.FieldError(f"{where}{key}", f"unknown key{closest(key, allowed)}")


def _choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...], where: str) -> str:
    value = f.text(data, key, where)
    if value not in choices:
        raise f.FieldError(
            f"{where}{key}", f"'{value}' is not one of {', '.join(choices)}{closest(value, choices)}"
        )
    return value


def _one_line(data: Mapping[str, Any], key: str, where: str) -> str:
    value = f.text(data, key, where)
    if not value.strip():
        raise f.FieldError(f"{where}{key}", "must not be empty")
    if "\n" in value or "\r" in value:
        raise f.FieldError(f"{where}{key}", "must be one line")
    return value


def _read_expected(
    data: Mapping[str, Any], tree: Path, base: Path | None
) -> tuple[str, tuple[ExpectedProblem, ...]]:
    _unknown_key(data, CASE_KEYS, "")
    description = f.text(data, "description", "", "")
    if "problems" not in data:
        raise f.FieldError("problems", "missing (write problems = [] for a clean case)")
    items = f.as_list(data["problems"], "problems")
    problems = tuple(
        _read_problem(item, f"problems[{index}].", tree, base) for index, item in enumerate(items)
    )
    return description, problems


def _read_problem(item: Any, where: str, tree: Path, base: Path | None) -> ExpectedProblem:
    data = f.as_mapping(item, where.rstrip("."))
    _unknown_key(data, PROBLEM_KEYS, where)
    file = _case_path(f.text(data, "file", where), where)
    if not (tree / file).is_file():
        raise f.FieldError(f"{where}file", f"'{file}' is not a file of {TREE_DIR}/")
    lines = _read_lines(tree / file)
    start = f.integer(data, "start_line", where, minimum=1)
    end = f.integer(data, "end_line", where, minimum=start)
    if end > len(lines):
        raise f.FieldError(f"{where}end_line", f"{end} is past the end of {file} ({len(lines)} lines)")
    kind = f.text(data, "kind", where)
    if not KIND_PATTERN.fullmatch(kind):
        raise f.FieldError(
            f"{where}kind", f"'{kind}' is not a lowercase-hyphenated slug such as sql-injection"
        )
    evidence = _one_line(data, "evidence", where)
    if not any(evidence in line for line in lines[start - 1 : end]):
        raise f.FieldError(f"{where}evidence", f"{evidence!r} is not on lines {start}-{end} of {file}")
    if base is not None and not _changed_lines(base, tree, file) & set(range(start, end + 1)):
        raise f.FieldError(
            f"{where}start_line",
            f"lines {start}-{end} of {file} are the same in {BASE_DIR}/: a diff case labels what the change brings",
        )
    return ExpectedProblem(
        file=file,
        start_line=start,
        end_line=end,
        category=_choice(data, "category", CATEGORIES, where),
        severity=_choice(data, "severity", SEVERITIES, where),
        kind=kind,
        description=_one_line(data, "description", where),
        evidence=evidence,
    )


def _case_path(value: str, where: str) -> str:
    path = PurePosixPath(value)
    if (
        not value
        or "\\" in value
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in value.split("/"))
    ):
        raise f.FieldError(
            f"{where}file", f"'{value}' is not a relative path inside {TREE_DIR}/ such as src/app.py"
        )
    return value


def _changed_lines(base: Path, tree: Path, file: str) -> set[int]:
    new = _read_lines(tree / file)
    if not (base / file).is_file():
        return set(range(1, len(new) + 1))
    old = _read_lines(base / file)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    changed: set[int] = set()
    for tag, _a1, _a2, b1, b2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            changed.update(range(b1 + 1, b2 + 1))
    return changed
