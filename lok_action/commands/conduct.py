"""`lok conduct GOAL`: a conductor backend drives queries, workflows and edits until done or a limit."""

from __future__ import annotations

import argparse
import os

from lok_action import ranges
from lok_action.commands.options import add_json_and_dir, make_progress, split_names, with_examples
from lok_action.errors import UsageError

EXAMPLES = """examples:
  lok conduct 'Find and fix perf issues' --verify 'python -m pytest -q'
  lok conduct 'Explain why the build is slow' -b claude --max-rounds 5 --max-cost 0.50 --json

Each round the conductor answers with one JSON decision: query a backend, run a workflow, edit files
(all or none, then the --verify command; a failing verify rolls the edits back) or finish. Without
--verify, edits are refused. Every decision is logged to .lok/runs/<id>/conduct.jsonl.
Exit 0 when the conductor finished, 1 when a limit stopped it. --record DIR keeps every backend call
(the conductor's, its queries' and its workflows'), --replay DIR answers them from DIR: edits and verify
commands still run. Under either, the conductor is told the time limit instead of the seconds left, so
its prompts repeat and a replay finds them.
"""


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    with_examples(parser, EXAMPLES)
    parser.add_argument("goal", help="what the loop should achieve")
    parser.add_argument(
        "--max-rounds",
        type=ranges.ROUNDS.option("--max-rounds"),
        default=10,
        help=f"most rounds ({ranges.ROUNDS.span()}; default 10)",
    )
    parser.add_argument(
        "--max-seconds",
        type=ranges.SECONDS.option("--max-seconds"),
        default=1800,
        help=f"most wall time in seconds ({ranges.SECONDS.span()}; default 1800)",
    )
    parser.add_argument(
        "--max-cost",
        type=ranges.COST_USD.option("--max-cost"),
        metavar="USD",
        help=f"most spend in USD ({ranges.COST_USD.span()}), summed from what backends report",
    )
    parser.add_argument(
        "-b", "--conductor", metavar="BACKEND", help="the deciding backend (default: best suited)"
    )
    parser.add_argument(
        "--backends", help="comma-separated backends the conductor may query (default: every ready one)"
    )
    parser.add_argument(
        "--verify",
        action="append",
        default=[],
        metavar="CMD",
        help="a command edits may be verified with (repeatable); without one, edits are refused",
    )
    from lok_action.commands.options import add_cassette_options

    add_cassette_options(parser)
    add_json_and_dir(parser, "project directory (default .); runs go in its .lok/runs/")


def run(args: argparse.Namespace) -> int:
    from lok_action.ensemble.common import as_json, open_ensemble
    from lok_action.ensemble.conduct import CONDUCTING, ConductLimits, ConductSettings, run_conduct
    from lok_action.rundir import new_run_dir
    from lok_action.workflow.lookup import list_workflows

    if not args.goal.strip():
        raise UsageError("the goal is empty")
    if any(not command.strip() for command in args.verify):
        raise UsageError("--verify: empty command")
    names = split_names(args.backends, "--backends") if args.backends else None
    from lok_action.commands.requests import cassette_spec
    from lok_action.pipeline import open_cassette

    cassette = open_cassette(cassette_spec(args))
    ensemble = open_ensemble(args.dir, args.config, names, make_progress(args), cassette)
    ensemble.backends(ensemble.names)  # unknown or disabled names fail here, before the loop
    conductor = ensemble.backend(args.conductor or ensemble.best_for(CONDUCTING)[0])
    env = dict(os.environ)
    settings = ConductSettings(
        config=ensemble.config,
        workdir=ensemble.workdir,
        env=env,
        note=ensemble.progress.note,
        backends=ensemble.names,
        workflows=[info.name for info in list_workflows(ensemble.workdir, env)],
        verify_commands=tuple(args.verify),
        cassette=cassette,
    )
    limits = ConductLimits(args.max_rounds, args.max_seconds, args.max_cost)
    run_dir = new_run_dir(ensemble.workdir)
    settings.note(f"conductor {conductor.name}; decisions logged to {run_dir / 'conduct.jsonl'}")
    result = run_conduct(args.goal, conductor, limits, settings, run_dir)
    if args.json:
        print(as_json(result.to_dict()))
    else:
        print(result.summary if result.finished else f"stopped: {result.stop_reason}")
        print(f"({len(result.rounds)} rounds, ${result.spend_usd:.4f}; log: {run_dir / 'conduct.jsonl'})")
    return 0 if result.finished else 1
