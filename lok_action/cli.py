"""The `lok` command. Each subcommand lives in lok_action/commands/<name>.py with
``add_arguments(parser)`` and ``run(args) -> int``; only the invoked one is imported."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from collections.abc import Sequence

from lok_action import __version__
from lok_action.errors import LokError

# name -> (module, one-line help). Order is the order shown in --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "ask": ("ask", "query backends in parallel:  lok ask 'Find N+1 queries' -b codex,gemini"),
    "hunt": ("analyze", "bug hunt:  lok hunt . --min-consensus 2 --sarif lok.sarif"),
    "audit": ("analyze", "security audit:  lok audit ."),
    "explain": ("analyze", "explain the code base structure:  lok explain ."),
    "diff": ("analyze", "review staged changes or a range:  lok diff main..HEAD"),
    "merge": ("merge", "merge shard results:  lok merge shard-*.json --sarif lok.sarif"),
    "eval": ("eval", "measure backends on labelled cases:  lok eval eval/corpus --replay runs/today"),
    "run": ("run", "run a workflow:  lok run review-pr 123"),
    "workflow": ("workflow", "list or validate workflows:  lok workflow list"),
    "debate": ("debate", "backends argue and refine:  lok debate 'Should we use async here?'"),
    "spawn": ("spawn", "split a task into parallel subtasks:  lok spawn 'Build a REST API'"),
    "conduct": ("conduct", "autonomous loop:  lok conduct 'Find and fix perf issues'"),
    "github": ("github", "GitHub data for workflows:  lok github pr 123"),
    "ci": ("ci", "explain CI failures of a PR:  lok ci 123"),
    "doctor": ("doctor", "check which backends are ready:  lok doctor"),
    "backends": ("backends", "list configured backends:  lok backends"),
    "suggest": ("suggest", "best backend for a task:  lok suggest 'security audit'"),
    "init": ("init", "write a lok.toml / copy a workflow:  lok init --workflow hunt"),
}


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand accepts."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="lok.toml to use instead of ./lok.toml")
    common.add_argument("--no-cache", action="store_true", help="neither read nor write the answer cache")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return common


def _chosen_command(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lok",
        description="Run several LLM backends over your code, merge what they find, report it.",
        epilog="Run 'lok COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"lok {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen_command(argv)
    for name, (module_name, help_text) in COMMANDS.items():
        if name != chosen:  # listed in --help only; its options are built when it is the one invoked
            subparsers.add_parser(name, help=help_text)
            continue
        sub = subparsers.add_parser(name, help=help_text, description=help_text, parents=[common_options()])
        module = importlib.import_module(f"lok_action.commands.{module_name}")
        module.add_arguments(sub, name)
        sub.set_defaults(handler=module.run)
    return parser


def stop_on_signal(signum: int, frame: object) -> None:
    """Ctrl-C (and a runner's SIGTERM on cancel): end every running backend and shell step now,
    then unwind; the thread pools then finish at once instead of waiting out each timeout."""
    from lok_action.process import CHILDREN

    CHILDREN.stop_all()
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    from lok_action.terminal_safe import guarded_terminal

    with guarded_terminal():  # model text never reaches a terminal as control sequences
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if threading.current_thread() is threading.main_thread():  # signal handlers live in the main thread
        signal.signal(signal.SIGINT, stop_on_signal)
        signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        return int(args.handler(args) or 0)
    except LokError as error:
        print(f"lok: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("lok: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
