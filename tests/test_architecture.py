"""The shape of lok_action/, read from its source: no import cycles, and the layers import downward only.

The import graph is built with `ast` from every module under lok_action/ (the modules are never
imported). It holds module-level AND function-level imports: a function-level import is still a
dependency, only a later one. `from x import y` counts as an import of the submodule x.y where y is
one, else of x; relative imports are resolved. Importing a.b.c also runs the `__init__` of a and a.b,
but those edges are left out: a package's `__init__` that imports its own submodules would otherwise
be a cycle with each of them. Dynamic imports (importlib with a name in a string: the CLI's command
table, the backend registry) are not seen; both import downward by design.

Imports under `if TYPE_CHECKING:` never execute, so the cycle tests leave them out: a cycle is about
which module must finish loading before another can, and type-only imports take no part in that. The
layer tests keep them in: a report module that names an orchestration type in its signatures depends
on that module's shape all the same. Layer tests follow imports transitively, so a forbidden module
cannot be reached through a third one either; a failure prints the chain. Cycles are checked between
modules and between layers (each subpackage below lok_action/, each top-level module).

Beside those: every subpackage ships in the wheel, every lok_action import names a module that exists,
and the internal control-flow exceptions are not LokError.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the project runs its tests on 3.11
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "lok_action"

# What the GitHub sinks and the report writers must not depend on (issue 11): they read Outcomes only.
ORCHESTRATION_FOR_GITHUB = (
    "lok_action.workflow.runner",
    "lok_action.workflow.lookup",
    "lok_action.collect",
    "lok_action.pipeline",
)
ORCHESTRATION_FOR_REPORTS = (
    "lok_action.workflow.runner",
    "lok_action.workflow.lookup",
    "lok_action.pipeline",
    "lok_action.collect",
    "lok_action.analysis",
)


@dataclass(frozen=True)
class Import:
    source: str  # the module whose line it is
    line: int
    target: str  # the module imported
    type_only: bool  # under `if TYPE_CHECKING:`

    def where(self) -> str:
        return f"{modules()[self.source].path.relative_to(REPO)}:{self.line}"


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool


@cache
def modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = Module(".".join(parts), path, is_package)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(
    node: ast.AST, type_only: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement below ``node`` (in functions, classes, try blocks too)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, type_only
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.body:
                yield from _import_nodes(ast.Module(body=[statement], type_ignores=[]), True)
            for statement in child.orelse:  # the else branch does run
                yield from _import_nodes(ast.Module(body=[statement], type_ignores=[]), type_only)
        else:
            yield from _import_nodes(child, type_only)


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


@cache
def imports_of(name: str) -> tuple[Import, ...]:
    """The lok_action modules ``name`` imports, each once (its first import line), in source order."""
    module = modules()[name]
    return read_imports(module, module.path.read_text(encoding="utf-8"))


def read_imports(module: Module, text: str) -> tuple[Import, ...]:
    """The lok_action modules the source ``text`` of ``module`` imports (see imports_of)."""
    name = module.name
    known = modules()
    found: dict[str, Import] = {}

    def add(target: str, line: int, type_only: bool) -> None:
        if target == name or target not in known:
            return
        earlier = found.get(target)
        if earlier is None or (earlier.type_only and not type_only):  # a runtime import wins
            found[target] = Import(name, line, target, type_only)

    tree = ast.parse(text, str(module.path))
    for node, type_only in _import_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno, type_only)
            continue
        source = _resolve(module, node)
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            add(submodule if submodule in known else source, node.lineno, type_only)
    return tuple(found.values())


def graph(*, type_only: bool) -> dict[str, list[Import]]:
    """module -> its imports; ``type_only`` keeps the `if TYPE_CHECKING:` ones too."""
    return {
        name: [edge for edge in imports_of(name) if type_only or not edge.type_only] for name in modules()
    }


def strongly_connected(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's components of more than one node (iterative: no recursion limit to meet)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def path_between(edges: Mapping[str, Iterable[str]], start: str, goal: str, within: set[str]) -> list[str]:
    """A shortest path start -> ... -> goal through ``within`` (breadth first), or []."""
    previous: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(edges.get(node, ())):
                if child == goal:
                    path = [goal, node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return path[::-1]
                if child in within and child not in seen:
                    seen.add(child)
                    previous[child] = node
                    following.append(child)
        frontier = following
    return []


def describe_cycles(edges: Mapping[str, list[Import]], label: str) -> list[str]:
    """For each cyclic component, the shortest cycle through each of its members (each cycle once):
    a -> b (a.py:12) -> ... -> a."""
    targets = {name: [edge.target for edge in found] for name, found in edges.items()}
    lines = []
    for component in strongly_connected(targets):
        members = set(component)
        lines.append(f"{label} cycle among {len(component)}: {', '.join(component)}")
        told: set[frozenset[str]] = set()
        for member in component:
            cycle = min(
                (
                    [member, *path_between(targets, child, member, members)]
                    for child in targets[member]
                    if child in members
                ),
                key=len,
            )
            if frozenset(zip(cycle, cycle[1:], strict=False)) in told:
                continue
            told.add(frozenset(zip(cycle, cycle[1:], strict=False)))
            steps = [member]
            for source, target in zip(cycle, cycle[1:], strict=False):
                edge = next(edge for edge in edges[source] if edge.target == target)
                steps.append(f"{target} ({edge.where()})")
            lines.append("    " + " -> ".join(steps))
    return lines


def package_of(name: str) -> str:
    """The layer a module belongs to: its subpackage right below lok_action, or itself when top-level."""
    parts = name.split(".")
    return ".".join(parts[:2])


def package_graph() -> dict[str, list[Import]]:
    """layer -> its imports of other layers (one Import per layer pair, the first line found)."""
    layers: dict[str, dict[str, Import]] = {}
    for name, found in graph(type_only=False).items():
        own = package_of(name)
        into = layers.setdefault(own, {})
        for edge in found:
            other = package_of(edge.target)
            if other != own and other != "lok_action" and other not in into:
                into[other] = Import(edge.source, edge.line, other, False)
    return {layer: list(found.values()) for layer, found in layers.items()}


def chain_to(start: Import, goal: str, edges: Mapping[str, list[Import]]) -> list[Import]:
    """The shortest chain of imports that begins with ``start`` and ends in ``goal``, or []."""
    if start.target == goal:
        return [start]
    came_from: dict[str, Import] = {}
    frontier = [start.target]
    seen = {start.target}
    while frontier:
        following = []
        for node in frontier:
            for edge in edges[node]:
                if edge.target in seen:
                    continue
                seen.add(edge.target)
                came_from[edge.target] = edge
                if edge.target == goal:
                    chain = [edge]
                    while chain[-1].source != start.target:
                        chain.append(came_from[chain[-1].source])
                    return [start, *reversed(chain)]
                following.append(edge.target)
        frontier = following
    return []


def forbidden_imports(folder: str, forbidden: Iterable[str]) -> list[str]:
    """Each import out of lok_action/<folder>/ that leads to a forbidden module, with the chain."""
    edges = graph(type_only=True)
    prefix = f"lok_action.{folder}"
    inside = {name for name in modules() if name == prefix or name.startswith(prefix + ".")}
    chains = []
    for name in sorted(inside):
        for edge in edges[name]:
            if edge.target in inside:
                continue
            for target in forbidden:
                chain = chain_to(edge, target, edges)
                if chain:
                    steps = [
                        f"{step.target} ({step.where()}{', type only' if step.type_only else ''})"
                        for step in chain
                    ]
                    chains.append(" -> ".join([name, *steps]))
    return chains


WALKER_SAMPLE = """
from typing import TYPE_CHECKING

import lok_action.errors
from lok_action import ranges
from lok_action.workflow import model
from . import result
from .shell import run_shell_command

if TYPE_CHECKING:
    from lok_action.config import Config
    from lok_action.workflow.model import Step
else:
    from lok_action import atomic


def later() -> None:
    from lok_action.backends.calling import call_backend
    from lok_action import __version__
"""


def test_the_import_graph_sees_every_kind_of_import() -> None:
    """The walker itself, on a sample module placed in lok_action/workflow/ (the real modules it
    names decide what is a submodule): module-level, function-level, relative, `from package import
    submodule`, TYPE_CHECKING (type only, its else branch not), a runtime import beating a type-only one."""
    sample = Module("lok_action.workflow.sample", PACKAGE / "workflow" / "sample.py", False)
    found = {edge.target: (edge.line, edge.type_only) for edge in read_imports(sample, WALKER_SAMPLE)}
    assert found == {
        "lok_action.errors": (4, False),
        "lok_action.ranges": (5, False),  # from a package, a submodule
        "lok_action.workflow.model": (6, False),  # runtime here, type only again on line 13
        "lok_action.workflow.result": (7, False),  # relative, a submodule of the package
        "lok_action.workflow.shell": (8, False),  # relative, a name from a submodule
        "lok_action.config": (11, True),
        "lok_action.atomic": (14, False),  # the else branch of `if TYPE_CHECKING` runs
        "lok_action.backends.calling": (18, False),  # function level
        "lok_action": (19, False),  # a name from the package itself
    }
    assert strongly_connected({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert describe_cycles({}, "import") == []


def test_no_import_cycle_between_modules() -> None:
    cycles = describe_cycles(graph(type_only=False), "import")
    if cycles:
        pytest.fail("\n".join(cycles), pytrace=False)


def test_no_import_cycle_between_packages() -> None:
    """Layers (the subpackages below lok_action/ and its top-level modules) form no loop either: e.g.
    backends -> cache -> backends was one, with no module cycle in it."""
    cycles = describe_cycles(package_graph(), "package")
    if cycles:
        pytest.fail("\n".join(cycles), pytrace=False)


def test_github_imports_no_runner_lookup_collector_or_pipeline() -> None:
    """lok_action/github/ publishes finished Outcomes; it never runs a workflow or collects a run."""
    chains = forbidden_imports("github", ORCHESTRATION_FOR_GITHUB)
    if chains:
        pytest.fail("lok_action/github/ reaches orchestration:\n  " + "\n  ".join(chains), pytrace=False)


def test_report_imports_no_orchestration_module() -> None:
    """lok_action/report/ writes finished Outcomes; it depends on no orchestration module."""
    chains = forbidden_imports("report", ORCHESTRATION_FOR_REPORTS)
    if chains:
        pytest.fail("lok_action/report/ reaches orchestration:\n  " + "\n  ".join(chains), pytrace=False)


def test_every_package_ships_in_the_wheel() -> None:
    """A subpackage missing from [tool.setuptools] packages is absent from the wheel and the image."""
    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    )
    packages = {module.name for module in modules().values() if module.is_package}
    assert packages <= listed, (
        f"not in pyproject.toml [tool.setuptools] packages: {sorted(packages - listed)}"
    )


def test_every_lok_action_import_names_a_module_that_exists() -> None:
    """An import of a lok_action module that is not there (a move half done) fails here, even inside a
    function that no test happens to call."""
    missing = []
    for module in modules().values():
        tree = ast.parse(module.path.read_text(encoding="utf-8"))
        for node, _ in _import_nodes(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                targets = [_resolve(module, node)]
            for target in targets:
                if target.split(".")[0] == "lok_action" and target not in modules():
                    missing.append(f"{module.path.relative_to(REPO)}:{node.lineno}: {target}")
    assert not missing, "imports of modules that do not exist:\n  " + "\n  ".join(missing)


INTERNAL_FAILURES = {
    # a step's failure, reported on the step
    "lok_action.workflow.runner": "StepFailure",
    # a model's edits that cannot be applied or verified: the step or conduct round fails
    "lok_action.workflow.edits": "EditError",
    # a template that cannot render: a load-time WorkflowError or the step's failure
    "lok_action.workflow.templating": "TemplateProblem",
    # model or command output that holds no JSON: a step's, verdict's, plan's or decision's failure
    "lok_action.jsonextract": "OutputParseError",
    # a debate verdict that cannot be read: one repair request, then the backend drops out
    "lok_action.ensemble.debate": "VerdictError",
    # a conductor decision or action that failed: fed back to the conductor as the round's error
    "lok_action.ensemble.conduct": "DecisionError ActionFailed",
}


def test_internal_control_flow_exceptions_are_not_user_errors() -> None:
    """The CLI prints a LokError as a user's mistake (one line, exit 2). These exceptions are always
    caught and turned into a step's, a round's or a backend's failure; one that leaked would be a bug,
    and must show as one (a traceback), never as a user error."""
    import importlib

    from lok_action.errors import LokError

    user_errors = [
        f"{module}.{name}"
        for module, names in INTERNAL_FAILURES.items()
        for name in names.split()
        if issubclass(getattr(importlib.import_module(module), name), LokError)
    ]
    assert not user_errors, f"internal control-flow exceptions that are LokError: {user_errors}"
