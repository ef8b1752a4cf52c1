"""A stand-in LLM CLI for the GitHub action tests: prompt on stdin, answer on stdout.

Usage: python3 github_fake_reviewer.py NAME FINDINGS_JSON [RECORD_FILE]
A prompt that asks for JSON gets {"findings": <FINDINGS_JSON's list>}; any other prompt gets a short
Markdown diagnosis naming the backend. Every prompt is appended to RECORD_FILE (NUL-separated).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> int:
    name, findings_file = sys.argv[1], Path(sys.argv[2])
    prompt = sys.stdin.read()
    if len(sys.argv) > 3:
        with open(sys.argv[3], "a", encoding="utf-8") as handle:
            handle.write(f"[{name}]\n{prompt}\0")
    if "Answer with JSON only" in prompt:
        print(json.dumps({"findings": json.loads(findings_file.read_text())}))
    else:
        print(
            f"### Cause\n{name}: `first_item` indexes an empty list.\n\n### Fix\nReturn None when `items` is empty."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
