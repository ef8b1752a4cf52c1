"""Finding: one problem in the code, possibly reported by several backends.

Also the three things done to findings: validating what an LLM answered (``validate_raw_findings``),
a fingerprint that survives unrelated line moves (``fingerprint``), and the consensus merge that
clusters the same problem reported by several backends (``merge_findings``).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lok_action.wording import Vocabulary, Wording, wording

CATEGORIES = ("bug", "security", "performance", "dead-code", "style")
SEVERITIES = ("critical", "high", "medium", "low", "info")  # most severe first
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}  # info=0 .. critical=4


@dataclass
class Finding:
    rule_id: str  # stable slug, e.g. "lok/null-deref"
    category: str  # one of CATEGORIES
    severity: str  # one of SEVERITIES
    file: str  # repository-relative POSIX path
    start_line: int
    end_line: int
    title: str
    explanation: str = ""
    suggested_fix: str = ""  # replacement code for start_line..end_line, when proposed
    evidence: str = ""  # the flagged line(s) as the backend quoted them from the code
    backends: list[str] = field(default_factory=list)  # who reported it, sorted
    fingerprint: str = ""  # stable across unrelated line moves
    dissent: list[str] = field(default_factory=list)  # backends that ran on this file and did not report it

    @property
    def agreement(self) -> int:
        return len(self.backends)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "category": self.category,
            "severity": self.severity,
            "file": self.file,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "title": self.title,
            "explanation": self.explanation,
            "suggested_fix": self.suggested_fix,
            "evidence": self.evidence,
            "backends": list(self.backends),
            "agreement": self.agreement,
            "dissent": list(self.dissent),
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "") -> Finding:
        """A finding read back from a lok JSON report; raises jsonfields.FieldError naming the field."""
        from lok_action import jsonfields as f

        data = f.as_mapping(data, where.rstrip(".") or "finding")
        start = f.integer(data, "start_line", where, minimum=1)
        return cls(
            rule_id=f.text(data, "rule_id", where),
            category=f.choice(data, "category", CATEGORIES, where),
            severity=f.choice(data, "severity", SEVERITIES, where),
            file=f.text(data, "file", where),
            start_line=start,
            end_line=f.integer(data, "end_line", where, minimum=start),
            title=f.text(data, "title", where),
            explanation=f.text(data, "explanation", where, ""),
            suggested_fix=f.text(data, "suggested_fix", where, ""),
            evidence=f.text(data, "evidence", where, ""),
            backends=f.text_list(data, "backends", where),
            fingerprint=f.text(data, "fingerprint", where, ""),
            dissent=f.text_list(data, "dissent", where),
        )


def severity_at_least(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


# ---------------------------------------------------------------------------------------------
# Validation of what an LLM answered

# LLMs use many words for the same thing; map the common ones, drop the rest as malformed.
CATEGORY_ALIASES = {
    "bug": "bug",
    "bugs": "bug",
    "error": "bug",
    "errors": "bug",
    "correctness": "bug",
    "logic": "bug",
    "crash": "bug",
    "reliability": "bug",
    "security": "security",
    "vulnerability": "security",
    "injection": "security",
    "secret": "security",
    "secrets": "security",
    "auth": "security",
    "performance": "performance",
    "perf": "performance",
    "efficiency": "performance",
    "dead-code": "dead-code",
    "dead code": "dead-code",
    "dead_code": "dead-code",
    "deadcode": "dead-code",
    "unused": "dead-code",
    "unreachable": "dead-code",
    "style": "style",
    "readability": "style",
    "maintainability": "style",
}
SEVERITY_ALIASES = {
    **{name: name for name in SEVERITIES},
    "blocker": "critical",
    "major": "high",
    "error": "high",
    "moderate": "medium",
    "warning": "medium",
    "warn": "medium",
    "minor": "low",
    "note": "low",
    "informational": "info",
    "information": "info",
    "none": "info",
}
MAX_TITLE = 200
MAX_TEXT = 4000

SourceLines = Callable[[str], "Sequence[str] | None"]  # repo path -> its lines, None when unreadable


class MalformedFinding(ValueError):
    """One raw finding that cannot be used; the message says which field."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _int_field(item: Mapping[str, Any], *names: str) -> int | None:
    for name in names:
        value = item.get(name)
        if isinstance(value, bool):
            raise MalformedFinding(f"{name} is not a line number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        if value is not None:
            raise MalformedFinding(f"{name} is not a line number: {value!r}"[:120])
    return None


def _text_field(item: Mapping[str, Any], *names: str, limit: int = MAX_TEXT) -> str:
    for name in names:
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:limit]
    return ""


def _code_field(item: Mapping[str, Any], *names: str) -> str:
    """Quoted code: kept as written (indentation is part of it), only blank edges trimmed."""
    for name in names:
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip("\r\n")[:MAX_TEXT]
    return ""


def _resolve_path(raw: str, allowed: Sequence[str] | None) -> str:
    path = raw.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    path = path.lstrip("/")
    if allowed is None or path in allowed:
        return path
    # "a.py" for "src/a.py", or an absolute path ending in a known file: accept when unambiguous
    matches = [known for known in allowed if known.endswith("/" + path) or path.endswith("/" + known)]
    if len(matches) == 1:
        return matches[0]
    raise MalformedFinding(f"file '{raw[:80]}' was not in the analysed code")


def raw_finding_items(parsed: Any) -> list[Any]:
    """The list of raw findings in a parsed answer: {"findings": [...]}, a bare list, or one object."""
    if isinstance(parsed, dict):
        if "findings" in parsed:
            items = parsed["findings"]
            if not isinstance(items, list):
                raise MalformedFinding("'findings' is not a list")
            return items
        if "title" in parsed and "file" in parsed:
            return [parsed]
        raise MalformedFinding("answer has no 'findings' list")
    if isinstance(parsed, list):
        return parsed
    raise MalformedFinding("answer is not a JSON object or list")


def validate_raw_finding(
    item: Any, backend: str, allowed_files: Sequence[str] | None, source_lines: SourceLines
) -> Finding:
    """One raw finding from an LLM answer -> a Finding, or MalformedFinding naming the bad field."""
    if not isinstance(item, dict):
        raise MalformedFinding("finding is not an object")
    raw_file = _text_field(item, "file", "path", "filename")
    if not raw_file:
        raise MalformedFinding("missing 'file'")
    path = _resolve_path(raw_file, allowed_files)
    start = _int_field(item, "start_line", "line", "startLine")
    if start is None:
        raise MalformedFinding("missing 'start_line'")
    end = _int_field(item, "end_line", "endLine")
    end = start if end is None or end < start else end
    if start < 1:
        raise MalformedFinding(f"start_line {start} is not >= 1")
    lines = source_lines(path)
    if lines is not None:
        if start > max(len(lines), 1):
            raise MalformedFinding(f"start_line {start} is past the end of {path} ({len(lines)} lines)")
        end = min(end, max(len(lines), 1))
    category_raw = _text_field(item, "category", "type", "kind").lower()
    category = CATEGORY_ALIASES.get(category_raw)
    if category is None:
        raise MalformedFinding(f"unknown category '{category_raw[:40]}'")
    severity_raw = _text_field(item, "severity", "level", "priority").lower()
    severity = SEVERITY_ALIASES.get(severity_raw)
    if severity is None:
        raise MalformedFinding(f"unknown severity '{severity_raw[:40]}'")
    title = " ".join(_text_field(item, "title", "summary", "message", limit=MAX_TITLE * 2).split())
    if not title:
        raise MalformedFinding("missing 'title'")
    title = title[:MAX_TITLE]
    rule_raw = _text_field(item, "rule", "rule_id", "id", limit=120)
    slug = _slug(rule_raw.removeprefix("lok/")) or category
    rule_id = f"lok/{slug}"
    finding = Finding(
        rule_id=rule_id,
        category=category,
        severity=severity,
        file=path,
        start_line=start,
        end_line=end,
        title=title,
        explanation=_text_field(item, "explanation", "description", "details", "message"),
        suggested_fix=_text_field(item, "suggested_fix", "fix", "suggestion"),
        evidence=_code_field(item, "evidence", "code", "snippet"),
        backends=[backend],
    )
    finding.fingerprint = fingerprint(finding, lines)
    return finding


@dataclass
class ValidationResult:
    findings: list[Finding]
    dropped: int  # raw findings that were malformed
    problems: list[str]  # why, one per dropped finding (first few)


def validate_raw_findings(
    parsed: Any, backend: str, allowed_files: Sequence[str] | None, source_lines: SourceLines
) -> ValidationResult:
    """All findings in one parsed answer. Bad ones are dropped and counted, never raised."""
    try:
        items = raw_finding_items(parsed)
    except MalformedFinding as problem:
        return ValidationResult([], 1, [str(problem)])
    findings, problems = [], []
    for item in items:
        try:
            findings.append(validate_raw_finding(item, backend, allowed_files, source_lines))
        except MalformedFinding as problem:
            problems.append(str(problem))
    return ValidationResult(findings, len(problems), problems[:5])


# ---------------------------------------------------------------------------------------------
# Fingerprints

FINGERPRINT_CONTEXT = 1  # non-blank lines after the finding folded into the hash


def _normalise(line: str) -> str:
    return " ".join(line.split())


def fingerprint(finding: Finding, lines: Sequence[str] | None) -> str:
    """sha256 of path, rule and the whitespace-normalised code of the finding's lines plus the next
    non-blank line after them. Line numbers are not part of it, and nothing above the finding is,
    so lines inserted or removed above keep it; editing the flagged code changes it."""
    parts = [finding.file, finding.rule_id]
    if lines:
        first, last = finding.start_line - 1, min(finding.end_line, len(lines))
        code = [_normalise(line) for line in lines[first:last]]
        after = [n for n in (_normalise(line) for line in lines[last:]) if n]
        parts += code + ["--"] + after[:FINGERPRINT_CONTEXT]
    else:  # no source (deleted file): the wording is the best stable thing left
        parts.append(_normalise(finding.title).lower())
    return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Consensus merge
#
# Two findings are one problem when they are in the same file, close together, of related
# categories, and say the same thing. How alike "the same thing" must be is a MergeRules. The
# default was tuned on hand-labelled pairs of real review comments (bench/merge_quality.py): most
# comments of different reviewers near one another describe different problems, so wording decides,
# code names only add to it, and a backend's two findings at different lines stay two problems.


@dataclass(frozen=True)
class MergeRules:
    window: int  # ranges further apart than this many lines are never one problem
    threshold: float  # similarity (0..1) needed to be one problem
    wording: str  # "title": title-word Jaccard (the first merge); "text": lok_action.wording
    same_rule: float = 0.0  # similarity an equal rule id is worth by itself ("title")
    rarity: float = 0.0  # a token counts 1 / (1 + rarity * other findings of the file using it)
    code_weight: float = 0.0  # how much shared code names add to the words' similarity ("text")
    one_per_backend: bool = False  # a backend's findings in one problem must share a line


# The first merge: title-word Jaccard >= 0.2 or the same rule id, within 5 lines. Kept for comparison
# (bench/merge_quality.py prints both).
TITLE_MERGE = MergeRules(window=5, threshold=0.2, wording="title", same_rule=0.5)
DEFAULT_MERGE = MergeRules(
    window=5, threshold=0.18, wording="text", rarity=1.0, code_weight=0.2, one_per_backend=True
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
    return wording(f"{finding.title} {finding.explanation}", "" if rule == finding.category else rule, code)


def _related(a: str, b: str) -> bool:
    return a == b or frozenset({a, b}) in RELATED_CATEGORIES


def _share_a_line(a: Finding, b: Finding) -> bool:
    return a.start_line <= b.end_line and b.start_line <= a.end_line


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
    best = max(members, key=lambda f: (_wording_score(f), [-ord(c) for c in f.title]))
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
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Report order: most severe, most agreed first, then by place. Total, so output is deterministic."""
    return sorted(
        findings,
        key=lambda f: (
            -SEVERITY_RANK[f.severity],
            -f.agreement,
            f.file,
            f.start_line,
            f.end_line,
            f.rule_id,
            f.title,
            f.fingerprint,
        ),
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


def apply_min_consensus(findings: Iterable[Finding], min_consensus: int) -> list[Finding]:
    return [finding for finding in findings if finding.agreement >= min_consensus]
