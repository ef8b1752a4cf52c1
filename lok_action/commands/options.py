"""What several commands read from their options the same way: the config (--config), lists of backend
names (-b a,b), progress (-q); and the options the ensemble commands (debate, spawn, conduct) share."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lok_action.errors import UsageError

if TYPE_CHECKING:
    from lok_action.budget import Spend
    from lok_action.config import Config
    from lok_action.progress import Progress


def load_run_config(args: argparse.Namespace, project_dir: Path) -> Config:
    from lok_action.config import load_config

    return load_config(project_dir, Path(args.config) if args.config else None)


def split_names(value: str, option: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise UsageError(f"{option}: no backend names in {value!r}")
    return list(dict.fromkeys(names))


def make_progress(args: argparse.Namespace) -> Progress:
    from lok_action.progress import Progress

    return Progress(quiet=bool(getattr(args, "quiet", False)))


def with_examples(parser: argparse.ArgumentParser, examples: str) -> None:
    """``examples`` under --help, as written (line breaks kept)."""
    parser.epilog = examples
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def add_json_and_dir(parser: argparse.ArgumentParser, dir_help: str) -> None:
    """--json (the result as JSON on stdout) and -C/--dir (where the run works)."""
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("-C", "--dir", default=".", help=dir_help)


# exit code when the cost budget stopped the run (the reports are written, the work is partial): not 1
# (findings at --fail-on, nothing analysed, a failed run) nor 2 (bad input), so CI can tell it apart
BUDGET_EXIT = 3


def add_budget_option(parser: argparse.ArgumentParser) -> None:
    """--max-cost USD: the run's budget (analyses, debate, spawn; lok_action.budget)."""
    from lok_action import ranges

    parser.add_argument(
        "--max-cost",
        type=ranges.COST_USD.option("--max-cost"),
        metavar="USD",
        default=None,
        help=f"stop starting calls once the run's spend would pass USD ({ranges.COST_USD.span()};"
        f" default: lok.toml [defaults] max_cost, else none); exit {BUDGET_EXIT} when it stopped the run",
    )


def budget_stopped(spend: Spend | None) -> bool:
    """Whether the budget refused a call; says so on stderr in one line."""
    if spend is None or not spend.stopped:
        return False
    print(f"lok: {spend.summary()}", file=sys.stderr)
    return True


def add_cassette_options(parser: argparse.ArgumentParser) -> None:
    """--record DIR / --replay DIR (lok_action.cassette), on every command that calls backends."""
    parser.add_argument(
        "--record", metavar="DIR", help="record every backend call to the cassette folder DIR (replaced)"
    )
    parser.add_argument(
        "--replay",
        metavar="DIR",
        help="answer every backend call from the cassette in DIR; no backend is asked (or installed)",
    )
    parser.add_argument(
        "--replay-missing",
        choices=("fail", "call"),
        default=None,
        help="a call the cassette does not hold: fail (default; exit 2) or call the backend and record it",
    )
    parser.add_argument(
        "--record-prompts",
        choices=("true", "false"),
        default=None,
        help="keep each prompt in the cassette (default true; false keeps only its hash)",
    )
