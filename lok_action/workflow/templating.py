"""Jinja2 templates for prompts, shell commands and `when` conditions.

Sandboxed and strict (a missing variable is an error, not an empty string). In shell commands every
`{{ ... }}` value is quoted for the place it stands in the command, so step output (LLM text) can never
become shell syntax: each expression renders to a placeholder, then a small quoting tracker walks the
rendered command and replaces each placeholder with the value escaped for its quoting context.

Steps run under `sh -c`, which is dash on Debian and in the image, bash on other systems (and busybox
ash on Alpine). The tracker models the POSIX grammar those shells share and refuses every position
where they read the same text differently (`$'...'`, `$[...]`, `((...))`, quotes inside `${...}`), so a
command it accepts is safe whichever of them runs it.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment, nodes

# Private-use code points delimit placeholders. Each rendering adds a random number of its own, so
# text that merely contains these characters (a template, or an LLM answer) is never taken for one.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
TAG = re.compile(r"({{.*?}}|{%.*?%})", re.DOTALL)
STEP_WORD = re.compile(r"\bsteps\.([A-Za-z_][\w-]*)")  # the whole `steps.NAME`, hyphens included
FALSE_WORDS = ("", "false", "0", "no", "none", "null", "off")


class TemplateProblem(ValueError):
    """A template cannot be compiled, rendered or safely quoted. Not a LokError: loading a workflow turns
    it into a WorkflowError naming the file and step, a run into that step's failure."""


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


class Placeholders:
    """Stand-ins for the values of one shell rendering: MARK_OPEN, this rendering's random number, the
    value's index, MARK_CLOSE. Digits only, so a filter such as `upper` leaves them intact."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.nonce = str(secrets.randbits(64))
        self._pattern = re.compile(f"{MARK_OPEN}{self.nonce}:(\\d+){MARK_CLOSE}")

    def add(self, value: str) -> str:
        self.values.append(value)
        return f"{MARK_OPEN}{self.nonce}:{len(self.values) - 1}{MARK_CLOSE}"

    def restore(self, text: str) -> str:
        """``text`` with every placeholder put back to its value."""
        return self._pattern.sub(lambda match: self.values[int(match.group(1))], text)

    def at(self, text: str, index: int) -> re.Match[str] | None:
        """The placeholder starting at ``text[index]``, if one does."""
        return self._pattern.match(text, index) if text.startswith(MARK_OPEN, index) else None


def render_shell(source: str, variables: Mapping[str, Any], step_names: Iterable[str]) -> str:
    """Render a shell command with every interpolated value quoted for its position."""
    holders = Placeholders()

    def capture(value: Any) -> str:
        # output captured by {% set %}/macros comes back through here: put its values back first
        text = holders.restore(str(_plain(value)))
        return holders.add(text.replace("\x00", ""))  # NUL cannot travel in argv

    env = make_environment()
    env.finalize = capture
    rendered = _render(env, rewrite_hyphenated(source, step_names), variables)
    return quote_placeholders(rendered, holders)


def check_shell_template(source: str, step_names: Iterable[str] = ()) -> None:
    """Raise TemplateProblem when a `{{ }}` of a shell template stands where no value can be quoted
    safely, judged from the template's text alone (for load time: rendering checks again with the real
    values). `{% %}` tags are left out, so the text of every branch is checked where it stands."""
    source = rewrite_hyphenated(source, step_names)
    _parse(source, expression=False)  # syntax errors first, with their line
    holders = Placeholders()
    parts: list[str] = []
    in_value = False
    for _line, token, text in make_environment().lex(source):
        if token == "variable_begin":
            parts.append(holders.add(""))
            in_value = True
        elif token == "variable_end":
            in_value = False
        elif token == "data" and not in_value:
            parts.append(text)
    quote_placeholders("".join(parts), holders)


# `{cmd}` right after a shell's -c option (`sh -c {cmd}`, `bash -lc {cmd}`, `su -c {cmd}`)
AFTER_SCRIPT_OPTION = re.compile(r"(?:^|\s)-[A-Za-z]*c\s+\{cmd\}")


def quote_for_wrapper(wrapper: str, command: str) -> str:
    """`command_wrapper` with `{cmd}` replaced by the command, quoted for where `{cmd}` stands.

    Bare after a `-c` option the command is that shell's script: one quoted word. Bare elsewhere
    (`env {cmd}`, `nice -n 5 {cmd}`) it is the program to run: `sh -c '<command>'`, so it stays one
    command."""
    holders = Placeholders()
    marked = wrapper.replace("{cmd}", holders.add(command))
    return quote_placeholders(marked, holders, bare_as_command=AFTER_SCRIPT_OPTION.search(wrapper) is None)


# Quoting contexts on the tracker's stack
BARE, SINGLE, DOUBLE, CMDSUB, PAREN, BACKTICK, BRACE, ARITH, COMMENT = (
    "bare",
    "single",
    "double",
    "cmdsub",
    "paren",
    "backtick",
    "brace",
    "arith",
    "comment",
)
# Where no value can be quoted safely, whatever its quotes
UNQUOTABLE = {BACKTICK: "backticks", BRACE: "${...}", ARITH: "arithmetic ($((...)))"}
# Where a `#` can start a comment: after one of these (unescaped), a new word begins.
WORD_BREAKS = " \t\n;&|<>("
CODE_CONTEXTS = (BARE, CMDSUB, PAREN)
# What precedes the next character, for deciding whether a `#` there starts a comment.
AT_WORD_START, IN_WORD, UNSURE = "word-start", "in-word", "unsure"

# Constructs the shells read differently (or the tracker cannot follow): every value after one is refused.
AFTER_HEREDOC = "a heredoc (<<), whose body expands $(...) whatever the quotes; pass the value via a file"
AFTER_ANSI_C = "$'...', which bash reads as one escaped string and dash as a $ and a quoted string"
AFTER_LOCALE = '$"...", which bash translates and dash reads as a $ and a quoted string'
AFTER_OLD_ARITH = "$[...], which is arithmetic to bash and plain text to dash"
AFTER_ARITH_COMMAND = "((...)), which is arithmetic to bash and nested subshells to dash; use $((...))"
IN_BRACE_QUOTES = "a quote, backslash or brace inside ${...}, which dash and bash read differently"
NESTED_CASE = "a case statement inside (...) or $(...), whose ')' patterns the tracker cannot tell apart"


def quote_placeholders(rendered: str, holders: Placeholders, bare_as_command: bool = False) -> str:
    """Replace each placeholder by its value escaped for the quoting context it stands in.

    The tracker must agree with every POSIX shell about quoting everywhere a value can land. Where it
    cannot be sure (a `#` right after an escape or a closing `)`, `` ` `` or `}`, or one of the
    AFTER_* constructs above), later values are refused."""
    out: list[str] = []
    stack = [BARE]
    refusal = ""  # why every later value is refused
    unsure_comment = False  # a `#` was seen that may or may not start a comment
    before = AT_WORD_START
    i, n = 0, len(rendered)
    while i < n:
        char = rendered[i]
        top = stack[-1]
        placeholder = holders.at(rendered, i) if char == MARK_OPEN else None
        if placeholder is not None:
            if refusal:
                raise TemplateProblem(f"a {{{{ }}}} value after {refusal} cannot be quoted safely")
            if unsure_comment and top != COMMENT:
                raise TemplateProblem(
                    "a {{ }} value after a '#' that may or may not start a shell comment cannot be quoted"
                    " safely; put a space before a comment, or quote the '#'"
                )
            # backquoted text is cut at the first backquote before quotes are parsed, ${...} and $((...))
            # have quoting rules of their own: never safe inside, however deep
            context = next((unsafe for unsafe in UNQUOTABLE if unsafe in stack), top)
            out.append(_quote_value(context, holders.values[int(placeholder.group(1))], bare_as_command))
            i = placeholder.end()
            before = IN_WORD
            continue
        nxt = rendered[i + 1] if i + 1 < n else ""
        step = 1
        if top == SINGLE:
            if char == "'":
                stack.pop()
            before = IN_WORD
        elif top == COMMENT:
            if char == "\n":
                stack.pop()
                before = AT_WORD_START
        elif char == "\\":
            if holders.at(rendered, i + 1):
                raise TemplateProblem("a {{ }} value directly after a backslash cannot be quoted safely")
            if top == BRACE:
                refusal = refusal or IN_BRACE_QUOTES
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
        elif char == "$" and top != DOUBLE and holders.at(rendered, i + 1):
            raise TemplateProblem(
                "a {{ }} value directly after a '$' cannot be quoted safely (bash would read $'...');"
                " write \\$ or put the $ in quotes"
            )
        elif char == "$" and nxt and nxt in "'[\"" and top != DOUBLE:
            refusal = refusal or {"'": AFTER_ANSI_C, "[": AFTER_OLD_ARITH, '"': AFTER_LOCALE}[nxt]
            before = IN_WORD
        elif char == "$" and nxt == "[":  # bash expands $[...] inside double quotes too
            refusal = refusal or AFTER_OLD_ARITH
        elif top == BRACE:
            if char == "}":
                stack.pop()
                before = UNSURE
            elif char in "'\"{`":
                refusal = refusal or IN_BRACE_QUOTES
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
        elif char == "'":
            stack.append(SINGLE)
            before = IN_WORD
        elif char == "(":
            if nxt == "(" and top != ARITH:
                refusal = refusal or AFTER_ARITH_COMMAND
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
                refusal = refusal or AFTER_HEREDOC
            elif top in (CMDSUB, PAREN) and before != IN_WORD and _is_word(rendered, i, "case"):
                refusal = refusal or NESTED_CASE
            before = AT_WORD_START if char in WORD_BREAKS else IN_WORD
        out.append(rendered[i : i + step])
        i += step
    return "".join(out)


def _is_word(text: str, index: int, word: str) -> bool:
    """Whether ``word`` stands whole at ``text[index]`` (followed by the end or a word break)."""
    end = index + len(word)
    return text.startswith(word, index) and (end == len(text) or text[end] in WORD_BREAKS + ")")


def _quote_value(context: str, value: str, bare_as_command: bool) -> str:
    if context == SINGLE:
        return value.replace("'", "'\\''")  # close, escaped quote, reopen
    if context == DOUBLE:
        # leave the double quotes, add a single-quoted literal, reopen: nothing inside is special,
        # not even `!` (escaping it with a backslash would leave the backslash in the value)
        return '"' + shlex.quote(value) + '"'
    if context in CODE_CONTEXTS:
        return f"sh -c {shlex.quote(value)}" if bare_as_command else shlex.quote(value)
    if context == COMMENT:
        return ""
    raise TemplateProblem(
        f"a {{{{ }}}} value inside {UNQUOTABLE.get(context, context)} cannot be quoted safely;"
        " use $(...) or quotes instead"
    )
