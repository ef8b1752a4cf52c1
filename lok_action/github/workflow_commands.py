"""GitHub Actions workflow commands (annotations, masks, errors) and the GITHUB_OUTPUT file.

Escaping follows the runner (actions/toolkit command.ts): message data escapes % CR LF; property
values additionally escape ':' and ','.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from lok_action.findings.model import Finding

SEVERITY_LEVEL = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "notice",
    "info": "notice",
}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, properties: Mapping[str, object] | None = None) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in (properties or {}).items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def annotation(finding: Finding) -> str:
    properties: dict[str, object] = {"file": finding.file, "line": finding.start_line}
    if finding.end_line > finding.start_line:
        properties["endLine"] = finding.end_line
    properties["title"] = f"[{finding.severity}] {finding.title}"
    message = finding.explanation or finding.title
    if finding.backends:
        message += f"\n(reported by {', '.join(finding.backends)})"
    return command(SEVERITY_LEVEL.get(finding.severity, "warning"), message, properties)


def write_annotations(findings: list[Finding], stream: TextIO, limit: int = 50) -> None:
    """GitHub shows at most 10 annotations of each level per step and 50 per job; print the worst first."""
    for finding in findings[:limit]:
        print(annotation(finding), file=stream)


def add_mask(value: str, stream: TextIO) -> None:
    for line in value.splitlines():  # the runner masks line by line
        if line.strip():
            print(f"::add-mask::{line}", file=stream)


def error(message: str, stream: TextIO) -> None:
    print(command("error", message), file=stream)


def output_block(name: str, value: str) -> str:
    """One `name<<DELIMITER` block; the delimiter is random and checked not to occur in the value."""
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    while delimiter in value:
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def append_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append to GITHUB_OUTPUT (the runner creates the file; other steps' lines must stay)."""
    with path.open("a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            handle.write(output_block(name, value))
