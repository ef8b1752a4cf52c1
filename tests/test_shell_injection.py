"""Shell injection, systematically: every quoting position the tracker knows, under every POSIX shell
installed (dash and bash at least), with every kind of hostile value. A position the tracker accepts must
deliver the value byte for byte and run nothing; a position it cannot make safe must be refused, whatever
the value. Either way no `pwned` file may appear."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lok_action.workflow.templating import (
    TemplateProblem,
    check_shell_template,
    quote_for_wrapper,
    render_shell,
)

SHELLS = ["dash", "bash"]

PAYLOADS = [
    "'; touch pwned; '",
    '"; touch pwned; "',
    "$(touch pwned)",
    "`touch pwned`",
    "${IFS}touch${IFS}pwned",
    "x;${IFS}touch${IFS}pwned",
    "\ntouch pwned\n",
    "a\n\ntouch pwned #",
    "\\'; touch pwned; echo \\'",  # ends $'...' in bash, not in dash
    "a[$(touch pwned)]",  # bash evaluates array subscripts in arithmetic
    "'\"$(touch pwned)\"'",
    "}; touch pwned; {",
    ")); touch pwned; ((",
    "# ; touch pwned",
    "!! !touch",
    "* ?",
    "-n",
    "\\",
    "",
    "EOF\ntouch pwned\nEOF",
    # private-use characters, including text shaped like the placeholders
    "\ue000\ue001 \ue0000\ue001 \ue000" + "1234:0\ue001 $(touch pwned)",
    "\ue001'; touch pwned; '\ue000",
    "tab\there \x1b[2J unicode é ✓",
]

# position -> (template, what `out` must hold, as a function of the value)
ACCEPTED = {
    "bare": ("printf %s {{ v }} > out", lambda v: v),
    "single": ("printf %s '{{ v }}' > out", lambda v: v),
    "double": ('printf %s "{{ v }}" > out', lambda v: v),
    "single-glued": ("printf %s 'a{{ v }}b' > out", lambda v: f"a{v}b"),
    "double-glued": ('printf %s "a{{ v }}b" > out', lambda v: f"a{v}b"),
    "bare-glued": ("printf %s a{{ v }}b > out", lambda v: f"a{v}b"),
    "cmdsub-in-double": ("printf %s \"$(printf %s '{{ v }}')\" > out", lambda v: v.rstrip("\n")),
    "double-in-cmdsub-in-double": (
        'printf %s "a$(printf %s "{{ v }}")b" > out',
        lambda v: "a" + v.rstrip("\n") + "b",
    ),
    "bare-in-cmdsub": ('printf %s "$(printf %s {{ v }})" > out', lambda v: v.rstrip("\n")),
    "subshell": ("(printf %s {{ v }} > out)", lambda v: v),
    "nested-subshells": ("( (printf %s {{ v }} > out) )", lambda v: v),
    "after-a-closed-brace": ('printf %s "${HOME:+}{{ v }}" ${HOME:+}{{ v }} > out', lambda v: v + v),
    "after-arithmetic": ("printf %s $((1 + 2)){{ v }} > out", lambda v: "3" + v),
    "after-closed-backticks": ('x=`echo a`; printf %s "$x"{{ v }} > out', lambda v: "a" + v),
    "after-a-comment-line": ("# it's a note\nprintf %s {{ v }} > out", lambda v: v),
    "in-a-comment": ("printf %s ok > out # {{ v }}", lambda v: "ok"),
    "in-a-comment-in-cmdsub": ('printf %s "$(printf ok # {{ v }}\n)" > out', lambda v: "ok"),
    "word-with-hash": ("printf %s a#{{ v }} > out", lambda v: "a#" + v),
    "pipeline": ("printf %s {{ v }} | cat > out", lambda v: v),
    "after-and": ("true && printf %s {{ v }} > out", lambda v: v),
    "assignment": ('x={{ v }}; printf %s "$x" > out', lambda v: v),
    "function-argument": ('f() { printf %s "$1" > out; }; f {{ v }}', lambda v: v),
    "top-level-case": ("case {{ v }} in *) printf %s {{ v }} > out;; esac", lambda v: v),
    "for-list": ('for x in {{ v }}; do printf %s "$x" > out; done', lambda v: v),
    "test-operands": ("[ {{ v }} = {{ v }} ] && printf %s {{ v }} > out", lambda v: v),
    "dollar-in-double": ('printf %s "${{ v }}" > out', lambda v: "$" + v),
}

REFUSED = {
    "backticks": "echo `echo {{ v }}`",
    "brace-default": "echo ${X:-{{ v }}}",
    "brace-in-double-with-inner-double": 'printf %s "${UNSET:-"{{ v }}"}"',
    "brace-with-inner-single": "echo ${X:-'{{ v }}'}",
    "cmdsub-in-brace": "echo ${X:-$(echo {{ v }})}",
    "after-brace-with-quotes": 'echo "${X:-"a"}" {{ v }}',
    "after-brace-with-a-quoted-brace": "echo ${x:-'}'} {{ v }}",
    "arithmetic": "echo $(( {{ v }} + 1 ))",
    "cmdsub-in-arithmetic": "echo $(( $(echo {{ v }}) ))",
    "bash-arithmetic-command": "(( {{ v }} ))",
    "after-bash-arithmetic-command": "(( 1 )); echo {{ v }}",
    "old-arithmetic": "echo $[ {{ v }} ]",
    "after-old-arithmetic-in-double": 'echo "$[1]" {{ v }}',
    "ansi-c": "echo $'{{ v }}'",
    "after-ansi-c": "echo $'a\\'' {{ v }} '",  # the campaign's dash injection
    "locale-string": 'echo $"{{ v }}"',
    "heredoc": "cat <<EOF\n{{ v }}\nEOF",
    "quoted-heredoc": "cat <<'EOF'\n{{ v }}\nEOF",
    "comment-in-heredoc": "cat <<EOF\n# {{ v }}\nEOF",
    "here-string": "cat <<< {{ v }}",
    "after-backslash": "echo \\{{ v }}",
    "after-dollar": "echo ${{ v }}",
    "hash-after-cmdsub": "echo $(echo a)#'\n{{ v }}'",
    "hash-after-escaped-space": "echo \\ #'\n{{ v }}'",
    "hash-after-backticks": "echo `echo a`#'\n{{ v }}'",
    "case-in-cmdsub": 'echo "$(case x in x) echo {{ v }};; esac)"',
    "after-case-in-cmdsub": 'x="$(case a in a) echo hi;; esac)"; echo "{{ v }}"',
    "case-in-subshell": "(case a in a) echo {{ v }};; esac)",
}


def shell_path(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def run(shell: str, command: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([shell, "-c", command], cwd=cwd, capture_output=True, timeout=10)


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("position", sorted(ACCEPTED))
def test_accepted_positions_deliver_every_value_intact_and_run_nothing(
    tmp_path: Path, shell: str, position: str
) -> None:
    program = shell_path(shell)
    template, expected = ACCEPTED[position]
    check_shell_template(template)  # what load time sees agrees with what rendering does
    for index, value in enumerate(PAYLOADS):
        folder = tmp_path / str(index)
        folder.mkdir()
        command = render_shell(template, {"v": value}, [])
        done = run(program, command, folder)
        assert done.returncode == 0, (value, command, done.stderr)
        assert (folder / "out").read_text(encoding="utf-8") == expected(value), (value, command)
        assert not (folder / "pwned").exists(), (value, command)


@pytest.mark.parametrize("position", sorted(REFUSED))
def test_positions_no_quoting_can_make_safe_are_refused_for_every_value(position: str) -> None:
    template = REFUSED[position]
    with pytest.raises(TemplateProblem):
        check_shell_template(template)
    for value in [*PAYLOADS, "harmless"]:
        with pytest.raises(TemplateProblem, match="cannot be quoted safely"):
            render_shell(template, {"v": value}, [])


def test_the_refused_positions_really_are_live_shell(tmp_path: Path) -> None:
    # Why refusing is needed: with the value's quoting of the nearest accepted context, these run it.
    attacks = {
        "bash": "(( '$(touch pwned)' ))",  # ((...)): single quotes do not quote in bash arithmetic
        "dash": "echo $'a\\'' '$(touch pwned)' '",  # dash ends $'a\' at the second quote
    }
    for shell, command in attacks.items():
        folder = tmp_path / shell
        folder.mkdir()
        run(shell_path(shell), command, folder)
        assert (folder / "pwned").exists(), f"{shell} did not run it; the attack text is stale"


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("wrapper", ["sh -c {cmd}", "bash -c {cmd}", "sh -ec {cmd}", "env {cmd}"])
def test_a_bare_wrapper_runs_the_whole_command(tmp_path: Path, shell: str, wrapper: str) -> None:
    # `sh -c {cmd}` used to become `sh -c sh -c '<cmd>'`: it ran nothing and reported success
    inner = render_shell("printf %s '{{ v }}' > out", {"v": "it's $(touch pwned)"}, [])
    done = run(shell_path(shell), quote_for_wrapper(wrapper, inner), tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out").read_text() == "it's $(touch pwned)"
    assert not (tmp_path / "pwned").exists()


def test_private_use_characters_in_the_template_itself_are_plain_text(tmp_path: Path) -> None:
    command = render_shell("printf %s '\ue000{{ v }}\ue001' > out", {"v": "\ue0000\ue001"}, [])
    subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True, timeout=10)
    assert (tmp_path / "out").read_text(encoding="utf-8") == "\ue000\ue0000\ue001\ue001"


def test_set_blocks_and_filters_keep_values_quoted(tmp_path: Path) -> None:
    template = "{% set t %}[{{ v }}]{% endset %}printf %s {{ t }} {{ v | upper }} > out"
    value = "'; touch pwned; '\ue0000\ue001"
    command = render_shell(template, {"v": value}, [])
    subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True, timeout=10)
    assert (tmp_path / "out").read_text(encoding="utf-8") == f"[{value}]{value.upper()}"
    assert not (tmp_path / "pwned").exists()


def test_load_time_check_sees_every_branch() -> None:
    check_shell_template("{% if x %}echo '{{ v }}'{% else %}echo \"{{ v }}\"{% endif %}")
    with pytest.raises(TemplateProblem, match="backticks"):
        check_shell_template("{% if x %}echo {{ v }}{% else %}echo `{{ v }}`{% endif %}")
    with pytest.raises(TemplateProblem, match="syntax"):
        check_shell_template("echo {{ v ")


def test_lok_run_refuses_the_campaign_brace_attack(lok_project, tmp_path: Path) -> None:
    from tests.fakes.engine_fixtures import command_backend

    lok_project.write_config(command_backend("llm", "--reply", "$(touch PWNED)"))
    lok_project.write_workflow(
        "brace",
        '[[steps]]\nname = "llm"\nbackend = "llm"\nprompt = "go"\n'
        '[[steps]]\nname = "show"\ndepends_on = ["llm"]\n'
        "shell = '''printf '%s' \"${UNSET:-\"{{ steps.llm.output }}\"}\"'''\n",
    )
    done = lok_project.lok("run", "brace")
    assert done.returncode != 0
    assert "${...}" in done.stderr + done.stdout
    assert not any(path.name == "PWNED" for path in lok_project.root.rglob("*"))
    assert not os.path.exists(tmp_path / "PWNED")


def test_lok_run_passes_private_use_characters_through(lok_project) -> None:
    from tests.fakes.engine_fixtures import command_backend

    answer = "icons \ue000 \ue0000\ue001 \uf8ff"
    lok_project.write_config(command_backend("llm", "--reply", answer))
    lok_project.write_workflow(
        "icons",
        '[[steps]]\nname = "llm"\nbackend = "llm"\nprompt = "go"\n'
        '[[steps]]\nname = "save"\ndepends_on = ["llm"]\n'
        "shell = \"printf %s '{{ steps.llm.output }}' > out.txt\"\n",
    )
    done = lok_project.lok("run", "icons")
    assert done.returncode == 0, done.stderr
    assert (lok_project.root / "out.txt").read_text(encoding="utf-8") == answer
