"""Which backend suits a task best: a small strengths table, limited to what is available."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lok_action.errors import BackendError


@dataclass(frozen=True)
class Strength:
    kind: str
    what: str  # the strength in a few words, shown as the reason
    keywords: tuple[str, ...]  # matched at word starts, case-insensitively


PRIVATE = (
    "private", "privacy", "offline", "local", "confidential", "sensitive", "proprietary",
    "air-gap", "airgap", "no network", "no cloud", "on-prem",
)  # fmt: skip

STRENGTHS: tuple[Strength, ...] = (
    Strength(
        "codex",
        "fast code analysis: patterns, N+1 queries, dead code",
        (
            "pattern",
            "n+1",
            "n + 1",
            "quer",
            "dead code",
            "unused",
            "unreachable",
            "duplicat",
            "refactor",
            "perf",
            "slow",
            "lint",
            "smell",
            "complexity",
            "bug",
        ),
    ),  # fmt: skip
    Strength(
        "gemini",
        "deep security audits",
        (
            "secur",
            "audit",
            "vulnerab",
            "inject",
            "xss",
            "csrf",
            "ssrf",
            "secret",
            "credential",
            "auth",
            "cve",
            "exploit",
            "sanitiz",
            "owasp",
            "crypto",
            "permission",
        ),
    ),  # fmt: skip
    Strength(
        "claude",
        "careful reasoning and orchestration",
        (
            "reason",
            "orchestrat",
            "architect",
            "design",
            "plan",
            "explain",
            "why",
            "debug",
            "trade",
            "decid",
            "complex",
            "multi-step",
            "coordinat",
            "review",
            "migrat",
            "spec",
        ),
    ),  # fmt: skip
    Strength("ollama", "private/offline: the code never leaves your machine", PRIVATE),
    Strength("local", "private/offline: embedded model, no server, no network", PRIVATE),
)
# when no keyword matches: the most capable general-purpose choice first
GENERAL_ORDER = ("claude", "codex", "gemini", "ollama", "openai", "command", "local")


def matched_keywords(task: str, strength: Strength) -> list[str]:
    text = task.lower()
    return [word for word in strength.keywords if re.search(r"(?<![a-z0-9])" + re.escape(word), text)]


def pick_backend(task: str, available: Sequence[str] | Mapping[str, str]) -> tuple[str, str]:
    """(backend name, reason) for ``task`` among ``available``.

    ``available`` is a list of backend names (taken as their kinds, as for the built-in backends)
    or a mapping name -> kind (for instances such as `[backends.big] kind = "ollama"`).
    Raises BackendError when nothing is available.
    """
    kinds = dict(available) if isinstance(available, Mapping) else {name: name for name in available}
    if not kinds:
        raise BackendError("no backend is available for the task (run 'lok doctor' to see why)")
    best: tuple[int, int, str, str] | None = None  # (-matches, table order, name, reason)
    for order, strength in enumerate(STRENGTHS):
        words = matched_keywords(task, strength)
        if not words:
            continue
        for name, kind in kinds.items():
            if kind != strength.kind:
                continue
            reason = f"{strength.what} (task mentions: {', '.join(words)})"
            candidate = (-len(words), order, name, reason)
            if best is None or candidate < best:
                best = candidate
    if best is not None:
        return best[2], best[3]
    rank = {kind: i for i, kind in enumerate(GENERAL_ORDER)}
    name = min(kinds, key=lambda n: (rank.get(kinds[n], len(rank)), n))
    return name, "no specific strength matched the task; the best general-purpose backend available"
