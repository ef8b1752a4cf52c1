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


# The lok comment of a pull request review keeps what the next review starts from: the head it
# reviewed and its findings (zlib-compressed JSON in base64, so no "-->" can end the comment early).
REVIEWED_HEAD_PATTERN = re.compile(r"<!-- lok:reviewed-head ([0-9a-f]{7,64}) -->")
FINDINGS_STATE_PATTERN = re.compile(r"<!-- lok:findings ([A-Za-z0-9+/=]+) -->")


def reviewed_head_marker(sha: str) -> str:
    return f"<!-- lok:reviewed-head {sha} -->"


def findings_state_marker(encoded: str) -> str:
    return f"<!-- lok:findings {encoded} -->"


FILE_PATTERN = re.compile(r"<!-- lok-file: (.+?) -->")


def file_marker(path: str) -> str:
    """The file a finding issue is about, so a later run that analysed that file may close it."""
    return f"<!-- lok-file: {path.replace('-->', '--&gt;')} -->"


def file_in(text: str | None) -> str | None:
    """The file of a finding issue's body: lok writes the marker as the body's first line, so only that
    line is read (model text below it, a fenced suggested fix say, may hold a copy of the marker).
    A body lok wrote before that has its marker as the last line, after all the model's text."""
    lines = (text or "").strip().splitlines()
    for line in lines[:1] + lines[-1:]:
        found = FILE_PATTERN.fullmatch(line.strip())
        if found:
            return found.group(1).replace("--&gt;", "-->")
    return None


# The comment lok closes a finding issue with: an issue closed so may be reopened when the finding is back.
CLOSED_MARKER = "<!-- lok:closed-not-found -->"
