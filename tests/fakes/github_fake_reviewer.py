"""A stand-in LLM CLI for the GitHub action tests: prompt on stdin, answer on stdout.

Usage: python3 github_fake_reviewer.py [--claude] NAME FINDINGS_JSON [RECORD_FILE]
A prompt that asks for JSON gets {"findings": [...]}: the FINDINGS_JSON entries whose file the prompt
shows (a `### FILE path` header), or all of them when the prompt has no such header. Any other prompt
gets a short Markdown diagnosis naming the backend. Every prompt is appended to RECORD_FILE
(NUL-separated). A prompt containing FAIL_MARKER fails (exit 1, like a CLI whose call broke). With --claude the answer is wrapped the way `claude -p --output-format json` prints
it, with a cost, so reports can show per-backend cost.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

FILE_HEADER = re.compile(r"^### FILE (\S+) \(", re.MULTILINE)
COST_USD = 0.0125
FAIL_MARKER = "LOK-FAKE-FAIL"


def answer(name: str, prompt: str, findings_file: Path) -> str:
    if "Answer with JSON only" not in prompt:
        return f"### Cause\n{name}: `first_item` indexes an empty list.\n\n### Fix\nReturn None when `items` is empty."
    findings = json.loads(findings_file.read_text())
    shown = set(FILE_HEADER.findall(prompt))
    if shown:  # a real model only reports on the code it was shown
        findings = [item for item in findings if item.get("file") in shown]
    return json.dumps({"findings": findings})


def main() -> int:
    args = sys.argv[1:]
    claude = args[:1] == ["--claude"]
    if claude:
        args = args[1:]
    name, findings_file = args[0], Path(args[1])
    prompt = sys.stdin.read()
    if len(args) > 2:
        with open(args[2], "a", encoding="utf-8") as handle:
            handle.write(f"[{name}]\n{prompt}\0")
    if FAIL_MARKER in prompt:
        print(f"{name}: model overloaded", file=sys.stderr)
        return 1
    text = answer(name, prompt, findings_file)
    if claude:
        usage = {"input_tokens": len(prompt) // 4, "output_tokens": len(text) // 4}
        print(json.dumps({"type": "result", "result": text, "total_cost_usd": COST_USD, "usage": usage}))
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
