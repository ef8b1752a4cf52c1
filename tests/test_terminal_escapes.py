"""Model text never reaches a terminal as control sequences: the real `lok` on a real pseudo-terminal, with
a backend whose answers and errors carry OSC 52 (clipboard), OSC 0 (title), CSI 2J (clear), their 8-bit
forms and a bidi override."""

from __future__ import annotations

import json
import os
import select
import time

import pytest

from tests.fakes.project import LokProject

EVIL = "A\x1b]52;c;cHduZWQ=\x07B\x1b]0;pwned-title\x07C\x1b[2JD\x9b2JE\x9d0;t\x9cF\u202eG\x1bcH\rI"
LIVE = ["\x1b]", "\x1b[2J", "\x1bc", "\x9b", "\x9d", "\u202e", "pwned-title", "cHduZWQ="]
FINDING = json.dumps(
    [
        {
            "file": "main.py",
            "start_line": 1,
            "category": "bug",
            "severity": "high",
            "title": f"title {EVIL}",
            "explanation": f"why {EVIL}",
        }
    ]
)


def on_terminal(project: LokProject, *args: str) -> str:
    """Run `lok ARGS` with stdin, stdout and stderr on a pseudo-terminal; everything it showed."""
    master, slave = os.openpty()
    proc = project.popen(
        *args,
        env={"TERM": "xterm"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not data:
                break
            shown += data
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    return shown.decode("utf-8", "replace")


def evil_project(project: LokProject) -> None:
    for name, body in (
        ("evil", f"cat > /dev/null\nprintf '%s' {_sh(EVIL)}\n"),
        ("broken", f"cat > /dev/null\nprintf '%s' {_sh(EVIL)} >&2\nexit 1\n"),
        ("finder", f"cat > /dev/null\nprintf '%s' {_sh(FINDING)}\n"),
    ):
        script = project.root / f"{name}.sh"
        script.write_text("#!/bin/sh\n" + body)
        script.chmod(0o755)
    project.write_config(
        *(
            f'[backends.{n}]\nkind = "command"\ncommand = "{project.root}/{n}.sh"\n'
            for n in ("evil", "broken", "finder")
        ),
        "[cache]\nenabled = false\n",
    )
    project.write_workflow(
        "show",
        '[[steps]]\nname = "fails"\nbackend = "broken"\nprompt = "go"\ncontinue_on_error = true\n'
        '[[steps]]\nname = "answer"\nbackend = "evil"\nprompt = "go"\n'
        '[[steps]]\nname = "echo"\nshell = "printf \'%s\' \'{{ steps.answer.output }}\'"\ndepends_on = ["answer"]\n'
        '[[steps]]\nname = "last"\nbackend = "evil"\nprompt = "go"\ndepends_on = ["fails"]\n',
    )
    (project.root / "main.py").write_text("print('hi')\n")


def _sh(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


COMMANDS = {
    "ask": ["ask", "-b", "evil,broken", "q"],
    "run": ["run", "show"],
    "spawn": ["spawn", "task", "-a", "one:do it", "-a", "two:do that", "--backends", "evil,broken"],
    "debate": ["debate", "q", "-b", "evil,broken", "--rounds", "2"],
    "hunt": ["hunt", ".", "-b", "finder,broken"],
    "hunt-md": ["hunt", ".", "-b", "finder,broken", "--format", "md"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_escape_sequence_from_a_model_reaches_the_terminal(lok_project: LokProject, command: str) -> None:
    evil_project(lok_project)
    shown = on_terminal(lok_project, *COMMANDS[command])
    assert "Traceback" not in shown, shown
    for sequence in LIVE:
        assert sequence not in shown, (sequence, shown)
    assert "A" in shown and "?" in shown  # the text around them is still there, the rest shown as '?'


def test_the_hunt_report_keeps_its_own_colours_on_a_terminal(lok_project: LokProject) -> None:
    evil_project(lok_project)
    shown = on_terminal(lok_project, "hunt", ".", "-b", "finder")
    assert "\x1b[31mHIGH (1)\x1b[0m" in shown  # lok's own colour codes survive
    assert "title AB" in shown


def test_redirected_output_stays_byte_for_byte(lok_project: LokProject) -> None:
    evil_project(lok_project)
    done = lok_project.lok("ask", "-b", "evil", "q")
    # a pipe gets what the model said (text mode reads \r as \n)
    assert EVIL.replace("\r", "\n") in done.stdout
    assert json.loads(lok_project.lok("ask", "-b", "evil", "--json", "q").stdout)[0]["text"] == EVIL


def test_the_sanitiser_itself() -> None:
    from lok_action.terminal_safe import safe_for_terminal

    assert safe_for_terminal(EVIL) == "ABCDEF?GH?I"
    assert safe_for_terminal("line\r\nnext\ttab\n") == "line\nnext\ttab\n"
    assert safe_for_terminal("\x1b]0;unterminated title\nnext line") == "\nnext line"
