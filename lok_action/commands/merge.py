"""`lok merge OUT.json...`: combine shard (or separate) analysis results into one report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lok_action.commands.analyze import add_report_options
from lok_action.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "example:  lok merge shard-*.json --sarif lok.sarif --format md -o summary.md"
    parser.add_argument(
        "inputs", nargs="+", metavar="OUT.json", help="results written by lok hunt --format json"
    )
    add_report_options(parser)


def run(args: argparse.Namespace) -> int:
    from lok_action.analysis import AnalysisResult, merge_results
    from lok_action.commands.analyze import check_output_paths, chosen_format, write_reports

    chosen_format(args)
    check_output_paths(args)
    results = []
    for name in args.inputs:
        path = Path(name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise UsageError(f"{path}: cannot read ({error.strerror})") from None
        except ValueError as error:
            raise UsageError(f"{path}: not JSON ({error})") from None
        results.append(AnalysisResult.from_dict(data, str(path)))
    min_consensus = args.min_consensus or max(result.min_consensus for result in results)
    merged = merge_results(results, min_consensus, list(args.inputs))
    return write_reports(merged, args)
