"""What a pull request review leaves for the next one, in the lok comment's hidden markers: the head it
reviewed and its findings. The next review reads them back (lok_action.github.pr_data) and asks the
compare API what changed since that head."""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Sequence
from typing import Any

from lok_action.findings.carry import EarlierReview
from lok_action.findings.model import Finding
from lok_action.github.client import RepoHandle
from lok_action.github.markers import (
    FINDINGS_STATE_PATTERN,
    REPORT_MARKER,
    REVIEWED_HEAD_PATTERN,
    findings_state_marker,
    reviewed_head_marker,
)

STATE_LIMIT = 20_000  # characters of encoded findings the lok comment may spend (GitHub caps it at 65,536)
TEXT_LIMIT = 600  # a kept explanation or fix is cut to this; the inline comment has it whole


def encode_findings(findings: Sequence[Finding]) -> str:
    """The findings, compact; without explanations and fixes when that is what it takes to fit, and
    "" when even that is too much (the next review is then a full one)."""
    for limit in (TEXT_LIMIT, 0):
        data = [_kept(finding.to_dict(), limit) for finding in findings]
        packed = zlib.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), 9)
        encoded = base64.b64encode(packed).decode("ascii")
        if len(encoded) <= STATE_LIMIT:
            return encoded
    return ""


def _kept(data: dict[str, Any], limit: int) -> dict[str, Any]:
    for key in ("explanation", "suggested_fix", "evidence"):
        text = str(data.get(key) or "")
        data[key] = text[:limit] + ("…" if len(text) > limit else "") if limit else ""
    return data


def decode_findings(encoded: str) -> list[Finding] | None:
    """The findings ``encode_findings`` packed; None when they cannot be read."""
    try:
        data = json.loads(zlib.decompress(base64.b64decode(encoded, validate=True)))
        return [Finding.from_dict(item, f"findings[{index}].") for index, item in enumerate(data)]
    except (binascii.Error, zlib.error, ValueError, TypeError, LookupError):  # FieldError is a ValueError
        return None


def state_markers(head: str, findings: Sequence[Finding]) -> str:
    """The markers a review's lok comment carries ("" without a head: nothing to start from)."""
    if not head:
        return ""
    encoded = encode_findings(findings)
    return reviewed_head_marker(head) + (f"\n{findings_state_marker(encoded)}" if encoded else "")


def read_state(text: str | None) -> tuple[str, list[Finding]] | None:
    """(reviewed head, its findings) from a lok comment, or None when it has no usable state.

    The markers are read only where lok writes them: the lines right after its report marker, before
    any model-written text. A marker further down (in a suggested fix, a quoted answer) is someone's
    text, never the state, even when lok kept none (it was too large)."""
    head_line, findings_line = (_state_lines(text) + ["", ""])[:2]
    head = REVIEWED_HEAD_PATTERN.fullmatch(head_line)
    kept = FINDINGS_STATE_PATTERN.fullmatch(findings_line)
    findings = decode_findings(kept.group(1)) if kept else None
    return (head.group(1), findings) if head and findings is not None else None


def _state_lines(text: str | None) -> list[str]:
    """The two lines after the report marker that opens lok's comment (blank lines between skipped)."""
    lines = [line.strip() for line in (text or "").strip().splitlines()]
    if not lines or lines[0] != REPORT_MARKER:
        return []
    rest = lines[1:]
    while rest and not rest[0]:
        rest.pop(0)
    return rest[:2]


COMPARE_FILE_LIMIT = 300  # the compare API lists at most 300 files: past that, review everything


def earlier_review(handle: RepoHandle, number: int, head: str) -> EarlierReview | None:
    """The last review of the pull request (from lok's comment) and what changed since its head: the
    compare API's files when the new head descends from it, else a full review saying why."""
    from lok_action.github.comment import latest_lok_comment

    comment = latest_lok_comment(handle, handle.repo().get_issue(number))
    state = read_state(comment.body) if comment is not None else None
    if state is None:
        return None
    since, findings = state
    kept = tuple(findings)
    if since == head:
        return EarlierReview(since, kept, frozenset())
    compared = _compare(handle, since, head) or {}
    if compared.get("status") not in ("ahead", "identical"):
        why = f"the last reviewed head {since[:7]} is not an ancestor of {head[:7]} (force-push)"
        return EarlierReview(since, kept, None, full_reason=why)
    files = list(compared.get("files") or [])
    if len(files) >= COMPARE_FILE_LIMIT:
        why = f"{COMPARE_FILE_LIMIT} or more files changed since {since[:7]}"
        return EarlierReview(since, kept, None, full_reason=why)
    changed: set[str] = set()
    patches: list[str] = []
    for item in files:
        path = str(item.get("filename") or "")
        changed |= {path, str(item.get("previous_filename") or path)}
        if item.get("patch"):
            patches.append(f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n{item['patch']}\n")
    return EarlierReview(since, kept, frozenset(changed), "".join(patches))


def _compare(handle: RepoHandle, base: str, head: str) -> dict[str, Any] | None:
    """GET /compare/BASE...HEAD; None when GitHub no longer knows BASE (a force-push that dropped it)."""
    from github import GithubException

    try:
        answer = handle.request_json("GET", f"/repos/{handle.full_name}/compare/{base}...{head}")
    except GithubException as error:
        if error.status in (404, 422):
            return None
        raise
    return answer if isinstance(answer, dict) else None
