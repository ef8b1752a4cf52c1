"""A `command` backend that records what it is sent: one JSON line per prompt appended to LOG,
{"backend", "chars", "files"}, and answers a finding for every numbered line that divides by a literal
zero ("/ 0"), so a change that removes it removes the finding.

    python3 recording_backend.py LOG NAME [FIX]

With FIX, every finding proposes FIX as its suggested fix (model-written text lok must not trust).
"""

from __future__ import annotations

import json
import re
import sys

HEADER = re.compile(r"^### FILE (\S+) \(")
NUMBERED = re.compile(r"^\s*(\d+)\| (.*)$")


def main() -> None:
    log, name = sys.argv[1], sys.argv[2]
    fix = sys.argv[3] if len(sys.argv) > 3 else None
    prompt = sys.stdin.read()
    files: list[str] = []
    findings = []
    current = ""
    for line in prompt.splitlines():
        header = HEADER.match(line)
        if header:
            current = header.group(1)
            files.append(current)
            continue
        numbered = NUMBERED.match(line)
        if numbered and current and re.search(r"/ 0\b", numbered.group(2)):
            number = int(numbered.group(1))
            findings.append(
                {
                    "rule": "division-by-zero",
                    "category": "bug",
                    "severity": "high",
                    "file": current,
                    "start_line": number,
                    "end_line": number,
                    "title": "Division by a literal zero",
                    "explanation": "This always raises ZeroDivisionError.",
                    "evidence": numbered.group(2),
                    "suggested_fix": fix,
                }
            )
    with open(log, "a", encoding="utf-8") as out:
        out.write(json.dumps({"backend": name, "chars": len(prompt), "files": sorted(set(files))}) + "\n")
    sys.stdout.write(json.dumps({"findings": findings}))


if __name__ == "__main__":
    main()
