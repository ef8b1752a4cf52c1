"""Merge quality on real reviews: SWE-Review-Bench's recorded comments replayed through lok's merge.

  python bench/merge_quality.py DATA_DIR [--labels bench/merge_pairs.csv]

DATA_DIR is a copy of SWE-Review-Bench (github.com/lmnst/SWE-Review-Bench) holding
outputs/n100/variant_results.csv, outputs/n100/static/results.csv and outputs/n100/oracle_index.json.
The data is read from there and never copied. Each comment becomes one lok finding (see
lok_action/reviewbench.py); one backend per reviewer and prompt variant. The run prints, for three
merges - "title" (TITLE_MERGE, the title-word merge lok started with), "before" (SWEEP_MERGE, the
line-order sweep with the plain lexicon, lok's merge until the best-first pass) and "after"
(DEFAULT_MERGE):

1. per reviewer and per quorum k, precision and recall of oracle sites;
2. how the merge treats pairs of comments of different backends that lie close together;
3. the same on the hand-labelled pairs in bench/merge_pairs.csv: "same" or "different" problem, or
   "unclear" where the two complaints overlap only in part (left out of the rates). Splits:
   - tune: the pairs SWEEP_MERGE and then DEFAULT_MERGE were tuned on;
   - held-out: split off by instance before any tuning, looked at once for SWEEP_MERGE and once
     more, with DEFAULT_MERGE frozen, for the bar;
   - cross-prompt: pairs of claude and gpt under different prompts (claude/A with gpt/B, ...),
     labelled after that look and merged in those mixed ensembles; no rule was changed after;
   - same-model: pairs of one reviewer under its two prompts (claude/A with claude/B, gpt/A with
     gpt/B), merged in the ensembles claude/A+claude/B+static and gpt/A+gpt/B+static. Labelled
     later, blind (two labellers who saw neither lok's code nor its output, each on all 414 pairs;
     they agreed on 401, Cohen's kappa 0.94; the 13 they disagreed on are "unclear", as are the 27
     both called unclear), with the merge frozen before; its first look is the one reported for the
     bar. One model under two prompts often words a comment the same way twice: the rates are also
     printed without the pairs whose two messages are identical ("same-model reworded").

The label file names comments by instance, backend and row (the comment's 1-based position among
that backend's comments on that instance, in file order); it holds none of their text.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lok_action.findings.merge import (  # noqa: E402
    DEFAULT_MERGE,
    SWEEP_MERGE,
    TITLE_MERGE,
    MergeRules,
    cluster_findings,
    merge_cluster,
)
from lok_action.findings.model import Finding  # noqa: E402
from lok_action.reviewbench import OracleSite, RecordedComment, RecordingError, read_recording  # noqa: E402

TOLERANCE = 3  # the data's is_hit rule: a range within +-3 lines of a fix hunk
CLOSE = 10  # pairs of comments at most this many lines apart are "close"
STATIC = "static"
MERGES = {"title": TITLE_MERGE, "before": SWEEP_MERGE, "after": DEFAULT_MERGE}
SAME_MODEL = "same-model"
SPLITS = ("tune", "held-out", "cross-prompt", SAME_MODEL)
REWORDED = "same-model reworded"  # the same-model pairs whose two messages are not identical
DEFINITIONS = f"""\
Definitions
  backend      one reviewer under one prompt variant (claude-sonnet-4-5/A, ...); static = ruff+pylint
  ensemble X   the backends of prompt variant X plus static; lok merges their comments per instance
  site         one hunk of the instance's real fix patch (oracle_index.json), {{sites}} in all
  hit          a finding whose reported lines overlap a site's lines widened by {TOLERANCE} on each side
               (the data's own is_hit rule: it agrees with the is_hit column on {{agree}} of {{rows}} rows)
  at k         merged findings reported by >= k backends of the ensemble
  precision@k  hits among the merged findings at k / merged findings at k
  recall@k     sites hit by a merged finding at k / all sites
  close pair   two comments on one instance, from two backends of one ensemble, whose line ranges are
               at most {CLOSE} lines apart (0 = they share a line); claude/A with gpt/B (and gpt/A with
               claude/B) are merged in the mixed ensembles claude/A+gpt/B+static (gpt/A+claude/B+static)
  joined       the two comments of a pair end up in one merged finding of their ensemble's merge"""


def load(data_dir: Path) -> tuple[list[RecordedComment], dict[str, list[OracleSite]]]:
    try:
        return read_recording(data_dir)
    except RecordingError as error:
        sys.exit(f"merge_quality: {error}")


def hit_sites(finding: Finding, sites: Sequence[OracleSite]) -> set[int]:
    return {
        number
        for number, site in enumerate(sites)
        if site.file == finding.file
        and finding.start_line <= site.end_line + TOLERANCE
        and finding.end_line >= site.start_line - TOLERANCE
    }


def ensembles(comments: Iterable[RecordedComment]) -> dict[str, list[str]]:
    """Each prompt variant's backends plus static ("A", "B"); for comments of two reviewers under
    different prompts the mixed ones ("claude-sonnet-4-5/A+gpt-4o-mini/B"), and for one reviewer's
    two prompts its own ("claude-sonnet-4-5/A+claude-sonnet-4-5/B")."""
    backends = sorted({c.backend for c in comments})
    variants = sorted({b.rsplit("/", 1)[1] for b in backends if "/" in b})
    groups = {v: [b for b in backends if b.endswith("/" + v)] + [STATIC] for v in variants}
    llms = [b for b in backends if "/" in b]
    for a, b in combinations(llms, 2):
        if a.rsplit("/", 1)[1] != b.rsplit("/", 1)[1]:
            groups[f"{a}+{b}"] = [a, b, STATIC]
    return groups


def ensemble_of(a: str, b: str, groups: dict[str, list[str]]) -> str:
    """The ensemble whose merge decides whether comments of backends ``a`` and ``b`` are joined."""
    for name, backends in groups.items():
        if a in backends and b in backends:
            return name
    raise ValueError(f"no ensemble holds both {a} and {b}")


def gap(a: Finding, b: Finding) -> int:
    return max(0, max(a.start_line, b.start_line) - min(a.end_line, b.end_line))


Key = tuple[str, str, int]  # instance, backend, row


def key(comment: RecordedComment) -> Key:
    return (comment.instance, comment.backend, comment.row)


class Replay:
    """One ensemble's comments merged per instance with one set of rules."""

    def __init__(self, comments: list[RecordedComment], backends: list[str], rules: MergeRules) -> None:
        self.backends = backends
        self.cluster_of: dict[Key, int] = {}
        self.clusters: list[tuple[str, list[Finding]]] = []  # (instance, members)
        by_instance: dict[str, list[RecordedComment]] = defaultdict(list)
        for comment in comments:
            if comment.backend in backends:
                by_instance[comment.instance].append(comment)
        for instance in sorted(by_instance):
            keys = {id(c.finding): key(c) for c in by_instance[instance]}
            for members in cluster_findings([c.finding for c in by_instance[instance]], rules):
                for member in members:
                    self.cluster_of[keys[id(member)]] = len(self.clusters)
                self.clusters.append((instance, members))

    def joined(self, a: Key, b: Key) -> bool:
        return self.cluster_of[a] == self.cluster_of[b]


def ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "  -  "


def reviewer_table(comments: list[RecordedComment], sites: dict[str, list[OracleSite]], total: int) -> None:
    print("\nPer reviewer (every comment is a finding, no merge)")
    print(f"  {'backend':<22} {'comments':>8} {'hits':>5} {'precision':>9} {'sites':>5} {'recall':>7}")
    for backend in sorted({c.backend for c in comments}):
        mine = [c for c in comments if c.backend == backend]
        hits = [(c.instance, hit_sites(c.finding, sites.get(c.instance, []))) for c in mine]
        found = {(instance, s) for instance, numbers in hits for s in numbers}
        n_hits = sum(1 for _, numbers in hits if numbers)
        print(
            f"  {backend:<22} {len(mine):>8} {n_hits:>5} {ratio(n_hits, len(mine)):>9}"
            f" {len(found):>5} {ratio(len(found), total):>7}"
        )


def quorum_table(
    replays: dict[str, Replay], sites: dict[str, list[OracleSite]], total: int, label: str
) -> None:
    print(f"\nEnsemble {label}: {', '.join(next(iter(replays.values())).backends)}")
    print(f"  {'merge':<7} {'k':>2} {'findings':>8} {'hits':>5} {'precision':>9} {'sites':>5} {'recall':>7}")
    for name, replay in replays.items():
        for k in range(1, len(replay.backends) + 1):
            kept = [
                (instance, members)
                for instance, members in replay.clusters
                if len({b for m in members for b in m.backends}) >= k
            ]
            # the merged finding is reported at its best-worded member's lines: score those
            reported = [(instance, merge_cluster(members, None)) for instance, members in kept]
            hits = [(instance, hit_sites(f, sites.get(instance, []))) for instance, f in reported]
            found = {(instance, s) for instance, numbers in hits for s in numbers}
            n_hits = sum(1 for _, numbers in hits if numbers)
            print(
                f"  {name:<7} {k:>2} {len(kept):>8} {n_hits:>5} {ratio(n_hits, len(kept)):>9}"
                f" {len(found):>5} {ratio(len(found), total):>7}"
            )


def close_pairs(
    comments: list[RecordedComment], groups: dict[str, list[str]]
) -> list[tuple[RecordedComment, RecordedComment, str]]:
    """Every close pair of comments of two backends that share an ensemble, with that ensemble."""
    by_instance: dict[str, list[RecordedComment]] = defaultdict(list)
    for comment in comments:
        by_instance[comment.instance].append(comment)
    pairs = []
    for instance in sorted(by_instance):
        for a, b in combinations(by_instance[instance], 2):
            if (
                a.backend == b.backend
                or a.finding.file != b.finding.file
                or gap(a.finding, b.finding) > CLOSE
            ):
                continue
            if any(a.backend in backends and b.backend in backends for backends in groups.values()):
                pairs.append((a, b, ensemble_of(a.backend, b.backend, groups)))
    return pairs


def read_labels(path: Path) -> dict[frozenset[Key], tuple[str, str]]:
    labels = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            a = (row["instance_id"], row["backend_a"], int(row["row_a"]))
            b = (row["instance_id"], row["backend_b"], int(row["row_b"]))
            labels[frozenset({a, b})] = (row["label"], row["split"])
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--labels", type=Path, default=Path(__file__).with_name("merge_pairs.csv"))
    args = parser.parse_args()
    comments, sites = load(args.data_dir)
    total = sum(len(s) for s in sites.values())
    agree = sum(
        1
        for c in comments
        if bool(hit_sites(c.finding, sites.get(c.instance, []))) == (c.oracle_site is not None)
    )
    print(DEFINITIONS.format(sites=total, agree=agree, rows=len(comments)))
    groups = ensembles(comments)
    reviewer_table(comments, sites, total)
    replays = {
        label: {name: Replay(comments, backends, rules) for name, rules in MERGES.items()}
        for label, backends in groups.items()
    }
    for label, by_merge in replays.items():
        if "+" not in label:  # the mixed ensembles are there for the cross-prompt and same-model pairs
            quorum_table(by_merge, sites, total, label)

    pairs = close_pairs(comments, groups)
    close_pair_table(pairs, groups, replays)
    label_tables(read_labels(args.labels), args.labels.name, pairs, replays)


Replays = dict[str, dict[str, Replay]]  # ensemble -> merge name -> its replay


def close_pair_table(
    pairs: list[tuple[RecordedComment, RecordedComment, str]], groups: dict[str, list[str]], replays: Replays
) -> None:
    print(f"\nClose pairs of comments from different backends (<= {CLOSE} lines apart)")
    print(
        f"  {'ensemble':<40} {'lines apart':<12} {'pairs':>5} "
        + " ".join(f"{n + ' joined':>14}" for n in MERGES)
    )
    for label in groups:
        for name, (low, high) in (("0 (share)", (0, 0)), ("1-5", (1, 5)), (f"6-{CLOSE}", (6, CLOSE))):
            mine = [(a, b) for a, b, g in pairs if g == label and low <= gap(a.finding, b.finding) <= high]
            joined = [sum(replays[label][m].joined(key(a), key(b)) for a, b in mine) for m in MERGES]
            print(f"  {label:<40} {name:<12} {len(mine):>5} " + " ".join(f"{j:>14}" for j in joined))


def label_tables(
    labels: dict[frozenset[Key], tuple[str, str]],
    source: str,
    pairs: list[tuple[RecordedComment, RecordedComment, str]],
    replays: Replays,
) -> None:
    found = {frozenset({key(a), key(b)}): g for a, b, g in pairs}
    missing = [p for p in labels if p not in found]
    unlabelled = [p for p in found if p not in labels]
    print(
        f"\nHand-labelled pairs: {len(labels)} in {source}; {len(labels) - len(missing)} found in"
        f" the data; close pairs without a label: {len(unlabelled)}"
    )
    said = {key(c): (c.finding.title, c.finding.explanation) for a, b, _ in pairs for c in (a, b)}
    table: dict[tuple[str, str], list[frozenset[Key]]] = defaultdict(list)
    for pair, (label, split) in labels.items():
        if pair in found:
            table[split, label].append(pair)
            one, other = sorted(pair)
            if split == SAME_MODEL and said[one] != said[other]:
                table[REWORDED, label].append(pair)
    width = len(REWORDED)
    print(
        f"  {'split':<{width}} {'label':<10} {'pairs':>5} " + " ".join(f"{n + ' joined':>16}" for n in MERGES)
    )
    rates: dict[tuple[str, str, str], tuple[int, int]] = {}
    for split in (*SPLITS, REWORDED):
        for label in ("same", "different", "unclear"):
            labelled = table[split, label]
            cells = []
            for name in MERGES:
                count = sum(replays[found[p]][name].joined(*sorted(p)) for p in labelled)
                rates[split, label, name] = (count, len(labelled))
                cells.append(f"{count:>4} ({ratio(count, len(labelled))})")
            print(f"  {split:<{width}} {label:<10} {len(labelled):>5} " + " ".join(f"{c:>16}" for c in cells))
    print("\nBar: joins >= 85% of 'same' pairs and <= 5% of 'different' ones")
    for split in ("held-out", "cross-prompt", SAME_MODEL, REWORDED):
        for name in MERGES:
            same, n_same = rates[split, "same", name]
            diff, n_diff = rates[split, "different", name]
            print(
                f"  {split:<{width}} {name:<7} same joined {ratio(same, n_same)} ({same}/{n_same}),"
                f" different joined {ratio(diff, n_diff)} ({diff}/{n_diff})"
            )


if __name__ == "__main__":
    main()
