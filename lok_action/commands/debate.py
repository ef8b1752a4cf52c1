"""`lok debate QUESTION`: backends argue over rounds until they agree; the outcome says who holds what."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lok_action import ranges
from lok_action.commands.ensemble_common import (
    default_names,
    load_run_config,
    make_progress,
    pick_named_backends,
    split_names,
)
from lok_action.errors import UsageError

EXAMPLES = """examples:
  lok debate 'Should we use async here?'
  lok debate 'Is this migration safe?' -b codex,claude --rounds 4 -o debate.md
  lok debate 'Tabs or spaces?' --synthesizer claude --json
"""


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.epilog = EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
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
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("-C", "--dir", default=".", help="directory the backends work in (default .)")


def run(args: argparse.Namespace) -> int:
    from lok_action.atomic import atomic_write_text
    from lok_action.backends.calling import open_cache
    from lok_action.debate import DebateSettings, run_debate, transcript_markdown

    if not args.question.strip():
        raise UsageError("the question is empty")
    workdir = Path(args.dir).resolve()
    if not workdir.is_dir():
        raise UsageError(f"--dir {args.dir}: not a directory")
    config = load_run_config(args, workdir)
    names = split_names(args.backends, "-b") if args.backends else default_names(config)
    if len(names) < 2:
        raise UsageError(
            f"a debate needs at least 2 backends, got {len(names)}"
            + (f" ({', '.join(names)})" if names else "")
            + "; pass -b a,b or run 'lok doctor'"
        )
    backends = pick_named_backends(config, names)
    synthesizer = pick_named_backends(config, [args.synthesizer])[0] if args.synthesizer else None
    progress = make_progress(args)
    settings = DebateSettings(
        workdir=workdir,
        timeout_for=lambda backend: config.backend_timeout(backend.config),
        note=progress.note,
        rounds=args.rounds,
        cache=open_cache(config.cache_enabled, config.cache_ttl_hours, args.no_cache),
        max_parallel=config.max_parallel if config.parallel else 1,
    )
    result = run_debate(args.question, backends, settings, synthesizer)
    transcript = transcript_markdown(result)
    if args.output:
        atomic_write_text(Path(args.output), transcript)
        progress.note(f"transcript written to {args.output}")
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    elif args.output:
        print(result.synthesis)
    else:
        print(transcript)
    # a debate that ended (agreeing or not) did its job; one that could not even start did not
    return 0 if len(result.rounds) >= 1 and len(result.latest) >= 1 else 1
