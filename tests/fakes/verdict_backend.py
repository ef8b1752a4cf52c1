"""A `command` backend for the evidence and challenge-round tests: reads the prompt on stdin and answers
by its content, as a model would.

    python3 verdict_backend.py ROLE [LOG]

To a bug-hunting prompt (hunt's one pass, its thorough "errors" pass, diff; other findings prompts
get no findings):
- reporter: a true finding (the division by zero on the line holding "/ len(") and a false one
  ("Bogus: ..." on the line holding "max(values)"), each quoting its line;
- shifted: the true finding with its line numbers 7 too high, its quote right;
- invented: a finding quoting code the file does not hold;
- critical: a critical finding ("Critical: ...") on the line holding "max(values)", quoting it;
- unquoted: the true finding with no quote at all.
To a verification prompt ("You are checking one reported problem"):
- judge: confirms a title with "Division" or "Critical", refutes one with "Bogus";
- refute-all: refutes everything; every other role: unsure.
With LOG, each prompt is appended to it as one JSON line: {"role", "kind": "verify"|"findings", "chars"}.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from finding_backend import numbered_lines  # noqa: E402

VERIFY_MARK = "You are checking one reported problem"
TITLE = re.compile(r"^- title: (.*)$", re.M)


def finding(path: str, line: int, code: str, title: str, severity: str = "high", **extra: object) -> dict:
    return {
        "rule": re.sub(r"[^a-z]+", "-", title.lower()).strip("-")[:40],
        "category": "bug",
        "severity": severity,
        "file": path,
        "start_line": line,
        "end_line": line,
        "title": title,
        "explanation": f"{title}: explained.",
        "evidence": code,
        "suggested_fix": None,
        **extra,
    }


def findings(role: str, prompt: str) -> list[dict]:
    # hunt's one pass ("- bugs:"), its --depth thorough "errors" pass, diff: the prompts that ask for bugs
    asks = ("reviewing source code for bugs", "\n- bugs:", "reviewing a code change")
    if not any(text in prompt for text in asks):
        return []
    found = []
    for path, number, code in numbered_lines(prompt):
        if "/ len(" in code:
            if role == "reporter":
                found.append(finding(path, number, code, "Division by zero in average() on an empty list"))
            elif role == "shifted":
                found.append(
                    finding(path, number + 7, code, "Division by zero in average() on an empty list")
                )
            elif role == "unquoted":
                found.append(finding(path, number, "", "Division by zero in average() on an empty list"))
            elif role == "invented":
                found.append(
                    finding(path, number, "    return os.system(values)", "Shell injection in average()")
                )
        if "max(values)" in code:
            if role == "reporter":
                found.append(finding(path, number, code, "Bogus: spread() leaks a file handle", "medium"))
            elif role == "critical":
                found.append(finding(path, number, code, "Critical: spread() corrupts memory", "critical"))
    return found


def verdict(role: str, prompt: str) -> dict:
    match = TITLE.search(prompt)
    title = match.group(1) if match else ""
    if role == "refute-all":
        return {"verdict": "refute", "reason": "not a problem"}
    if role == "judge":
        if "Division" in title or "Critical" in title:
            return {"verdict": "confirm", "reason": "the code does that"}
        if "Bogus" in title:
            return {"verdict": "refute", "reason": "no file is opened there"}
    return {"verdict": "unsure", "reason": "cannot tell"}


def main() -> None:
    role = sys.argv[1]
    prompt = sys.stdin.read()
    verifying = VERIFY_MARK in prompt
    if len(sys.argv) > 2:
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(
                json.dumps(
                    {"role": role, "kind": "verify" if verifying else "findings", "chars": len(prompt)}
                )
                + "\n"
            )
    answer = verdict(role, prompt) if verifying else {"findings": findings(role, prompt)}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
