"""`lok eval CORPUS`: run the analysis over every labelled case, score the findings against the
known problems (lok_action.eval_score), print one table per backend and per ensemble quorum.

Each case is analysed like `lok hunt` (a copy of its tree/) or, with a base/, like `lok diff` (a
scratch repository, base/ then tree/ committed). `--record DIR` / `--replay DIR` keep one cassette
per case, DIR/<case name>/, so one case can be recorded again alone and cases never share answers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lok_action import ranges
from lok_action.errors import UsageError

if TYPE_CHECKING:
    from lok_action.config import Config
    from lok_action.eval_corpus import Case
    from lok_action.eval_score import CaseRun, EvalResult
    from lok_action.request import CassetteSpec

EXAMPLES = """examples:
  lok eval eval/corpus -b codex,gemini,claude          live: what your backends find, per quorum
  lok eval eval/corpus --record runs/today              the same, every call kept (one folder per case)
  lok eval eval/corpus --replay runs/today --json       the same figures again, offline, for free
  lok eval my-cases --replay runs/today --min-f1 0.6 --quorum 2   gate a prompt or config change in CI"""


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    from lok_action.commands.options import add_cassette_options, with_examples

    with_examples(parser, EXAMPLES)
    parser.add_argument("corpus", metavar="CORPUS", help="a folder of cases (eval/README.md), or one case")
    parser.add_argument("-b", "--backends", metavar="A,B", help="backends to use (default: the ready ones)")
    parser.add_argument("--workflow", default="hunt", help="workflow for a case without base/ (default hunt)")
    parser.add_argument(
        "--diff-workflow", default="diff", help="workflow for a case with base/ (default diff)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--min-f1",
        type=ranges.F1_SCORE.option("--min-f1"),
        metavar="X",
        help=f"exit 1 when the F1 of the ensemble at --quorum, with the challenge round, is below X"
        f" ({ranges.F1_SCORE.span()})",
    )
    parser.add_argument(
        "--quorum",
        type=ranges.CONSENSUS.option("--quorum"),
        default=1,
        metavar="K",
        help=f"the ensemble row --min-f1 checks ({ranges.CONSENSUS.span()}, at most the backends; default 1)",
    )
    parser.add_argument(
        "--summary",
        metavar="FILE",
        help="append a markdown summary to FILE (default: $GITHUB_STEP_SUMMARY when set)",
    )
    add_cassette_options(parser)


class CaseProgress:
    """A one-line progress bar on stderr, only on a terminal and not with -q."""

    WIDTH = 24

    def __init__(self, total: int, stream: TextIO, quiet: bool) -> None:
        self.total = total
        self.stream = stream
        self.shown = not quiet and stream.isatty()

    def case(self, done: int, name: str) -> None:
        if not self.shown:
            return
        filled = self.WIDTH * done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r\x1b[2K[{bar}] {done}/{self.total} {name[:50]}")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from lok_action.commands.options import load_run_config
    from lok_action.commands.requests import backend_names, cassette_spec
    from lok_action.eval_corpus import load_corpus
    from lok_action.eval_score import evaluate

    spec = cassette_spec(args)  # bad options refused before anything runs
    named = backend_names(args.backends) if args.backends else None
    if named is not None and args.quorum > len(named):
        raise UsageError(f"--quorum {args.quorum}: more than the {len(named)} backends named by -b")
    summary_path = _summary_path(args)
    corpus = Path(args.corpus)
    cases = load_corpus(corpus)  # a malformed case: one line naming the file and the field
    project_dir = Path.cwd()
    config = load_run_config(args, project_dir)
    runs = run_cases(args, cases, config, project_dir, spec)
    backends = list(named) if named is not None else _backends_seen(runs, config)
    if args.quorum > max(len(backends), 1):
        raise UsageError(f"--quorum {args.quorum}: more than the {len(backends)} backends that ran")
    result = evaluate(str(args.corpus), runs, backends)
    gate, failed = _gate(result, args)
    if args.json:
        data = result.to_dict()
        data["gate"] = gate
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        from lok_action.report.eval_table import render_table

        sys.stdout.write(render_table(result))
        if gate["message"]:
            print(gate["message"])
    if summary_path is not None:
        _append_summary(summary_path, result, str(gate["message"]))
    return 1 if failed else 0


def run_cases(
    args: argparse.Namespace,
    cases: list[Case],
    config: Config,
    project_dir: Path,
    spec: CassetteSpec | None,
) -> list[CaseRun]:
    """Every case through pipeline.execute, one after the other (each run is parallel inside)."""
    import dataclasses

    from lok_action.commands.requests import eval_case_request
    from lok_action.eval_cases import prepare
    from lok_action.eval_score import CaseRun
    from lok_action.pipeline import execute

    env = dict(os.environ)
    progress = CaseProgress(len(cases), sys.stderr, bool(args.quiet))
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="lok-eval-") as scratch:
            for done, case in enumerate(cases):
                progress.case(done, case.name)
                laid = prepare(case, Path(scratch))
                cassette = (
                    dataclasses.replace(spec, directory=spec.directory / case.name)
                    if spec is not None
                    else None
                )
                request = eval_case_request(args, project_dir, laid.target, laid.revision_range, cassette)
                outcome = execute(request, config, env=env)
                runs.append(
                    CaseRun(
                        case.name,
                        case.problems,
                        outcome.raw_findings,
                        outcome.findings,
                        outcome.backends,
                        outcome.duration,
                        outcome.refuted,
                    )
                )
            progress.case(len(cases), "done")
    finally:
        progress.close()
    return runs


def _backends_seen(runs: list[CaseRun], config: Config) -> list[str]:
    names = {status.name for run in runs for status in run.statuses}
    order = list(config.backends)
    return sorted(names, key=lambda name: (order.index(name) if name in order else len(order), name))


def _gate(result: EvalResult, args: argparse.Namespace) -> tuple[dict[str, object], bool]:
    from lok_action.eval_score import ensemble_label

    label = ensemble_label(args.quorum, True)
    row = result.row(label)
    f1 = row.tally.f1 if row is not None else 0.0
    if args.min_f1 is None:
        return {"row": label, "f1": round(f1, 4), "min_f1": None, "passed": None, "message": ""}, False
    passed = f1 >= args.min_f1
    verdict = "passes" if passed else "is below"
    message = f"lok eval: F1 of {label} is {f1:.2f}, which {verdict} --min-f1 {args.min_f1:g}"
    return {"row": label, "f1": round(f1, 4), "min_f1": args.min_f1, "passed": passed, "message": message}, (
        not passed
    )


def _summary_path(args: argparse.Namespace) -> Path | None:
    raw = args.summary or os.environ.get("GITHUB_STEP_SUMMARY") or ""
    if not raw:
        return None
    path = Path(raw)
    if path.is_dir() or not path.absolute().parent.is_dir():
        option = "--summary" if args.summary else "GITHUB_STEP_SUMMARY"
        raise UsageError(f"{option} {raw}: not a file in an existing folder")
    return path


def _append_summary(path: Path, result: EvalResult, gate: str) -> None:
    """Appended, as GitHub's job summary expects (other steps write to it too)."""
    from lok_action.report.eval_table import render_summary

    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(render_summary(result, gate))
    except OSError as error:
        raise UsageError(f"summary {path}: cannot write ({error.strerror or error})") from None
