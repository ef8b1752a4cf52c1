"""A stand-in static analyzer for `sarif` backend tests: a real program that writes real SARIF 2.1.0.

    python3 fake_analyzer.py MODE [--record FILE] [--report FILE] FILE...

Modes: "flag" flags every line holding "TODO-BUG" (exit 1, as ruff does when it finds something),
"garbage" prints prose, "wrong-version" writes SARIF 2.0.0, "failed-run" says its run failed,
"kill" dies of SIGKILL, "report" writes its SARIF to --report instead of stdout.
--record appends the arguments it got (one JSON list per line) to FILE.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

RULE = {
    "id": "FAKE001",
    "shortDescription": {"text": "seeded bug"},
    "helpUri": "https://example.com/rules/FAKE001",
    "properties": {"tags": ["correctness"]},
}


def results(files: list[str]) -> list[dict]:
    found = []
    for name in files:
        for number, line in enumerate(Path(name).read_text().splitlines(), 1):
            if "TODO-BUG" in line:
                found.append(
                    {
                        "ruleId": "FAKE001",
                        "ruleIndex": 0,
                        "level": "error",
                        "message": {"text": "Seeded bug: TODO-BUG marker in live code"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    # absolute file: URIs, as ruff writes them
                                    "artifactLocation": {"uri": Path(name).resolve().as_uri()},
                                    "region": {"startLine": number, "endLine": number},
                                }
                            }
                        ],
                    }
                )
    return found


def document(files: list[str], version: str = "2.1.0", ok: bool = True) -> dict:
    run = {"tool": {"driver": {"name": "fake", "rules": [RULE]}}, "results": results(files)}
    if not ok:
        run["invocations"] = [
            {
                "executionSuccessful": False,
                "toolExecutionNotifications": [{"message": {"text": "config file is broken"}}],
            }
        ]
    return {"version": version, "runs": [run]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode")
    parser.add_argument("--record")
    parser.add_argument("--report")
    parser.add_argument("files", nargs="*")
    options = parser.parse_intermixed_args()
    if options.record:
        with open(options.record, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(sys.argv[1:]) + "\n")
    mode = options.mode
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "garbage":
        print("all good, nothing to see here")
        return 0
    if mode == "wrong-version":
        print(json.dumps(document(options.files, version="2.0.0")))
        return 0
    if mode == "failed-run":
        print(json.dumps(document(options.files, ok=False)))
        return 0
    text = json.dumps(document(options.files))
    if mode == "report":
        Path(options.report).write_text(text)
    else:
        print(text)
    return 1 if results(options.files) else 0


if __name__ == "__main__":
    raise SystemExit(main())
