"""JSON report: AnalysisResult.to_dict, stable key order, what `lok merge` reads back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lok_action.analysis import AnalysisResult


def render_json(result: AnalysisResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
