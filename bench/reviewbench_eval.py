"""Score the published SWE-Review-Bench reviews with `lok eval`'s own scoring (lok_action.eval_score):
per reviewer and per quorum k of each ensemble, precision and recall of the oracle sites.

    python bench/reviewbench_eval.py DATA_DIR     (DATA_DIR: a copy of SWE-Review-Bench, e.g.
                                                   ../shared/reviews/swe-review-bench)

The data is read from DATA_DIR and never copied. Each CSV row becomes one lok finding
(lok_action.reviewbench); each oracle site (a hunk of the real fix, oracle_index.json) is one expected
problem. A reviewer's comments on an instance are one case's findings; an ensemble (the reviewers of
one prompt variant plus static) is merged per instance by lok's merge, then held to quorum k.

The matching is lok eval's (eval/README.md): same file, overlapping within 3 lines, one-to-one, so a
second comment on a site already found is a false positive. The data's own is_hit is many-to-one
(every comment near a site is a hit), so precision here is lower than its "hits / comments".
The recordings hold no verdicts, so only the rows without the challenge round are printed.
"""

from __future__ import annotations

import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lok_action.eval_score import CaseRun, EvalResult, evaluate  # noqa: E402
from lok_action.findings.merge import merge_findings  # noqa: E402
from lok_action.findings.model import Finding  # noqa: E402
from lok_action.outcome import BackendStatus  # noqa: E402
from lok_action.report.eval_table import render_table  # noqa: E402
from lok_action.reviewbench import OracleSite, RecordedComment, RecordingError, read_recording  # noqa: E402

STATIC = "static"


def load(data_dir: Path) -> tuple[list[RecordedComment], dict[str, list[OracleSite]]]:
    try:
        return read_recording(data_dir)
    except RecordingError as error:
        sys.exit(f"reviewbench_eval: {error}")


def review_costs(data_dir: Path) -> dict[tuple[str, str], BackendStatus]:
    """(instance, backend) -> the review's one call: latency, tokens, cost. The CSV repeats them on
    every comment row of a review; a review with no comment has no row, so its call is not known."""
    base = data_dir / "outputs" / "n100"
    calls: dict[tuple[str, str], BackendStatus] = {}
    for path in (base / "variant_results.csv", base / "static" / "results.csv"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                variant = (row.get("prompt_variant") or "").strip()
                backend = f"{row['reviewer'].strip()}/{variant}" if variant else row["reviewer"].strip()
                key = (row["instance_id"].strip(), backend)
                if key not in calls:
                    calls[key] = BackendStatus(
                        backend,
                        calls=1,
                        duration=_number(row.get("latency_seconds")),
                        input_tokens=int(_number(row.get("input_tokens")))
                        if row.get("input_tokens")
                        else None,
                        output_tokens=int(_number(row.get("output_tokens")))
                        if row.get("output_tokens")
                        else None,
                        cost_usd=_number(row.get("estimated_cost_usd"))
                        if row.get("estimated_cost_usd")
                        else None,
                    )
    return calls


def _number(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


def ensemble_runs(
    comments: list[RecordedComment],
    sites: dict[str, list[OracleSite]],
    backends: list[str],
    calls: dict[tuple[str, str], BackendStatus],
) -> list[CaseRun]:
    by_instance: dict[str, list[Finding]] = defaultdict(list)
    for comment in comments:
        if comment.backend in backends:
            by_instance[comment.instance].append(comment.finding)
    runs = []
    for instance in sorted(sites):
        raw = by_instance.get(instance, [])
        merged = merge_findings(raw, lambda path: backends)
        statuses = [calls[instance, b] for b in backends if (instance, b) in calls]
        wall = max((status.duration for status in statuses), default=0.0)  # the reviews run at once
        runs.append(CaseRun(instance, sites[instance], raw, merged, statuses, wall))
    return runs


def without_challenge(result: EvalResult) -> EvalResult:
    result.rows = [row for row in result.rows if not row.challenge]
    return result


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    started = time.monotonic()
    data_dir = Path(sys.argv[1])
    comments, sites = load(data_dir)
    calls = review_costs(data_dir)
    backends = sorted({c.backend for c in comments})
    variants = sorted({b.rsplit("/", 1)[1] for b in backends if "/" in b})
    print(f"{len(comments)} comments, {len(sites)} instances, {sum(map(len, sites.values()))} oracle sites")
    for variant in variants:
        members = [b for b in backends if b.endswith("/" + variant)] + [STATIC]
        result = evaluate(
            f"SWE-Review-Bench n100, prompt {variant}",
            ensemble_runs(comments, sites, members, calls),
            members,
        )
        print()
        print(render_table(without_challenge(result)), end="")
    reviews = len({(c.instance, c.backend) for c in comments})
    print(
        f"\n({time.monotonic() - started:.1f}s) calls, tokens, cost, wall: the {reviews} reviews with a comment"
        " (a review without one has no row), as their rows give them; wall = each instance's slowest review."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
