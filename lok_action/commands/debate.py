"""`lok debate QUESTION`: backends argue over rounds until they agree; the outcome says who holds what."""

from __future__ import annotations

import argparse
from pathlib import Path

from lok_action import ranges
from lok_action.commands.options import add_json_and_dir, make_progress, split_names, with_examples
from lok_action.errors import UsageError

EXAMPLES = """examples:
  lok debate 'Should we use async here?'
  lok debate 'Is this migration safe?' -b codex,claude --rounds 4 -o debate.md
  lok debate 'Tabs or spaces?' --synthesizer claude --json
"""


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    with_examples(parser, EXAMPLES)
    parser.add_argument("question", help="the question to debate")
    parser.add_argument(
        "--rounds",
        type=ranges.ROUNDS.option("--rounds"),
        default=3,
        help=f"most rounds, including the opening one ({ranges.ROUNDS.span()}; default 3)",
    )
    parser.add_argument("-b", "--backends", help="comma-separated backends (default: every ready backend)")
    parser.add_argument(
        "--synthesizer", metavar="BACKEND", help="backend that writes the final synthesis (default: computed)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the transcript as markdown")
    from lok_action.commands.options import add_budget_option, add_cassette_options

    add_cassette_options(parser)
    add_budget_option(parser)
    add_json_and_dir(parser, "directory the backends work in (default .)")


def run(args: argparse.Namespace) -> int:
    from lok_action.atomic import atomic_write_text
    from lok_action.ensemble.common import as_json, open_ensemble
    from lok_action.ensemble.debate import run_debate, transcript_markdown

    if not args.question.strip():
        raise UsageError("the question is empty")
    names = split_names(args.backends, "-b") if args.backends else None
    from lok_action.commands.requests import cassette_spec
    from lok_action.pipeline import open_cassette, settle_wall_time

    cassette = open_cassette(cassette_spec(args))
    ensemble = open_ensemble(args.dir, args.config, names, make_progress(args), cassette)
    if len(ensemble.names) < 2:
        raise UsageError(
            f"a debate needs at least 2 backends, got {len(ensemble.names)}"
            + (f" ({', '.join(ensemble.names)})" if ensemble.names else "")
            + "; pass -b a,b or run 'lok doctor'"
        )
    backends = ensemble.backends(ensemble.names)
    synthesizer = ensemble.backend(args.synthesizer) if args.synthesizer else None
    settings = ensemble.call_settings(use_cache=not args.no_cache, max_cost=args.max_cost)
    result = run_debate(args.question, backends, settings, synthesizer, rounds=args.rounds)
    result.duration = settle_wall_time(cassette, result.duration)
    transcript = transcript_markdown(result)
    if args.output:
        atomic_write_text(Path(args.output), transcript)
        ensemble.progress.note(f"transcript written to {args.output}")
    if args.json:
        print(as_json(result.to_dict()))
    elif args.output:
        print(result.synthesis)
    else:
        print(transcript)
    from lok_action.commands.options import BUDGET_EXIT, budget_stopped

    if budget_stopped(settings.spend):
        return BUDGET_EXIT
    # a debate that ended (agreeing or not) did its job; one that could not even start did not
    return 0 if len(result.rounds) >= 1 and len(result.latest) >= 1 else 1
