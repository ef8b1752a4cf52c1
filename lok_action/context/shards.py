"""One deterministic shard of the files (``--shard I/N``): each path belongs to exactly one shard."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lok_action.errors import UsageError
from lok_action.ranges import JOB_INDEX, SHARDS


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, path: str) -> bool:
        digest = hashlib.sha1(path.encode("utf-8", "surrogateescape")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


def parse_shard(text: str | None, env: Mapping[str, str]) -> Shard | None:
    """``I/N`` (1-based). ``N`` alone takes I from JOB_COMPLETION_INDEX (0-based, Kubernetes indexed
    jobs) in ``env``. With no --shard, JOB_COMPLETION_INDEX alone does nothing (N is unknown)."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(?:([0-9]+)\s*/)?\s*([0-9]+)\s*", text)
    if not match:
        raise UsageError(
            f"--shard: expected I/N such as 2/4 (or N with JOB_COMPLETION_INDEX set), got '{text}'"
        )
    count = int(SHARDS.parse(f"--shard {text}: the shard count", match.group(2)))
    if match.group(1) is not None:
        index = int(SHARDS.parse(f"--shard {text}: the shard index", match.group(1)))
    elif env.get("JOB_COMPLETION_INDEX", "").strip():
        index = int(JOB_INDEX.parse("JOB_COMPLETION_INDEX", env["JOB_COMPLETION_INDEX"])) + 1
    else:
        raise UsageError(f"--shard {text}: give I/N, or set JOB_COMPLETION_INDEX (0-based) for the index")
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text}: index must be between 1 and {count}")
    return Shard(index, count)
