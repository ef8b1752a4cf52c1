"""Shell quoting of interpolated values: LLM output can never become shell syntax."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lok_action.workflow.templating import (
    TemplateProblem,
    evaluate_condition,
    quote_for_wrapper,
    referenced_steps,
    render_shell,
    render_text,
    rewrite_hyphenated,
)

HOSTILE = [
    "'; touch pwned; '",
    "$(touch pwned)",
    "`touch pwned`",
    '"; touch pwned; "',
    'it\'s a "quote" \\ back\\slash $HOME ${HOME} !event !! \n second line\n\ttab',
    "",
    "\\",
    "'",
    "--flag-looking",
]
POSITIONS = {
    "single": "printf %s '{{ v }}' > out",
    "double": 'printf %s "{{ v }}" > out',
    "bare": "printf %s {{ v }} > out",
    "single-glued": "printf %s 'a{{ v }}b' > out",
    "double-glued": 'printf %s "a{{ v }}b" > out',
    "cmdsub-in-double": "printf %s \"$(printf %s '{{ v }}')\" > out",
    "subshell": "(printf %s {{ v }} > out)",
}
EXPECTED_AFFIX = {"single-glued": ("a", "b"), "double-glued": ("a", "b")}


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("position", sorted(POSITIONS))
def test_value_arrives_byte_identical_and_runs_nothing(tmp_path: Path, position: str, value: str) -> None:
    command = render_shell(POSITIONS[position], {"v": value}, [])
    subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True, timeout=10)
    before, after = EXPECTED_AFFIX.get(position, ("", ""))
    expected = before + value + after
    if position == "cmdsub-in-double":
        expected = expected.rstrip("\n")  # $(...) drops trailing newlines by definition
    assert (tmp_path / "out").read_text() == expected
    assert not (tmp_path / "pwned").exists()


def test_seed_comment_step_passes_text_through(tmp_path: Path) -> None:
    text = "Found: it's broken\n'; touch pwned; '\n$(touch pwned) `touch pwned`"
    template = "printf %s '{{ steps.deep-dive.output }}' > body.txt"
    command = render_shell(template, {"steps": {"deep-dive": {"output": text}}}, ["scan", "deep-dive"])
    subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True, timeout=10)
    assert (tmp_path / "body.txt").read_text() == text
    assert not (tmp_path / "pwned").exists()


def test_loops_and_filters_are_quoted_too(tmp_path: Path) -> None:
    items = ["a b", "'; touch pwned; '", "$(touch pwned)"]
    command = render_shell(
        'for x in {% for i in items %}{{ i | upper }} {% endfor %}; do echo "$x"; done > out',
        {"items": items},
        [],
    )
    subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True, timeout=10)
    assert (tmp_path / "out").read_text().splitlines() == [i.upper() for i in items]
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "template",
    [
        "echo `echo {{ v }}`",
        "echo ${X:-{{ v }}}",
        "echo $(( {{ v }} + 1 ))",
        "cat <<EOF\n{{ v }}\nEOF",
        "echo \\{{ v }}",
    ],
)
def test_unquotable_positions_are_refused(template: str) -> None:
    with pytest.raises(TemplateProblem):
        render_shell(template, {"v": "$(touch pwned)"}, [])


def test_value_in_comment_is_dropped(tmp_path: Path) -> None:
    command = render_shell("echo ok > out # {{ v }}", {"v": "x\ntouch pwned"}, [])
    subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True, timeout=10)
    assert (tmp_path / "out").read_text() == "ok\n"
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "wrapper",
    ["sh -c '{cmd}'", 'sh -c "{cmd}"', "env {cmd}", "nice -n 0 sh -c '{cmd}'"],
)
def test_command_wrapper_keeps_the_command_intact(tmp_path: Path, wrapper: str) -> None:
    inner = render_shell("printf %s '{{ v }}' > out", {"v": "it's $(touch pwned)"}, [])
    subprocess.run(["sh", "-c", quote_for_wrapper(wrapper, inner)], cwd=tmp_path, check=True, timeout=10)
    assert (tmp_path / "out").read_text() == "it's $(touch pwned)"
    assert not (tmp_path / "pwned").exists()


def test_hyphenated_step_names_are_rewritten_only_inside_tags() -> None:
    source = "literal steps.deep-dive.output {{ steps.deep-dive.output }} {{ steps.deep-dive-2.output }}"
    rewritten = rewrite_hyphenated(source, ["deep-dive", "deep-dive-2"])
    assert rewritten == (
        'literal steps.deep-dive.output {{ steps["deep-dive"].output }} {{ steps["deep-dive-2"].output }}'
    )
    assert referenced_steps(source, ["deep-dive", "deep-dive-2"]) == ["deep-dive", "deep-dive-2"]


def test_referenced_steps_finds_attribute_and_item_access() -> None:
    refs = referenced_steps(
        "{{ steps.a.output }}{% if steps['b'].success %}{{ steps[\"c\"].error }}{% endif %}", []
    )
    assert refs == ["a", "b", "c"]


def test_prompt_renders_json_values_as_json_and_none_as_empty() -> None:
    text = render_text(
        "{{ x.findings }}|{{ y }}|{{ x.findings[0].line }}", {"x": {"findings": [{"line": 3}]}, "y": None}, []
    )
    assert text == '[{"line": 3}]||3'


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(TemplateProblem, match="undefined"):
        render_text("{{ nope }}", {}, [])


def test_sandbox_blocks_attribute_escapes() -> None:
    with pytest.raises(TemplateProblem):
        render_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", {}, [])


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("steps.a.success", True),
        ("not steps.a.success", False),
        ('"bug" in steps.a.output', True),
        ("{{ steps.a.success }}", True),
        ("{{ 'false' }}", False),
        ("false", False),
    ],
)
def test_when_conditions(condition: str, expected: bool) -> None:
    variables = {"steps": {"a": {"success": True, "output": "a bug"}}}
    assert evaluate_condition(condition, variables, ["a"]) is expected


def test_bare_when_expression_with_hyphenated_step() -> None:
    variables = {"steps": {"deep-dive": {"success": True}}}
    assert evaluate_condition("steps.deep-dive.success", variables, ["deep-dive"]) is True
    assert referenced_steps("steps.deep-dive.success", ["deep-dive"], expression=True) == ["deep-dive"]


@pytest.mark.parametrize(
    "template",
    [
        "echo $(echo a)#'\n{{ v }}'",  # `#` right after `)`: mid-word for the shell, not a comment
        "echo \\ #'\n{{ v }}'",  # after an escaped space
        "echo `echo a`#'\n{{ v }}'",
        "echo $'{{ v }}'",  # bash's ANSI-C quoting, where \\' does not end the string
    ],
)
def test_positions_the_shell_reads_differently_are_refused(template: str) -> None:
    for value in ("$(touch pwned)", "`touch pwned`", "\\'; touch pwned; echo '"):
        with pytest.raises(TemplateProblem):
            render_shell(template, {"v": value}, [])


@pytest.mark.parametrize("shell", ["sh", "bash"])
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("printf %s {{ v }} > out # note: it's {{ v }}", "VALUE"),  # a real comment, with a quote in it
        ("printf %s a#{{ v }} > out", "a#VALUE"),  # `#` inside a word is literal
        ("printf %s 'x#'{{ v }} > out", "x#VALUE"),
        ('printf %s "#{{ v }}" > out', "#VALUE"),
    ],
)
def test_comments_and_literal_hashes_are_told_apart(
    tmp_path: Path, shell: str, template: str, expected: str
) -> None:
    value = "'; touch pwned; '$(touch pwned)"
    command = render_shell(template, {"v": value}, [])
    subprocess.run([shell, "-c", command], cwd=tmp_path, check=True, timeout=10)
    assert (tmp_path / "out").read_text() == expected.replace("VALUE", value)
    assert not (tmp_path / "pwned").exists()
