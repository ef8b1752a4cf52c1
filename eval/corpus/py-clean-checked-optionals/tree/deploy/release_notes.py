"""Release notes from commit subjects that follow Conventional Commits ("feat(api): add x").

Subjects that do not follow the convention are listed under "Other" rather than dropped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

SUBJECT_RE = re.compile(r"(?P<type>[a-z]+)(?:\((?P<scope>[\w./-]+)\))?(?P<breaking>!)?: (?P<text>.+)")
SECTIONS = {"feat": "Features", "fix": "Fixes", "perf": "Performance"}
OTHER = "Other"


def section_of(subject: str) -> tuple[str, str, bool]:
    """(section title, text for the notes, breaking change?) of one commit subject."""
    match = SUBJECT_RE.fullmatch(subject.strip())
    if match is None:
        return OTHER, subject.strip(), False
    title = SECTIONS.get(match["type"], OTHER)
    scope = match["scope"]
    text = f"**{scope}:** {match['text']}" if scope else match["text"]
    return title, text, match["breaking"] is not None


def render_notes(version: str, subjects: list[str]) -> str:
    sections: dict[str, list[str]] = defaultdict(list)
    breaking: list[str] = []
    for subject in subjects:
        if not subject.strip():
            continue
        title, text, is_breaking = section_of(subject)
        sections[title].append(text)
        if is_breaking:
            breaking.append(text)
    lines = [f"## {version}", ""]
    if breaking:
        lines += ["### Breaking changes", *(f"- {text}" for text in breaking), ""]
    for title in [*SECTIONS.values(), OTHER]:
        if sections.get(title):
            lines += [f"### {title}", *(f"- {text}" for text in sections[title]), ""]
    return "\n".join(lines)


def write_notes(path: Path, version: str, subjects: list[str]) -> None:
    """Prepend this version's notes to the changelog file, creating it when missing. Written to a
    temporary file first, so a failure never leaves a half-written changelog."""
    previous = path.read_text(encoding="utf-8") if path.exists() else ""
    notes = render_notes(version, subjects)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(notes + ("\n" + previous if previous else ""), encoding="utf-8")
    temporary.replace(path)
