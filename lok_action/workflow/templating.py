"""Jinja2 templates for prompts, shell commands and `when` conditions.

Sandboxed and strict (a missing variable is an error, not an empty string). In shell commands every
`{{ ... }}` value is quoted for the place it stands in the command, so step output (LLM text) can never
become shell syntax: each expression renders to a placeholder, then a small POSIX-sh quoting tracker walks
the rendered command and replaces each placeholder with the value escaped for its quoting context.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from lok_action.errors import LokError

if TYPE_CHECKING:
    from jinja2 import Environment, nodes

# Private-use code points delimit placeholders; a template containing them is refused.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
PLACEHOLDER = re.compile(f"{MARK_OPEN}(\\d+){MARK_CLOSE}")
TAG = re.compile(r"({{.*?}}|{%.*?%})", re.DOTALL)
STEP_WORD = re.compile(r"\bsteps\.([A-Za-z_][\w-]*)")  # the whole `steps.NAME`, hyphens included
FALSE_WORDS = ("", "false", "0", "no", "none", "null", "off")


class TemplateProblem(LokError):
    """A template cannot be compiled, rendered or safely quoted."""


def make_environment() -> Environment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=_plain)


def _plain(value: Any) -> Any:
    """How a value prints in a prompt: JSON for parsed structures, '' for None."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def is_bare_expression(source: str) -> bool:
    return "{{" not in source and "{%" not in source


def rewrite_hyphenated(source: str, step_names: Iterable[str], expression: bool = False) -> str:
    """`steps.deep-dive.output` parses as `steps.deep - dive.output`; rewrite it to `steps["deep-dive"]`
    for known step names, inside Jinja tags only (literal text stays as written), or everywhere in a
    bare `when` expression. Costs one membership test per `steps.a-b` written, whatever the number
    of steps (pass a set)."""
    if "-" not in source:
        return source
    names = step_names if isinstance(step_names, Collection) else set(step_names)

    def fix(text: str) -> str:
        return STEP_WORD.sub(
            lambda m: f'steps["{m.group(1)}"]' if "-" in m.group(1) and m.group(1) in names else m.group(0),
            text,
        )

    if expression and is_bare_expression(source):
        return fix(source)
    return TAG.sub(lambda match: fix(match.group(0)), source)


def _parse(source: str, expression: bool) -> nodes.Template:
    from jinja2 import TemplateSyntaxError

    env = make_environment()
    try:
        if expression and is_bare_expression(source):
            return env.parse("{{ (" + source + ") }}")
        return env.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(f"invalid template syntax (line {error.lineno}): {error.message}") from None


def parse_template(source: str, step_names: Collection[str], expression: bool = False) -> nodes.Template:
    """The Jinja syntax tree of a template (after the hyphen rewrite)."""
    if MARK_OPEN in source or MARK_CLOSE in source:
        raise TemplateProblem("contains reserved characters U+E000/U+E001")
    return _parse(rewrite_hyphenated(source, step_names, expression), expression)


def step_references(tree: nodes.Template) -> list[tuple[str, str | None]]:
    """(X, attribute) for each `steps.X.attribute` / `steps['X']['attribute']` read in a template;
    attribute None when `steps.X` is used whole or indexed by a non-constant."""
    from jinja2 import nodes

    def constant_key(node: nodes.Node) -> str | None:
        if isinstance(node, nodes.Getattr):
            return node.attr
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            value = node.arg.value
            return value if isinstance(value, str) else None
        return None

    accesses = list(tree.find_all((nodes.Getattr, nodes.Getitem)))
    steps: dict[int, str] = {}  # id(node) of each `steps.X` -> X
    for node in accesses:
        target = getattr(node, "node", None)
        name = constant_key(node)
        if isinstance(target, nodes.Name) and target.name == "steps" and name is not None:
            steps[id(node)] = name
    attributes: dict[int, str | None] = {}
    for node in accesses:
        inner = getattr(node, "node", None)
        if id(inner) in steps:
            attributes[id(inner)] = constant_key(node)
    return [(name, attributes.get(key)) for key, name in steps.items()]


def referenced_steps(source: str, step_names: Collection[str], expression: bool = False) -> list[str]:
    """Names X read as `steps.X` or `steps['X']` in a template (after the hyphen rewrite)."""
    return [name for name, _ in step_references(parse_template(source, step_names, expression))]


def render_text(source: str, variables: Mapping[str, Any], step_names: Iterable[str]) -> str:
    """Render a prompt (no quoting)."""
    return _render(make_environment(), rewrite_hyphenated(source, step_names), variables)


def _render(env: Environment, source: str, variables: Mapping[str, Any]) -> str:
    from jinja2 import TemplateError

    try:
        return env.from_string(source).render(dict(variables))
    except TemplateError as error:
        raise TemplateProblem(f"template error: {error}") from None


def evaluate_condition(source: str, variables: Mapping[str, Any], step_names: Iterable[str]) -> bool:
    """`when`: a Jinja expression (`steps.scan.success`) or a template rendering to a true/false word."""
    from jinja2 import TemplateError

    source = rewrite_hyphenated(source, step_names, expression=True)
    env = make_environment()
    if not is_bare_expression(source):
        return _render(env, source, variables).strip().lower() not in FALSE_WORDS
    try:
        value = env.compile_expression(source, undefined_to_none=False)(dict(variables))
    except TemplateError as error:
        raise TemplateProblem(f"template error: {error}") from None
    if isinstance(value, str):
        return value.strip().lower() not in FALSE_WORDS
    return bool(value)


def render_shell(source: str, variables: Mapping[str, Any], step_names: Iterable[str]) -> str:
    """Render a shell command with every interpolated value quoted for its position."""
    values: list[str] = []

    def capture(value: Any) -> str:
        text = str(_plain(value))
        # output captured by {% set %}/macros comes back through here: put its values back first
        text = PLACEHOLDER.sub(lambda m: values[int(m.group(1))], text)
        values.append(text.replace("\x00", ""))  # NUL cannot travel in argv
        return f"{MARK_OPEN}{len(values) - 1}{MARK_CLOSE}"

    if MARK_OPEN in source or MARK_CLOSE in source:
        raise TemplateProblem("contains reserved characters U+E000/U+E001")
    env = make_environment()
    env.finalize = capture
    rendered = _render(env, rewrite_hyphenated(source, step_names), variables)
    return quote_placeholders(rendered, values)


def quote_for_wrapper(wrapper: str, command: str) -> str:
    """`command_wrapper` with `{cmd}` replaced by the command, quoted for where `{cmd}` stands.

    In a bare position the command becomes `sh -c '<command>'` so it stays one command."""
    marked = wrapper.replace("{cmd}", f"{MARK_OPEN}0{MARK_CLOSE}")
    return quote_placeholders(marked, [command], bare_as_command=True)


# Quoting contexts on the tracker's stack
BARE, SINGLE, DOUBLE, CMDSUB, PAREN, BACKTICK, BRACE, ARITH, COMMENT, ANSI = (
    "bare",
    "single",
    "double",
    "cmdsub",
    "paren",
    "backtick",
    "brace",
    "arith",
    "comment",
    "$'...'",
)
# Where a `#` can start a comment: after one of these (unescaped), a new word begins.
WORD_BREAKS = " \t\n;&|<>("
CODE_CONTEXTS = (BARE, CMDSUB, PAREN)
# What precedes the next character, for deciding whether a `#` there starts a comment.
AT_WORD_START, IN_WORD, UNSURE = "word-start", "in-word", "unsure"


def quote_placeholders(rendered: str, values: list[str], bare_as_command: bool = False) -> str:
    """Replace each placeholder by its value escaped for the POSIX-sh quoting context it stands in.

    The tracker must agree with the shell about quoting everywhere a value can land; where it cannot
    be sure (a `#` right after an escape or a closing `)`, `` ` `` or `}`), later values are refused."""
    out: list[str] = []
    stack = [BARE]
    heredoc = False
    unsure_comment = False  # a `#` was seen that may or may not start a comment
    before = AT_WORD_START
    i, n = 0, len(rendered)
    while i < n:
        char = rendered[i]
        top = stack[-1]
        if char == MARK_OPEN:
            end = rendered.index(MARK_CLOSE, i)
            value = values[int(rendered[i + 1 : end])]
            if unsure_comment and top != COMMENT:
                raise TemplateProblem(
                    "a {{ }} value after a '#' that may or may not start a shell comment cannot be quoted"
                    " safely; put a space before a comment, or quote the '#'"
                )
            # backquoted text is cut at the first backquote before quotes are parsed: never safe inside
            context = BACKTICK if BACKTICK in stack else top
            out.append(_quote_value(context, value, heredoc, bare_as_command))
            i = end + 1
            before = IN_WORD
            continue
        nxt = rendered[i + 1] if i + 1 < n else ""
        step = 1
        if top == SINGLE:
            if char == "'":
                stack.pop()
            before = IN_WORD
        elif top == ANSI:
            if char == "\\":
                step = 2  # \' does not end $'...'
            elif char == "'":
                stack.pop()
            before = IN_WORD
        elif top == COMMENT:
            if char == "\n":
                stack.pop()
                before = AT_WORD_START
        elif char == "\\":
            if nxt == MARK_OPEN:
                raise TemplateProblem("a {{ }} value directly after a backslash cannot be quoted safely")
            step = 2
            before = UNSURE  # `\ #` and line continuations: the shell's word boundaries get subtle
        elif char == "$" and nxt == "(":
            if rendered[i + 2 : i + 3] == "(":
                stack.append(ARITH)
                step = 3
            else:
                stack.append(CMDSUB)
                step = 2
            before = UNSURE
        elif char == "$" and nxt == "{":
            stack.append(BRACE)
            step = 2
            before = IN_WORD
        elif char == "$" and nxt == "'" and top in CODE_CONTEXTS:
            stack.append(ANSI)  # bash's ANSI-C quoting: backslash escapes a quote inside it
            step = 2
            before = IN_WORD
        elif char == "`":
            if top == BACKTICK:
                stack.pop()
            else:
                stack.append(BACKTICK)
            before = UNSURE
        elif top == DOUBLE:
            if char == '"':
                stack.pop()
            before = IN_WORD
        elif char == '"':
            stack.append(DOUBLE)
            before = IN_WORD
        elif char == "'" and top != BRACE:
            stack.append(SINGLE)
            before = IN_WORD
        elif top == BRACE:
            if char == "}":
                stack.pop()
                before = UNSURE
        elif char == "(":
            stack.append(PAREN)
            before = AT_WORD_START
        elif char == ")":
            if top == ARITH:
                stack.pop()
                if nxt == ")":
                    step = 2
            elif top in (PAREN, CMDSUB):
                stack.pop()
            before = UNSURE
        elif char == "#" and top in CODE_CONTEXTS and before != IN_WORD:
            if before == AT_WORD_START:
                stack.append(COMMENT)
            else:
                unsure_comment = True
            before = IN_WORD
        else:
            if char == "<" and nxt == "<" and top != ARITH:
                heredoc = True  # heredoc bodies expand $(...) whatever the quotes: no values after this
            before = AT_WORD_START if char in WORD_BREAKS else IN_WORD
        out.append(rendered[i : i + step])
        i += step
    return "".join(out)


def _quote_value(context: str, value: str, heredoc: bool, bare_as_command: bool) -> str:
    if heredoc:
        raise TemplateProblem(
            "a {{ }} value after a heredoc (<<) cannot be quoted safely; pass it via a file"
        )
    if context == SINGLE:
        return value.replace("'", "'\\''")  # close, escaped quote, reopen
    if context == DOUBLE:
        # leave the double quotes, add a single-quoted literal, reopen: nothing inside is special,
        # not even `!` (escaping it with a backslash would leave the backslash in the value)
        return '"' + shlex.quote(value) + '"'
    if context in (BARE, CMDSUB, PAREN):
        return f"sh -c {shlex.quote(value)}" if bare_as_command else shlex.quote(value)
    if context == COMMENT:
        return ""
    raise TemplateProblem(
        f"a {{{{ }}}} value inside {context} context cannot be quoted safely; use $(...) or quotes instead"
    )
