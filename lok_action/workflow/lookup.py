"""Find workflows: a path, then the project's .lok/workflows, then the user's, then the built-ins."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from lok_action.errors import LokError, WorkflowError, closest
from lok_action.tomlload import is_present
from lok_action.workflow.model import Workflow, build_workflow, load_workflow_file

BUILTIN_PACKAGE = "lok_action.builtin_workflows"


@dataclass(frozen=True)
class WorkflowInfo:
    name: str
    origin: str  # local | user | built-in
    path: str
    description: str


def user_workflow_dir(env: Mapping[str, str] | None = None) -> Path:
    from lok_action.xdg import lok_dir

    return lok_dir("config", env) / "workflows"


def builtin_files() -> Iterator[tuple[str, str, str]]:
    """(name, label, text) for every built-in workflow shipped in the package."""
    from importlib.resources import files
    from importlib.resources.abc import Traversable

    root: Traversable
    try:
        root = files(BUILTIN_PACKAGE)
    except ModuleNotFoundError:
        # a source checkout used without installing (PYTHONPATH=.): the folder the wheel packages
        root = Path(__file__).resolve().parents[2] / "workflows"
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") and entry.is_file():
            yield entry.name[: -len(".toml")], f"built-in:{entry.name}", entry.read_text(encoding="utf-8")


def _search_dirs(project_dir: Path, env: Mapping[str, str] | None) -> list[tuple[str, Path]]:
    return [("local", project_dir / ".lok" / "workflows"), ("user", user_workflow_dir(env))]


def find_workflow(name_or_path: str, project_dir: Path, env: Mapping[str, str] | None = None) -> Workflow:
    """The workflow a user means by NAME or PATH (first match wins)."""
    candidate = Path(name_or_path)
    looks_like_path = name_or_path.endswith(".toml") or os.sep in name_or_path or "/" in name_or_path
    # a file that is there but unreadable (a directory, a broken link) is an error, never skipped
    # for the next match: `lok run hunt` must not quietly run the built-in over a broken local hunt
    if looks_like_path:
        if is_present(candidate):
            return load_workflow_file(candidate)
        relative = project_dir / candidate
        if is_present(relative):
            return load_workflow_file(relative)
        raise WorkflowError(f"{name_or_path}: workflow file not found")
    for _origin, folder in _search_dirs(project_dir, env):
        path = folder / f"{name_or_path}.toml"
        if is_present(path):
            return load_workflow_file(path)
    for name, label, text in builtin_files():
        if name == name_or_path:
            return _builtin(text, label, name)
    known = sorted({info.name for info in list_workflows(project_dir, env)})
    raise WorkflowError(
        f"unknown workflow '{name_or_path}'{closest(name_or_path, known)}"
        f" (available: {', '.join(known) or 'none'}; see 'lok workflow list')"
    )


def list_workflows(project_dir: Path, env: Mapping[str, str] | None = None) -> list[WorkflowInfo]:
    """Every workflow by name, the first match of each name only (what `lok run NAME` would use)."""
    found: dict[str, WorkflowInfo] = {}
    for origin, folder in _search_dirs(project_dir, env):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            if path.stem not in found:
                found[path.stem] = WorkflowInfo(
                    path.stem, origin, str(path), _description(functools.partial(load_workflow_file, path))
                )
    for name, label, text in builtin_files():
        if name not in found:
            found[name] = WorkflowInfo(
                name, "built-in", label, _description(functools.partial(_builtin, text, label, name))
            )
    return sorted(found.values(), key=lambda info: info.name)


def _builtin(text: str, label: str, name: str) -> Workflow:
    from lok_action.tomlload import parse_toml

    return build_workflow(parse_toml(text, label, WorkflowError), label, default_name=name)


def _description(load: Callable[[], Workflow]) -> str:
    """The description, or why `lok run` would refuse the workflow (listing never fails on one bad
    file: the others are still listed)."""
    try:
        return load().description
    except LokError as error:
        return f"(invalid: {error})"
