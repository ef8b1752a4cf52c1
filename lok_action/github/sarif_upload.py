"""Upload a SARIF file to code scanning (gzip + base64), then poll until GitHub has processed it."""

from __future__ import annotations

import base64
import gzip
import time
from dataclasses import dataclass, field
from pathlib import Path

from lok_action.errors import GitHubError
from lok_action.github.client import RepoHandle

SARIF_UPLOAD_LIMIT = 10 * 1024 * 1024  # GitHub's limit on the gzipped file


@dataclass
class SarifUploadResult:
    sarif_id: str
    status: str  # "complete" | "failed" | "pending" (gave up waiting)
    errors: list[str] = field(default_factory=list)
    analyses_url: str = ""


def encode_sarif(path: Path) -> str:
    packed = gzip.compress(path.read_bytes(), mtime=0)
    if len(packed) > SARIF_UPLOAD_LIMIT:
        raise GitHubError(f"{path}: {len(packed)} bytes gzipped, over code scanning's 10 MB limit")
    return base64.b64encode(packed).decode("ascii")


def upload_sarif(
    handle: RepoHandle,
    path: Path,
    commit_sha: str,
    ref: str,
    poll_interval: float = 2.0,
    timeout: float = 120.0,
) -> SarifUploadResult:
    if not commit_sha or not ref:
        raise GitHubError("SARIF upload needs the commit (GITHUB_SHA) and the ref (GITHUB_REF)")
    body = {"commit_sha": commit_sha, "ref": ref, "sarif": encode_sarif(path), "tool_name": "lok"}
    answer = handle.request_json("POST", f"/repos/{handle.full_name}/code-scanning/sarifs", body)
    sarif_id = str(answer["id"])
    deadline = time.monotonic() + timeout
    status: dict[str, object] = {}
    while True:
        status = handle.request_json("GET", f"/repos/{handle.full_name}/code-scanning/sarifs/{sarif_id}")
        state = str(status.get("processing_status", "pending"))
        if state in ("complete", "failed") or time.monotonic() >= deadline:
            break
        time.sleep(poll_interval)
    errors = [str(e) for e in status.get("errors") or []]  # type: ignore[attr-defined]
    return SarifUploadResult(sarif_id, state, errors, str(status.get("analyses_url") or ""))
