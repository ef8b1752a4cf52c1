"""Summaries of an nginx access log in the default "combined" format."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

LINE_RE = re.compile(
    r'(?P<ip>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" '
    r"(?P<status>\d{3}) (?P<size>\d+|-)"
)


@dataclass(frozen=True)
class Request:
    ip: str
    method: str
    path: str
    status: int
    size: int


def parse_line(line: str) -> Request | None:
    """One request, or None for a line that is not in the combined format (rotated-log headers,
    truncated writes, health-check noise); callers skip those."""
    match = LINE_RE.match(line)
    size = match.group("size")
    return Request(
        ip=match.group("ip"),
        method=match.group("method"),
        path=match.group("path").split("?", 1)[0],
        status=int(match.group("status")),
        size=0 if size == "-" else int(size),
    )


@dataclass
class Summary:
    requests: int
    bytes_sent: int
    errors: int
    top_paths: list[tuple[str, int]]


def summarize(lines: Iterable[str], top: int = 10) -> Summary:
    paths: Counter[str] = Counter()
    requests = bytes_sent = errors = 0
    for line in lines:
        request = parse_line(line)
        if request is None:
            continue
        requests += 1
        bytes_sent += request.size
        if request.status >= 500:
            errors += 1
        paths[request.path] += 1
    return Summary(requests, bytes_sent, errors, paths.most_common(top))
