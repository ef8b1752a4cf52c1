"""A `command` backend for analysis tests: reads the prompt on stdin, answers JSON findings.

    python3 finding_backend.py STYLE

Styles a, b and c report the same division-by-zero bug (the line holding "/ len(") in different
words and with line numbers a little off, as three real models would. Style a also reports a
singleton (an unused import). "garbage" answers prose, "malformed" answers JSON whose findings are
invalid, "empty" answers no findings, "fail" exits 1, "half" answers like "a" except prose to
the performance prompt.
"""

from __future__ import annotations

import json
import re
import sys

HEADER = re.compile(r"^### FILE (\S+) \(")
NUMBERED = re.compile(r"^\s*(\d+)\| (.*)$")

WORDING = {
    "a": ("division-by-zero", "high", 0, "Division by zero in average() when the list is empty"),
    "b": ("zero-division", "high", 2, "ZeroDivisionError: average of an empty list"),
    "c": ("divide-by-zero", "medium", -1, "Possible divide by zero when values is empty"),
}


def numbered_lines(prompt: str) -> list[tuple[str, int, str]]:
    """(file, line number, code) for every numbered line in the prompt's chunk."""
    found, current = [], ""
    for line in prompt.splitlines():
        header = HEADER.match(line)
        if header:
            current = header.group(1)
            continue
        numbered = NUMBERED.match(line)
        if numbered and current:
            found.append((current, int(numbered.group(1)), numbered.group(2)))
    return found


def answer(style: str, prompt: str) -> str:
    lines = numbered_lines(prompt)
    findings = []
    if style in WORDING and (
        "reviewing source code for bugs" in prompt
        or "reviewing source code for real problems" in prompt
        or "reviewing a code change" in prompt
    ):
        rule, severity, offset, title = WORDING[style]
        for path, number, code in lines:
            if "/ len(" in code:
                findings.append(
                    {
                        "rule": rule,
                        "category": "bug",
                        "severity": severity,
                        "file": path,
                        "start_line": max(1, number + offset),
                        "end_line": max(1, number + offset) + (1 if style == "b" else 0),
                        "title": title,
                        "explanation": f"{style}: the divisor len(values) is zero for an empty list."
                        + (
                            " Callers pass user input straight in, so an empty request crashes."
                            if style == "a"
                            else ""
                        ),
                        "suggested_fix": "return total / len(values) if values else 0.0"
                        if style == "a"
                        else "",
                    }
                )
    if style == "a" and "dead code" in prompt:
        for path, number, code in lines:
            if code.startswith("import os"):
                findings.append(
                    {
                        "rule": "unused-import",
                        "category": "dead-code",
                        "severity": "low",
                        "file": path,
                        "start_line": number,
                        "title": "Unused import os",
                        "explanation": "os is imported but never used.",
                    }
                )
    if style == "half":
        if "performance problems" in prompt:
            return "Looks fast enough to me."
        return answer("a", prompt)
    if style == "garbage":
        return "I looked at the code and it seems mostly fine!!! {not json at all"
    if style == "malformed":
        path = lines[0][0] if lines else "x.py"
        findings = [
            {
                "rule": "x",
                "category": "bug",
                "severity": "catastrophic",
                "file": path,
                "start_line": 1,
                "title": "bad severity",
            },
            {
                "rule": "y",
                "category": "bug",
                "severity": "high",
                "file": "no/such/file.py",
                "start_line": 1,
                "title": "made-up file",
            },
        ]
    if style == "fail":
        sys.stderr.write("backend exploded\n")
        sys.exit(1)
    return "Here is what I found:\n```json\n" + json.dumps({"findings": findings}, indent=1) + "\n```\n"


def main() -> None:
    style = sys.argv[1]
    prompt = sys.stdin.read()
    sys.stdout.write(answer(style, prompt))


if __name__ == "__main__":
    main()
