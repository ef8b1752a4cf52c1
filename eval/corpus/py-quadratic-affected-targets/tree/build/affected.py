"""Which build targets a change affects, for the monorepo's CI (about 40,000 targets).

The dependency graph maps each target to the targets it depends on; a change to a target affects
everything that depends on it, directly or not.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping


def reverse_edges(depends_on: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """target -> the targets that depend on it directly."""
    dependents: dict[str, list[str]] = defaultdict(list)
    for target, deps in depends_on.items():
        for dep in deps:
            dependents[dep].append(target)
    return dependents


def affected_targets(depends_on: Mapping[str, Iterable[str]], changed: Iterable[str]) -> list[str]:
    """The changed targets and every target depending on them, in breadth-first order."""
    dependents = reverse_edges(depends_on)
    order: list[str] = []
    queue = deque(changed)
    while queue:
        target = queue.popleft()
        if target in order:
            continue
        order.append(target)
        queue.extend(dependents.get(target, ()))
    return order


def tests_to_run(affected: Iterable[str]) -> list[str]:
    """The test targets among the affected ones, sorted for a stable CI matrix."""
    return sorted(target for target in affected if target.endswith(("_test", ":test")))
