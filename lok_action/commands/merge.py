"""`lok merge OUT.json...`: combine shard (or separate) analysis results into one report."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from lok_action import json_text
from lok_action.commands.analyze import add_report_options
from lok_action.errors import UsageError
from lok_action.outcome import BackendStatus, CoverageSummary, Outcome, Verification


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "example:  lok merge shard-*.json --sarif lok.sarif --format md -o summary.md"
    parser.add_argument(
        "inputs", nargs="+", metavar="OUT.json", help="results written by lok hunt --format json"
    )
    add_report_options(parser)


def run(args: argparse.Namespace) -> int:
    from lok_action.commands.analyze import write_reports
    from lok_action.commands.requests import publish_spec

    spec = publish_spec(args)
    outcomes = []
    for name in args.inputs:
        path = Path(name)
        try:
            data = json_text.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise UsageError(f"{path}: cannot read ({error.strerror})") from None
        except ValueError as error:
            raise UsageError(f"{path}: not JSON ({error})") from None
        outcomes.append(Outcome.from_dict(data, str(path)))
    min_consensus = args.min_consensus or max(outcome.min_consensus for outcome in outcomes)
    merged = merge_outcomes(outcomes, min_consensus, list(args.inputs))
    return write_reports(merged, spec)


def merge_outcomes(outcomes: Sequence[Outcome], min_consensus: int, sources: Sequence[str]) -> Outcome:
    """Shard outputs (or runs with different backends) -> one outcome, findings re-merged."""
    from lok_action.findings.merge import merge_findings
    from lok_action.findings.model import sort_findings

    if not outcomes:
        raise UsageError("merge: no inputs")
    workflows = {outcome.workflow for outcome in outcomes}
    if len(workflows) > 1:
        listing = ", ".join(f"{src}: {res.workflow}" for src, res in zip(sources, outcomes, strict=True))
        raise UsageError(f"merge: inputs come from different workflows ({listing})")
    statuses: dict[str, BackendStatus] = {}
    analysed: set[str] = set()
    skipped: dict[str, str] = {}
    for outcome in outcomes:
        coverage = outcome.coverage or CoverageSummary()
        analysed.update(coverage.analysed)
        skipped.update(coverage.skipped)
        for status in outcome.backends:
            if status.name in statuses:
                statuses[status.name].absorb(status)
            else:
                statuses[status.name] = BackendStatus.from_dict(status.to_dict())
    first = outcomes[0]
    return Outcome(
        workflow=first.workflow,
        target=first.target,
        findings=merge_findings(f for outcome in outcomes for f in outcome.findings),
        min_consensus=min_consensus,
        backends=[statuses[name] for name in sorted(statuses)],
        coverage=CoverageSummary(
            analysed=sorted(analysed),
            skipped={path: skipped[path] for path in sorted(skipped) if path not in analysed},
        ),
        path_prefix=first.path_prefix,
        text="\n\n".join(outcome.text for outcome in outcomes if outcome.text),
        notes=list(dict.fromkeys(note for outcome in outcomes for note in outcome.notes)),
        duration=max(outcome.duration for outcome in outcomes),
        # a shard the cost budget stopped leaves the merged analysis partial too (exit 3)
        stop_reason="; ".join(dict.fromkeys(o.stop_reason for o in outcomes if o.stop_reason)),
        refuted=sort_findings(f for outcome in outcomes for f in outcome.refuted),
        verification=Verification.combined(outcome.verification for outcome in outcomes),
        unconfirmed_floor=first.unconfirmed_floor,
    )
