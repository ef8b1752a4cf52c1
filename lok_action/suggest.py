"""Which backend suits a task best: the strengths each kind declares (its KindSpec), limited to what
is available."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from lok_action.backends.registry import kind_names, kind_spec
from lok_action.backends.spec import Strength
from lok_action.errors import BackendError


def matched_keywords(task: str, strength: Strength) -> list[str]:
    text = task.lower()
    return [word for word in strength.keywords if re.search(r"(?<![a-z0-9])" + re.escape(word), text)]


def pick_backend(task: str, available: Sequence[str] | Mapping[str, str]) -> tuple[str, str]:
    """(backend name, reason) for ``task`` among ``available``.

    ``available`` is a list of backend names (taken as their kinds, as for the built-in backends)
    or a mapping name -> kind (for instances such as `[backends.big] kind = "ollama"`).
    The backend whose kind's strength matches the most keywords wins; ties go to the kind listed first
    in the registry. With no match, the lowest general_rank wins. Raises BackendError when nothing
    is available.
    """
    kinds = dict(available) if isinstance(available, Mapping) else {name: name for name in available}
    if not kinds:
        raise BackendError("no backend is available for the task (run 'lok doctor' to see why)")
    order = {kind: index for index, kind in enumerate(kind_names())}
    specs = {kind: kind_spec(kind) for kind in set(kinds.values())}
    best: tuple[int, int, int, str, str] | None = None  # (-matches, kind order, strength, name, reason)
    for name, kind in kinds.items():
        for index, strength in enumerate(specs[kind].strengths):
            words = matched_keywords(task, strength)
            if not words:
                continue
            reason = f"{strength.what} (task mentions: {', '.join(words)})"
            candidate = (-len(words), order[kind], index, name, reason)
            if best is None or candidate < best:
                best = candidate
    if best is not None:
        return best[3], best[4]
    name = min(kinds, key=lambda n: (specs[kinds[n]].general_rank, n))
    return name, "no specific strength matched the task; the best general-purpose backend available"
