"""What a finding says, as tokens, and how alike two findings' words are (for the consensus merge).

A finding's text splits into three kinds of token:
- words: content words of the prose, cut to their first letters so 'iterating' meets 'iteration';
- concepts: a review idea however it is phrased ("undefined name", "missing import" and "has no
  'x' member" are all ``~undefined``); they count double;
- code names: identifiers and anything quoted (``fuzzy_not``, ``'=='``, ``SECRET_KEY``).

Comments about one line share its code names whatever they complain about, so code names alone
never make two findings alike: they add to a similarity the words already give. Measured on real
review comments with bench/merge_quality.py.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

STEM = 5  # letters kept of a word
PROSE_CHARS = 500  # of a finding's text (title, then explanation) read for its words
CONCEPT_WEIGHT = 2.0
CONCEPT = "~"
CODE = "`"
# Review ideas that reviewers (and linters) phrase in different words: (name, hints, pattern). The
# pattern runs on lowercased text, only when one of the hints (literal text every match contains) is
# there: a substring test is cheap, fifteen regular expressions on every finding are not.
_BROAD_EXCEPT = (
    "broad-except",
    ("exception", "broad except"),
    r"too general exception|broad except|catch\w* (base)?exception\b|except baseexception",
)
CONCEPTS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "undefined",
        ("undefined", "not defined", "before", "nameerror", "import", "has no"),
        r"undefined|not defined|before (its )?(assignment|definition|being defined)|nameerror|"
        r"missing import|not imported|has no '?\w+'? member|has no attribute",
    ),
    (
        "unused",
        ("used", "never read", "assigned to but never"),
        r"unused|never used|not used|never read|assigned to but never",
    ),
    (
        "no-effect",
        ("effect", "nothing", "useless", "trailing comma"),
        r"no effect|assigned to nothing|useless (expression|statement)|trailing comma",
    ),
    ("shadow", ("shadow", "redefin"), r"shadow|redefin"),
    ("deprecated", ("deprecat", "removed in python", "obsolete"), r"deprecat|removed in python|obsolete"),
    (
        "code-execution",
        ("eval", "exec", "arbitrary code", "code "),
        r"\beval\b|\bexec\b|arbitrary code|code (execution|injection)",
    ),
    (
        "bare-except",
        ("bare except", "no exception type", "except:"),
        r"bare except|no exception type|except:",
    ),
    _BROAD_EXCEPT,
    (
        "swallowed",
        ("mask", "hid", "swallow", "silent", "suppress", "ignor"),
        r"\bmask|\bhid(e|es|den|ing)\b|swallow|silent|suppress|ignor(e|es|ed|ing) (the )?(exception|error)",
    ),
    (
        "exception-chain",
        ("rais", "from err", "context", "traceback", "root cause"),
        r"raise \S* ?from\b|\bfrom err\b|re-?rais|without context|traceback|root cause",
    ),
    ("equality", ("identity comparison", "==", "equality"), r"identity comparison|==|equality"),
    (
        "mutable-default",
        ("mutable default", "dangerous default", "default mutable"),
        r"mutable default|dangerous default|default mutable",
    ),
    ("todo", ("todo", "fixme", "xxx"), r"\btodo\b|\bfixme\b|\bxxx\b"),
    (
        "raise-non-exception",
        ("exception", "inherit"),
        r"inherit\w* from (base)?exception|non-exception|not an exception|(raised|instantiated) as an exception",
    ),
    ("typo", ("typo", "misspel"), r"typo|misspel"),
    (
        "mutated-while-iterating",
        ("iterat",),
        r"(modif|delet|chang|mutat|remov)\w*.{0,40}(during|while) iterat",
    ),
)
# Linter rules (ruff/flake8, pylint, bandit codes) and the review idea each reports, for when a
# linter's terse message does not spell the idea out in words the patterns know.
RULE_CONCEPTS: dict[str, str] = {
    **dict.fromkeys(("f821", "f822", "f405", "e0602", "e0601", "e1101", "e0401", "e0611"), "undefined"),
    **dict.fromkeys(("f841", "f401", "w0611", "w0612", "w0613", "w0614", "arg001", "arg002"), "unused"),
    **dict.fromkeys(("b018", "w0104", "w0105", "w0106"), "no-effect"),
    **dict.fromkeys(("f811", "a001", "a002", "a003", "w0621", "w0622", "e0102"), "shadow"),
    **dict.fromkeys(("w1505", "w4901", "w4902", "w4903", "w4904", "w4905", "w4906"), "deprecated"),
    **dict.fromkeys(("s102", "s307", "w0122", "w0123"), "code-execution"),
    **dict.fromkeys(("e722", "w0702"), "bare-except"),
    **dict.fromkeys(("ble001", "w0703", "w0718"), "broad-except"),
    **dict.fromkeys(("s110", "s112"), "swallowed"),
    **dict.fromkeys(("b904", "try200", "w0707"), "exception-chain"),
    **dict.fromkeys(("f632", "e711", "e712", "r0123"), "equality"),
    **dict.fromkeys(("b006", "w0102"), "mutable-default"),
    **dict.fromkeys(("fix001", "fix002", "fix003", "fix004", "w0511"), "todo"),
    **dict.fromkeys(("b016", "e0702", "e0710"), "raise-non-exception"),
    **dict.fromkeys(("b909",), "mutated-while-iterating"),
}
# Words that say nothing about which problem a comment means: grammar, and what every review says.
_FILLER = """a an the in on of for to at by is are be may can could when if and or with without not no this
    that it its from as into possible potential potentially which will would should might lead leads
    leading cause causes causing result results resulting issue issues problem problems unexpected
    behavior behaviour incorrect incorrectly correctly properly proper there their than then also only
    but does do did has have had was were been being used using use uses make makes making instead
    other any all some such these those function method code line value values where while after
    before onto over under about because since so just very more most less least same different new
    old likely always never handle handled handling handles case cases check checking checked checks
    provide provides provided clear clearly directly explicit explicitly consider considered must need
    needs needed"""
FILLER = frozenset(_FILLER.split()) | {"doesn", "don", "isn", "aren", "wasn", "won"}  # of doesn't, ...


@dataclass(frozen=True)
class Lexicon:
    """What the wording knows: review ideas and their patterns, words that say nothing, and the
    idea each linter rule reports."""

    concepts: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...]
    filler: frozenset[str]
    rule_concepts: dict[str, str]


def _compiled(
    table: Iterable[tuple[str, tuple[str, ...], str]],
) -> tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...]:
    return tuple((CONCEPT + name, hints, re.compile(pattern)) for name, hints, pattern in table)


# The lexicon of the sweep merge (kept callable so bench/merge_quality.py can print before and after):
# no rule table, "BaseException" anywhere meant a broad except, contractions were words.
_BROAD_BEFORE = ("broad-except", ("exception", "broad except"), _BROAD_EXCEPT[2] + "|baseexception")
LEXICONS = {
    "lint": Lexicon(_compiled(CONCEPTS), FILLER, RULE_CONCEPTS),
    "plain": Lexicon(
        _compiled(
            _BROAD_BEFORE if name == "broad-except" else (name, hints, pattern)
            for name, hints, pattern in CONCEPTS
            if name != "raise-non-exception"
        ),
        frozenset(_FILLER.split()),
        {},
    ),
}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|==|!=")
# `x`, 'x' and "x" quote code; an apostrophe inside a word (don't) does not open or close a quote
QUOTED = re.compile(r"`[^`]+`|(?<!\w)'.+?'(?!\w)|(?<!\w)\".+?\"(?!\w)")
CALL = re.compile(r"\b([A-Za-z_]\w*)\(\)")  # foo() and a.b.foo(): foo


@dataclass(frozen=True)
class Wording:
    words: frozenset[str]  # words, concepts (prefixed "~") and the rule id
    code: frozenset[str]  # code names, each prefixed "`" (so a word and a name never count as one)
    # a linter's TODO finding quotes the code's own comment: the words of that note (see NOTE_MARK)
    note: frozenset[str] = frozenset()

    @property
    def tokens(self) -> frozenset[str]:
        return self.words | self.code


# where the note a TODO finding quotes starts: after its marker ("W0511: TODO: add checks for ...")
NOTE_MARK = re.compile(r"\b(?:todo|fixme|xxx|hack)\b:?\s*", re.IGNORECASE)
# besides snake_case: camelCase and lint codes (W0511) are code names; an acronym (SQL) is a word
_CODE_SHAPE = re.compile(r"[a-z][A-Z]|[A-Za-z][0-9]")


def wording(text: str, rule: str = "", code: str = "", lexicon: str = "lint") -> Wording:
    """The tokens of a finding's prose ``text`` (title, then explanation), its ``rule`` id and its
    flagged ``code``, if known. Only the first PROSE_CHARS of the prose count: the title and the start
    of the explanation say what the complaint is, the rest is detail (and time)."""
    known = LEXICONS[lexicon]
    filler = known.filler
    text = text[:PROSE_CHARS]
    lowered = text.lower()
    words: set[str] = set()
    for name, hints, pattern in known.concepts:
        for hint in hints:
            if hint in lowered:
                if pattern.search(lowered):
                    words.add(name)
                break
    names: set[str] = set()
    if rule:
        words.add("rule:" + rule)
        idea = known.rule_concepts.get(rule.lower())
        if idea:
            words.add(CONCEPT + idea)

    def prose(span: str) -> None:
        for name in NAME.findall(span):
            if name.isalpha() and name.islower():  # the common case: a plain word
                if len(name) > 1 and name not in filler:
                    words.add(name[:STEM])
                continue
            word = name.lower()
            if "_" in name or name in ("==", "!=") or _CODE_SHAPE.search(name):
                names.add(word.strip("_"))
            elif len(word) > 1 and word not in filler:
                words.add(word[:STEM])

    def quoted(span: str) -> None:
        names.update(name.lower().strip("_") for name in NAME.findall(span) if len(name) > 1)

    end = 0
    if "'" in text or '"' in text or "`" in text:
        for match in QUOTED.finditer(text):
            prose(text[end : match.start()])
            quoted(match.group(0)[1:-1])
            end = match.end()
    prose(text[end:])
    if "()" in text:
        names.update(call.lower().strip("_") for call in CALL.findall(text))
    if code:
        quoted(code[:PROSE_CHARS])
    names.discard("")
    note: frozenset[str] = frozenset()
    if known.rule_concepts.get(rule.lower()) == "todo":
        mark = NOTE_MARK.search(text)
        if mark:
            note = wording(text[mark.end() :], lexicon=lexicon).words
    return Wording(frozenset(words), frozenset(CODE + name for name in names), note)


class Vocabulary:
    """How many of one file's findings use each token: a token many of them use says little about
    which problem a finding means, so it counts 1 / (1 + rarity * the other findings using it)."""

    def __init__(self, wordings: Iterable[Wording], rarity: float) -> None:
        self.rarity = rarity
        self.uses = Counter(token for said in wordings for token in said.tokens)
        self._totals: dict[frozenset[str], float] = {}
        self._pairs: dict[str, tuple[float, float]] = {}

    def _weight(self, token: str, others: int) -> float:
        kind = CONCEPT_WEIGHT if token.startswith(CONCEPT) else 1.0
        return kind / (1.0 + self.rarity * others)

    def _shared_weights(self, token: str) -> tuple[float, float]:
        """A token's weight when two findings share it, and when only one of them has it."""
        weights = self._pairs.get(token)
        if weights is None:
            uses = self.uses[token]
            weights = (self._weight(token, uses - 2), self._weight(token, uses - 1))
            self._pairs[token] = weights
        return weights

    def _total(self, tokens: frozenset[str]) -> float:
        """The weight of one finding's tokens as if no other finding of the pair had them."""
        total = self._totals.get(tokens)
        if total is None:
            # fsum: exactly rounded whatever the (hash-seeded) set order, so runs repeat to the bit
            total = math.fsum(self._weight(token, self.uses[token] - 1) for token in tokens)
            self._totals[tokens] = total
        return total

    def _dice(self, a: frozenset[str], b: frozenset[str]) -> float:
        shared = a & b
        if not shared:
            return 0.0
        # a shared token has one user fewer among the *other* findings than a token only one of them has
        both = [self._shared_weights(token) for token in shared]
        together = math.fsum(w for w, _ in both)
        total = self._total(a) + self._total(b) + 2 * math.fsum(w - alone for w, alone in both)
        return 2 * together / total

    def similarity(self, a: Wording, b: Wording, code_weight: float) -> float:
        """0..1: the weighted Dice overlap of the two findings' words (concepts counting double), plus
        up to ``code_weight`` for the overlap of their code names; 0 when they share no word at all.
        A TODO finding's note is also compared on its own with a finding that is not one: a reviewer
        describes the problem the note admits, not that there is a TODO."""
        words = self._dice(a.words, b.words)
        if bool(a.note) != bool(b.note):
            note, other = (a.note, b.words) if a.note else (b.note, a.words)
            words = max(words, self._dice(note, other))
        return min(1.0, words + code_weight * self._dice(a.code, b.code)) if words else 0.0
