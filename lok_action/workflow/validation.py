"""Load-time checks of a workflow's templates, so nothing that can be known before the run fails
after earlier steps have spent money: syntax, `steps.X` references (a known ancestor, an attribute a
step really has), and the shell quoting of every `{{ }}` in `shell` and `verify` commands.

Every check is linear in the size of the workflow (80,000 chained steps validate in seconds):
ancestry is answered from DFS labels, not from one ancestor set per step.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lok_action.errors import WorkflowError, closest

if TYPE_CHECKING:
    from jinja2 import nodes

    from lok_action.workflow.model import Step, Workflow

TEMPLATE_FIELDS = ("prompt", "shell", "verify", "when")
SHELL_FIELDS = ("shell", "verify")  # rendered with render_shell: every value quoted for its position
VIEW_METHODS = ("get", "items", "keys", "values")  # a step view is a dict: `steps.X.items()` works too


class Ancestry:
    """Whether step A is an ancestor of step B (B depends on A, directly or through others) in an
    acyclic dependency graph. One iterative DFS along `depends_on` numbers every step (pre, post and
    `low`, the smallest post number it reaches); most questions are then answered in O(1):
    A inside B's DFS subtree means yes, A's labels outside B's mean no (the GRAIL labels). Only
    the rest search, pruned by the same labels."""

    def __init__(self, deps: Mapping[str, Sequence[str]], order: Sequence[str]) -> None:
        self.deps = deps
        self.pre: dict[str, int] = {}
        self.post: dict[str, int] = {}
        self.low: dict[str, int] = {}
        # start from the last steps: a chain then becomes one DFS path, and every ancestor question
        # about it a subtree test
        for root in reversed(order):
            if root not in self.pre:
                self._number_from(root)

    def _number_from(self, root: str) -> None:
        pre, post, low, deps = self.pre, self.post, self.low, self.deps
        pre[root] = len(pre)
        stack = [(root, iter(deps[root]))]
        while stack:
            node, pending = stack[-1]
            for dep in pending:
                if dep not in pre:
                    pre[dep] = len(pre)
                    stack.append((dep, iter(deps[dep])))
                    break
            else:
                stack.pop()
                post[node] = len(post)
                # acyclic: every dependency is finished by now
                low[node] = min([post[node], *(low[dep] for dep in deps[node])])

    def _in_subtree(self, top: str, node: str) -> bool:
        return self.pre[top] <= self.pre[node] and self.post[node] <= self.post[top]

    def _may_reach(self, start: str, target: str) -> bool:
        return self.low[start] <= self.low[target] and self.post[target] <= self.post[start]

    def is_ancestor(self, ancestor: str, step: str) -> bool:
        if ancestor == step or not self._may_reach(step, ancestor):
            return False
        if self._in_subtree(step, ancestor):
            return True
        seen = {step}
        todo = [step]
        while todo:
            for dep in self.deps[todo.pop()]:
                if dep == ancestor or self._in_subtree(dep, ancestor):
                    return True
                if dep not in seen and self._may_reach(dep, ancestor):
                    seen.add(dep)
                    todo.append(dep)
        return False


def validate_templates(workflow: Workflow) -> None:
    """Compile every template; check each `steps.X.attr` it reads (X an ancestor of its step, attr
    one a step has) and the quoting of every value in its shell commands."""
    from lok_action.workflow.result import STEP_VIEW_FIELDS
    from lok_action.workflow.templating import TemplateProblem, parse_template, step_references

    names = {step.name: step for step in workflow.steps}
    ancestry = Ancestry({step.name: step.depends_on for step in workflow.steps}, list(names))
    for step in workflow.steps:
        for field_name in TEMPLATE_FIELDS:
            text = getattr(step, field_name)
            if text is None:
                continue
            where = f"{workflow.source}: step '{step.name}': {field_name}"
            try:
                tree = parse_template(text, names, expression=field_name == "when")
            except TemplateProblem as problem:
                raise WorkflowError(f"{where}: {problem}") from None
            for ref, attribute in step_references(tree):
                _check_reference(where, step, ref, attribute, names, ancestry, STEP_VIEW_FIELDS)
            if field_name in SHELL_FIELDS:
                _check_shell_quoting(where, text, tree, names)


def _check_reference(
    where: str,
    step: Step,
    ref: str,
    attribute: str | None,
    names: Mapping[str, Step],
    ancestry: Ancestry,
    fields: Sequence[str],
) -> None:
    if ref == step.name:
        raise WorkflowError(f"{where}: refers to its own step 'steps.{ref}'")
    if ref not in names:
        raise WorkflowError(f"{where}: refers to unknown step 'steps.{ref}'{closest(ref, names)}")
    if ref not in step.depends_on and not ancestry.is_ancestor(ref, step.name):
        raise WorkflowError(
            f"{where}: refers to 'steps.{ref}' which is not a dependency (add \"{ref}\" to depends_on)"
        )
    if attribute is not None and attribute not in fields and attribute not in VIEW_METHODS:
        raise WorkflowError(
            f"{where}: 'steps.{ref}.{attribute}': a step has no '{attribute}'{closest(attribute, fields)}"
            f" (it has {', '.join(fields)})"
        )


def _check_shell_quoting(where: str, text: str, tree: nodes.Template, names: Mapping[str, Step]) -> None:
    """Quote-check every `{{ }}` of a shell command now, through the run's own path (render_shell and
    its quoting tracker), so a value in a position the tracker refuses (backticks, `${...}`, a
    heredoc...) is an error before the steps ahead of it have run.

    The command is reduced to its shape: its literal text with each value as `{{ p }}`, every branch
    and loop body once, in order. Shapes repeat (a generated workflow has a handful), and each is
    rendered once. A template that captures output (`{% set %}...{% endset %}`, macros, call and
    filter blocks) is rendered as written instead, with a stand-in for every variable; branches the
    stand-ins do not take are then checked when the step runs."""
    from jinja2 import nodes

    from lok_action.workflow.templating import TemplateProblem, render_shell, render_text

    shape = _shell_shape(tree)
    if shape is not None:
        problem = _shape_problem(shape)
        if problem:
            raise WorkflowError(f"{where}: {problem}")
        return
    # a stand-in for every name the template reads (names it sets itself shadow theirs)
    variables = {node.name: ProbeMap() for node in tree.find_all(nodes.Name) if node.ctx == "load"}
    try:
        render_shell(text, variables, names)
    except TemplateProblem as problem:
        try:
            render_text(text, variables, names)
        except Exception:  # noqa: BLE001 - the stand-ins cannot drive this template; the run checks it
            return
        raise WorkflowError(f"{where}: {problem}") from None
    except Exception:  # noqa: BLE001 - as above: the run itself reports what the real values do
        return


def _shell_shape(tree: nodes.Template) -> str | None:
    """The template's literal text with `{{ p }}` for each value, or None when it captures output."""
    from jinja2 import nodes

    capturing = (nodes.AssignBlock, nodes.Macro, nodes.CallBlock, nodes.FilterBlock)
    if next(tree.find_all(capturing), None) is not None:
        return None
    parts: list[str] = []
    for output in tree.find_all(nodes.Output):
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                parts.append("{% raw %}" + child.data + "{% endraw %}" if "{" in child.data else child.data)
            else:
                parts.append("{{ p }}")
    return "".join(parts)


@functools.lru_cache(maxsize=1024)
def _shape_problem(shape: str) -> str | None:
    from lok_action.workflow.templating import TemplateProblem, render_shell

    try:
        render_shell(shape, {"p": "lok-probe"}, ())
    except TemplateProblem as problem:
        return str(problem)
    return None


class Probe(str):
    """A stand-in value: text, and whatever attribute, item or call of it a template reads."""

    def __new__(cls) -> Probe:
        return super().__new__(cls, "lok-probe")

    def __getattr__(self, name: str) -> Probe:
        if name.startswith(("_", "jinja_")) or name in ("unsafe_callable", "alters_data"):
            raise AttributeError(name)  # Python's and the sandbox's own questions get real answers
        return Probe()

    def __getitem__(self, key: Any) -> Probe:  # type: ignore[override]
        return Probe()

    def __iter__(self) -> Iterator[Probe]:  # type: ignore[override]
        return iter([Probe()])


class ProbeMap(dict):  # type: ignore[type-arg]
    """A stand-in variable (`steps`, `args`, `env`, `chunk`...): any key or attribute is a Probe."""

    def __missing__(self, key: Any) -> Probe:
        return Probe()
