"""Hidden HTML markers that let a re-run find what an earlier run posted."""

from __future__ import annotations

import re

REPORT_MARKER = "<!-- lok:report -->"
FINGERPRINT_PATTERN = re.compile(r"<!-- lok-fingerprint: ([\w.:-]+) -->")


def fingerprint_marker(fingerprint: str) -> str:
    return f"<!-- lok-fingerprint: {fingerprint} -->"


def fingerprints_in(text: str | None) -> set[str]:
    return set(FINGERPRINT_PATTERN.findall(text or ""))


def finding_key(fingerprint: str, file: str, rule_id: str, start_line: int) -> str:
    """The fingerprint, or a stand-in when a finding has none (never empty, so dedup still works)."""
    return fingerprint or f"{file}:{rule_id}:{start_line}"


FILE_PATTERN = re.compile(r"<!-- lok-file: (.+?) -->")


def file_marker(path: str) -> str:
    """The file a finding issue is about, so a later run that analysed that file may close it."""
    return f"<!-- lok-file: {path.replace('-->', '--&gt;')} -->"


def file_in(text: str | None) -> str | None:
    found = FILE_PATTERN.search(text or "")
    return found.group(1).replace("--&gt;", "-->") if found else None
