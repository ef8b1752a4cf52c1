"""JSON report: Outcome.to_dict, stable key order, what `lok merge` reads back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lok_action.outcome import Outcome


def render_json(result: Outcome) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
