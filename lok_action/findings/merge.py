"""The consensus merge: findings that describe the same problem, from several backends, become one."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lok_action.findings.model import SEVERITY_RANK, Finding, sort_findings
from lok_action.findings.wording import Vocabulary, Wording, wording

# Two findings are one problem when they are in the same file, close together, of related
# categories, and say the same thing. How alike "the same thing" must be is a MergeRules. The
# default was tuned on hand-labelled pairs of real review comments (bench/merge_quality.py): most
# comments of different reviewers near one another describe different problems, so wording decides,
# code names only add to it, and a backend's two findings at different lines stay two problems. The
# most alike pairs of a file are joined first (a finding goes to the one it is most alike, not to
# the first it fits), and every two findings of different backends in a problem must be alike (so
# one finding alike to two unrelated ones cannot chain them into one).


@dataclass(frozen=True)
class MergeRules:
    window: int  # ranges further apart than this many lines are never one problem
    threshold: float  # similarity (0..1) needed to be one problem
    wording: str  # "title": title-word Jaccard (the first merge); "text": lok_action.findings.wording
    same_rule: float = 0.0  # similarity an equal rule id is worth by itself ("title")
    rarity: float = 0.0  # a token counts 1 / (1 + rarity * other findings of the file using it)
    code_weight: float = 0.0  # how much shared code names add to the words' similarity ("text")
    one_per_backend: bool = False  # a backend's findings in one problem must share a line
    # "sweep": one pass in line order, each finding joining the open cluster it fits best (SWEEP_MERGE);
    # "best-first": the most alike pairs of the file are joined first (agglomerative)
    assign: str = "sweep"
    # best-first: which pairs across two clusters must be alike for them to become one ("single": one
    # pair; "complete": every pair of findings of different backends)
    linkage: str = "single"
    spanned_repeats: bool = False  # one_per_backend spares one rule repeated inside another's range
    lexicon: str = "plain"  # "text": which lok_action.findings.wording.LEXICONS entry reads the prose


# The first merge: title-word Jaccard >= 0.2 or the same rule id, within 5 lines. Kept for comparison
# (bench/merge_quality.py prints both).
TITLE_MERGE = MergeRules(window=5, threshold=0.2, wording="title", same_rule=0.5)
# The merge before the best-first pass and the linter lexicon (kept so bench/merge_quality.py can
# print before and after).
SWEEP_MERGE = MergeRules(
    window=5, threshold=0.18, wording="text", rarity=1.0, code_weight=0.2, one_per_backend=True
)
DEFAULT_MERGE = MergeRules(
    window=5,
    threshold=0.18,
    wording="text",
    rarity=1.0,
    code_weight=0.2,
    one_per_backend=True,
    assign="best-first",
    linkage="complete",
    spanned_repeats=True,
    lexicon="lint",
)

LINE_WINDOW = DEFAULT_MERGE.window  # findings this many lines apart may still be the same problem
RELATED_CATEGORIES = {
    frozenset({"bug", "security"}),
    frozenset({"bug", "performance"}),
    frozenset({"dead-code", "style"}),
    frozenset({"bug", "dead-code"}),
}
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "in",
        "on",
        "of",
        "for",
        "to",
        "at",
        "by",
        "is",
        "are",
        "be",
        "may",
        "can",
        "could",
        "when",
        "if",
        "and",
        "or",
        "with",
        "without",
        "not",
        "no",
        "this",
        "that",
        "it",
        "its",
        "from",
        "as",
        "into",
        "possible",
        "potential",
    ]
)


def title_tokens(text: str) -> frozenset[str]:
    """Content words of a title; camelCase split, plural 's' dropped, so wording differences matter less."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    tokens = set()
    for word in re.split(r"[^A-Za-z0-9]+", spaced.lower()):
        if len(word) < 2 or word in STOPWORDS:
            continue
        tokens.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return frozenset(tokens)


def _wording(finding: Finding, rules: MergeRules) -> Wording:
    rule = finding.rule_id.removeprefix("lok/")
    if rules.wording == "title":
        return Wording(title_tokens(finding.title + " " + rule), frozenset())
    # the exact flagged code, once findings carry it, names what the finding is about
    code = finding.evidence
    # a rule id that is only the category (what a backend that named none gets) says nothing
    return wording(
        f"{finding.title} {finding.explanation}",
        "" if rule == finding.category else rule,
        code,
        rules.lexicon,
    )


def _related(a: str, b: str) -> bool:
    return a == b or frozenset({a, b}) in RELATED_CATEGORIES


def _share_a_line(a: Finding, b: Finding) -> bool:
    return a.start_line <= b.end_line and b.start_line <= a.end_line


def _spans(wide: Finding, a: Finding, b: Finding) -> bool:
    """Whether ``wide``, of another backend than both, covers every line of ``a`` and ``b``."""
    if set(wide.backends) & (set(a.backends) | set(b.backends)):
        return False
    return wide.start_line <= min(a.start_line, b.start_line) and wide.end_line >= max(a.end_line, b.end_line)


def _wording_score(finding: Finding) -> tuple[Any, ...]:
    """Higher is better worded: has a fix, explains more (capped), a title of useful length."""
    return (
        bool(finding.suggested_fix),
        min(len(finding.explanation), 800) // 40,
        min(len(finding.title), 100) // 10,
    )


def _stable_key(finding: Finding) -> tuple[Any, ...]:
    return (finding.start_line, finding.end_line, finding.backends, finding.rule_id, finding.title)


@dataclass(frozen=True)
class _Item:
    finding: Finding
    said: Wording


@dataclass
class _Cluster:
    members: list[_Item]
    start: int
    end: int


class _FileMerge:
    """One file's findings clustered in line order; a cluster closes once the window is past it."""

    def __init__(self, findings: Iterable[Finding], rules: MergeRules) -> None:
        self.rules = rules
        self.items = [_Item(f, _wording(f, rules)) for f in sorted(findings, key=_stable_key)]
        self.vocabulary = Vocabulary((item.said for item in self.items), rules.rarity)

    def similarity(self, a: _Item, b: _Item) -> float:
        """How alike two findings' wording is, 0..1."""
        rules = self.rules
        if rules.wording == "title":
            union = a.said.words | b.said.words
            score = len(a.said.words & b.said.words) / len(union) if a.said.words and b.said.words else 0.0
        else:
            score = self.vocabulary.similarity(a.said, b.said, rules.code_weight)
        if rules.same_rule and a.finding.rule_id == b.finding.rule_id:
            score = max(score, rules.same_rule)
        return score

    def fit(self, cluster: _Cluster, item: _Item) -> float:
        """How well ``item`` fits ``cluster`` (its best similarity to a member); 0 when it does not."""
        rules, finding = self.rules, item.finding
        if finding.start_line > cluster.end + rules.window or finding.end_line < cluster.start - rules.window:
            return 0.0
        if not any(_related(finding.category, m.finding.category) for m in cluster.members):
            return 0.0
        if rules.one_per_backend:
            # a backend that says a thing at two places means two problems (the same bug twice)
            mine = set(finding.backends)
            if any(
                mine & set(m.finding.backends) and not _share_a_line(m.finding, finding)
                for m in cluster.members
            ):
                return 0.0
        best = max(self.similarity(member, item) for member in cluster.members)
        return best if best >= rules.threshold else 0.0

    def clusters(self) -> list[list[Finding]]:
        return self._best_first() if self.rules.assign == "best-first" else self._sweep()

    def _compatible(self, a: list[_Item], b: list[_Item]) -> bool:
        """Whether two clusters may become one: never one backend's findings at two places, unless
        they are one rule repeated at lines that another backend's one finding spans (a linter
        reports each line of what a reviewer calls one problem)."""
        if not self.rules.one_per_backend:
            return True
        everyone = a + b
        for x in a:
            for y in b:
                fx, fy = x.finding, y.finding
                if not set(fx.backends) & set(fy.backends) or _share_a_line(fx, fy):
                    continue
                if not (self.rules.spanned_repeats and fx.rule_id == fy.rule_id):
                    return False
                if not any(_spans(m.finding, fx, fy) for m in everyone):
                    return False
        return True

    def _best_first(self) -> list[list[Finding]]:
        """Every pair of findings close enough and alike enough, the most alike (then the closest)
        joined first, as long as the two clusters may become one. Items are in line order, so a
        finding's candidates are the next few items only: linear in the findings for a bounded
        number of findings per window."""
        rules, items = self.rules, self.items
        pairs: list[tuple[float, int, int, int]] = []
        for i, a in enumerate(items):
            reach = a.finding.end_line + rules.window
            for j in range(i + 1, len(items)):
                b = items[j]
                if b.finding.start_line > reach:
                    break
                if not _related(a.finding.category, b.finding.category):
                    continue
                score = self.similarity(a, b)
                if score >= rules.threshold:
                    gap = max(0, b.finding.start_line - a.finding.end_line)
                    pairs.append((-score, gap, i, j))
        pairs.sort()
        alike = {(i, j) for _, _, i, j in pairs}
        owner = list(range(len(items)))  # cluster id of each item: the lowest index among its members
        members: dict[int, list[int]] = {i: [i] for i in range(len(items))}
        for _, _, i, j in pairs:
            one, other = sorted((owner[i], owner[j]))
            if one == other:
                continue
            left, right = members[one], members[other]
            if not self._compatible([items[k] for k in left], [items[k] for k in right]):
                continue
            if rules.linkage == "complete" and not self._all_alike(left, right, alike):
                continue
            for k in right:
                owner[k] = one
            members[one] = sorted(left + members.pop(other))
        return [[items[k].finding for k in group] for _, group in sorted(members.items())]

    def _all_alike(self, left: list[int], right: list[int], alike: set[tuple[int, int]]) -> bool:
        """Complete linkage: every two findings of different backends across the clusters are a
        close, alike pair (so a finding alike to two that share nothing joins only one of them)."""
        items = self.items
        for x in left:
            for y in right:
                if set(items[x].finding.backends) & set(items[y].finding.backends):
                    continue
                if (min(x, y), max(x, y)) not in alike:
                    return False
        return True

    def _sweep(self) -> list[list[Finding]]:
        open_clusters: list[_Cluster] = []
        done: list[_Cluster] = []
        for item in self.items:
            finding = item.finding
            # clusters that ended too far above can never match again: retire them (keeps this linear)
            reach = finding.start_line - self.rules.window
            done += [cluster for cluster in open_clusters if cluster.end < reach]
            open_clusters = [cluster for cluster in open_clusters if cluster.end >= reach]
            scored = [(self.fit(cluster, item), index) for index, cluster in enumerate(open_clusters)]
            score, index = max(scored, default=(0.0, -1))
            if score > 0:
                cluster = open_clusters[index]
                cluster.members.append(item)
                cluster.start = min(cluster.start, finding.start_line)
                cluster.end = max(cluster.end, finding.end_line)
            else:
                open_clusters.append(_Cluster([item], finding.start_line, finding.end_line))
        return [[item.finding for item in cluster.members] for cluster in done + open_clusters]


def merge_cluster(members: Sequence[Finding], analysed_by: Callable[[str], Iterable[str]] | None) -> Finding:
    """One finding for one cluster: the best-worded member, every reporter, the usual severity."""
    scores = [_wording_score(member) for member in members]
    top = max(scores)
    tied = [member for member, score in zip(members, scores, strict=True) if score == top]
    # among equally worded ones the title first in code-point order, a longer one before its prefix
    best = tied[0] if len(tied) == 1 else max(tied, key=lambda f: [-ord(c) for c in f.title])
    reporters = sorted({name for member in members for name in member.backends})
    # the most often reported severity; a tie goes to the more severe (safer for --fail-on)
    counts = Counter(member.severity for member in members)
    severity = max(counts, key=lambda s: (counts[s], SEVERITY_RANK[s]))
    ran = set(analysed_by(best.file)) if analysed_by else set()
    for member in members:
        ran.update(member.dissent)
    return Finding(
        rule_id=best.rule_id,
        category=best.category,
        severity=severity,
        file=best.file,
        start_line=best.start_line,
        end_line=best.end_line,
        title=best.title,
        explanation=best.explanation,
        suggested_fix=best.suggested_fix,
        evidence=best.evidence,
        backends=reporters,
        fingerprint=best.fingerprint,
        dissent=sorted(ran - set(reporters)),
        # shard outputs may carry the challenge round's verdicts (issue 12): none is lost in a merge
        confirmed_by=sorted({name for member in members for name in member.confirmed_by}),
        refuted_by=sorted({name for member in members for name in member.refuted_by}),
        unsure_by=sorted({name for member in members for name in member.unsure_by}),
        # some of its challenge calls were left out by a cap, in any of the runs merged
        unverified=any(member.unverified for member in members),
    )


def cluster_findings(findings: Iterable[Finding], rules: MergeRules = DEFAULT_MERGE) -> list[list[Finding]]:
    """The findings grouped into problems: each group is one problem, its members in line order."""
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_file[finding.file].append(finding)
    return [cluster for path in sorted(by_file) for cluster in _FileMerge(by_file[path], rules).clusters()]


def merge_findings(
    findings: Iterable[Finding],
    analysed_by: Callable[[str], Iterable[str]] | None = None,
    rules: MergeRules = DEFAULT_MERGE,
) -> list[Finding]:
    """Cluster findings that describe the same problem (same file, near lines, related category,
    alike wording) into one finding listing every reporter. ``analysed_by(file)`` names the
    backends that looked at a file, for dissent. Inputs may already be merged findings (shard
    outputs): reporters and dissent are unioned."""
    return sort_findings(merge_cluster(cluster, analysed_by) for cluster in cluster_findings(findings, rules))
