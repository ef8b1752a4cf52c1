"""`lok spawn TASK`: a planner splits the task, each part runs on its best-suited backend, in parallel."""

from __future__ import annotations

import argparse

from lok_action.commands.options import add_json_and_dir, make_progress, split_names, with_examples
from lok_action.errors import UsageError

EXAMPLES = """examples:
  lok spawn 'Build a REST API for todo items'
  lok spawn 'Review this service' -a security:'audit auth and input handling' -a perf:'find N+1 queries'
  lok spawn 'Document the CLI' -b claude --merger claude --json

The planner answers with JSON subtasks (or give them with -a NAME:DESCRIPTION). Each subtask runs on the
backend 'lok suggest' picks for it among the ready ones (or --backends). Outputs are concatenated under a
header each, unless --merger names a backend to write one combined answer. Everything is saved in
.lok/runs/<id>/ (plan.json, subtasks/, merged.md, result.json).
"""


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    with_examples(parser, EXAMPLES)
    parser.add_argument("task", help="the task to split")
    parser.add_argument(
        "-a",
        "--agent",
        action="append",
        default=[],
        metavar="NAME:DESC",
        help="a subtask given explicitly (repeatable); skips the planner",
    )
    parser.add_argument(
        "-b", "--planner", metavar="BACKEND", help="backend that plans (default: best suited)"
    )
    parser.add_argument(
        "--backends", help="comma-separated backends subtasks may run on (default: every ready one)"
    )
    parser.add_argument(
        "--merger", metavar="BACKEND", help="backend that merges the outputs (default: concatenate)"
    )
    from lok_action.commands.options import add_budget_option, add_cassette_options

    add_cassette_options(parser)
    add_budget_option(parser)
    add_json_and_dir(parser, "project directory (default .); runs go in its .lok/runs/")


def run(args: argparse.Namespace) -> int:
    from lok_action.commands.options import BUDGET_EXIT, budget_stopped
    from lok_action.ensemble.common import as_json, open_ensemble
    from lok_action.ensemble.spawn import SpawnFailure, parse_subtask_specs, run_spawn

    if not args.task.strip():
        raise UsageError("the task is empty")
    explicit = parse_subtask_specs(args.agent)
    names = split_names(args.backends, "--backends") if args.backends else None
    from lok_action.commands.requests import cassette_spec
    from lok_action.pipeline import open_cassette, settle_wall_time

    cassette = open_cassette(cassette_spec(args))
    ensemble = open_ensemble(args.dir, args.config, names, make_progress(args), cassette)
    settings = ensemble.call_settings(use_cache=not args.no_cache, max_cost=args.max_cost)
    try:
        result = run_spawn(
            args.task,
            ensemble,
            settings,
            explicit=explicit,
            planner_name=args.planner,
            merger_name=args.merger,
        )
    except SpawnFailure:
        if budget_stopped(settings.spend):  # the budget refused the planner: that is why there is no plan
            return BUDGET_EXIT
        raise
    result.duration = settle_wall_time(cassette, result.duration)
    print(as_json(result.to_dict()) if args.json else result.merged)
    if budget_stopped(settings.spend):
        return BUDGET_EXIT
    return 0 if result.success else 1
