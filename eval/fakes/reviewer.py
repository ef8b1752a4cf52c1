"""A deterministic fake reviewer for the shipped corpus: a `command` backend (prompt on stdin, answer
on stdout) whose answers are known by construction, so `lok eval` over the recorded cassettes must
print figures a test can compute from these rules and the corpus labels alone.

    python3 eval/fakes/reviewer.py NAME --corpus eval/corpus [claude's flags: -p --output-format json ...]

Configured as `kind = "claude"` (eval/fakes/lok.toml): given claude's `--output-format json` it
prints its answer the way `claude -p --output-format json` does, with usage and a cost, so `lok eval`
shows tokens and cost (a token is 4 characters; the prices per million tokens are made up, one per
reviewer, in PRICES).

The fake is an oracle: it reads the corpus's expected.toml files (a real backend never sees them)
and finds in its prompt the labelled problems whose evidence stands on a numbered line of the
labelled range ("visible" problems). It tells the prompts apart by their own words:
- a challenge-round prompt (lok_action/findings/challenge.py: it opens with CHALLENGE_MARK) gets a
  verdict;
- a findings prompt (it asks for '{"findings"') whose first paragraph mentions bugs gets findings:
  the one-pass hunt (its "- bugs:" line), hunt --depth thorough's first pass, diff, review-pr;
- any other findings prompt (thorough's performance and dead-code passes) gets {"findings": []}, so
  a problem is reported once per run whatever the depth.

Rules (the test, tests/test_eval_command.py, computes its expected figures from these):
- alpha: every visible problem in a .py file, at its labelled lines. Decoy: each shown .py file
  with no visible problem gets one finding at its first shown line.
- beta: every visible problem in a .js or .ts file, at its labelled lines. Decoy: each shown .go or
  .ts file with no visible problem gets one finding at its first shown line.
- gamma: a visible problem whose start_line is a multiple of 3 is reported "far" in a files prompt
  (6 lines below its end when that line exists, else 6 above its start, else not at all) and not
  at all in a diff prompt; any other visible problem with an even start_line is reported 2 lines
  off (below, or above when below is past the shown lines); the rest are missed. Decoy: the same as
  alpha's (same line, same words: the two merge into one finding of agreement 2).
- verdicts (the challenge round's "- file: F, lines A-B" and quoted code): alpha and beta confirm
  when F holds a labelled problem whose evidence is in the quoted code and whose lines, widened by
  3 on each side (the matching tolerance of eval/README.md), overlap A-B; else they refute. gamma
  always answers unsure. So a verifier here judges as the scorer does: a perfect one.
Findings about one problem use the problem's own description as title, so the merge joins them.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

HEADER = re.compile(r"^### FILE (\S+) \((.*)\)\s*$")
NUMBERED = re.compile(r"^\s*(\d+)\| ?(.*)$")
PRICES = {"alpha": (3.0, 15.0), "beta": (1.0, 5.0), "gamma": (0.25, 1.25)}  # USD per 1M in, out
CHALLENGE_MARK = "You are checking one reported problem in source code"
REPORTED = re.compile(r"^- file: (.+), lines (\d+)-(\d+)\s*$", re.MULTILINE)
TOLERANCE = 3  # eval/README.md's matching tolerance
DECOY_TITLE = "Module-level setup runs on import"
DECOY_TEXT = "Setup at the top of the module runs on every import and cannot be configured by callers."


@dataclass(frozen=True)
class Problem:
    file: str
    start: int
    end: int
    category: str
    severity: str
    kind: str
    description: str
    evidence: str


def labels(corpus: Path) -> list[Problem]:
    found = []
    for expected in sorted(corpus.glob("*/expected.toml")):
        data = tomllib.loads(expected.read_text(encoding="utf-8"))
        for item in data.get("problems", []):
            found.append(
                Problem(
                    item["file"],
                    item["start_line"],
                    item["end_line"],
                    item["category"],
                    item["severity"],
                    item["kind"],
                    item["description"],
                    item["evidence"],
                )
            )
    return found


def shown_lines(prompt: str) -> tuple[dict[str, dict[int, str]], bool]:
    """file -> line number -> code, for every numbered line in the prompt; and whether it is a diff."""
    shown: dict[str, dict[int, str]] = {}
    current, diff = "", False
    for line in prompt.splitlines():
        header = HEADER.match(line)
        if header:
            current = header.group(1)
            diff = diff or header.group(2) == "changes"
            shown.setdefault(current, {})
            continue
        numbered = NUMBERED.match(line)
        if numbered and current:
            code = numbered.group(2)
            if diff:
                code = code[1:]  # the diff's "+" or " " before the line
            shown[current][int(numbered.group(1))] = code
    return shown, diff


def visible(problems: list[Problem], shown: dict[str, dict[int, str]]) -> list[Problem]:
    return [
        p
        for p in problems
        if any(p.evidence in code for n, code in shown.get(p.file, {}).items() if p.start <= n <= p.end)
    ]


def finding(p: Problem, start: int, end: int, shown: dict[str, dict[int, str]], title: str) -> dict:
    lines = shown[p.file]
    return {
        "rule": p.kind,
        "category": p.category,
        "severity": p.severity,
        "file": p.file,
        "start_line": start,
        "end_line": end,
        "title": title,
        "explanation": p.description,
        "evidence": lines.get(start, ""),
        "suggested_fix": None,
    }


def decoy(path: str, shown: dict[str, dict[int, str]]) -> dict:
    first = min(shown[path])
    return {
        "rule": "import-time-setup",
        "category": "style",
        "severity": "low",
        "file": path,
        "start_line": first,
        "end_line": first,
        "title": DECOY_TITLE,
        "explanation": DECOY_TEXT,
        "evidence": shown[path][first],
        "suggested_fix": None,
    }


def gamma_finding(p: Problem, shown: dict[str, dict[int, str]], diff: bool) -> dict | None:
    lines = shown[p.file]
    if p.start % 3 == 0:
        if diff:
            return None
        if p.end + 6 in lines:
            return finding(p, p.end + 6, p.end + 6, shown, f"Unrelated concern near {p.kind}")
        if p.start - 6 in lines:
            return finding(p, p.start - 6, p.start - 6, shown, f"Unrelated concern near {p.kind}")
        return None
    if p.start % 2 == 0:
        if p.end + 2 in lines:
            return finding(p, p.start + 2, p.end + 2, shown, p.description)
        if p.start - 2 in lines:
            return finding(p, p.start - 2, p.end - 2, shown, p.description)
    return None


def findings_for(name: str, prompt: str, problems: list[Problem]) -> list[dict]:
    shown, diff = shown_lines(prompt)
    seen = visible(problems, shown)
    with_problem = {p.file for p in seen}
    out: list[dict] = []
    if name == "alpha":
        out += [finding(p, p.start, p.end, shown, p.description) for p in seen if p.file.endswith(".py")]
        decoys = [f for f in shown if f.endswith(".py") and f not in with_problem and shown[f]]
    elif name == "beta":
        out += [
            finding(p, p.start, p.end, shown, p.description) for p in seen if p.file.endswith((".js", ".ts"))
        ]
        decoys = [f for f in shown if f.endswith((".go", ".ts")) and f not in with_problem and shown[f]]
    elif name == "gamma":
        out += [item for item in (gamma_finding(p, shown, diff) for p in seen) if item is not None]
        decoys = [f for f in shown if f.endswith(".py") and f not in with_problem and shown[f]]
    else:
        raise SystemExit(f"reviewer: unknown name {name!r} (alpha, beta or gamma)")
    return out + [decoy(path, shown) for path in decoys]


def verdict(name: str, prompt: str, problems: list[Problem]) -> dict:
    if name == "gamma":
        return {"verdict": "unsure", "reason": "gamma never takes sides"}
    reported = REPORTED.search(prompt)
    if reported is not None:
        path, start, end = reported.group(1), int(reported.group(2)), int(reported.group(3))
        for p in problems:
            near = start <= p.end + TOLERANCE and end >= p.start - TOLERANCE
            if p.file == path and near and p.evidence in prompt:
                return {"verdict": "confirm", "reason": "the labelled defect is on the reported lines"}
    return {"verdict": "refute", "reason": "no labelled defect on the reported lines"}


def asks_for_bugs(prompt: str) -> bool:
    """A findings prompt whose first paragraph asks for bugs (see the module docstring)."""
    first_paragraph = prompt.strip().split("\n\n", 1)[0]
    return '{"findings"' in prompt and "bug" in first_paragraph.lower()


def answer(name: str, prompt: str, problems: list[Problem]) -> str:
    if prompt.lstrip().startswith(CHALLENGE_MARK):
        return json.dumps(verdict(name, prompt, problems))
    if not asks_for_bugs(prompt):
        return json.dumps({"findings": []})
    return json.dumps({"findings": findings_for(name, prompt, problems)})


def as_claude(name: str, prompt: str, text: str) -> str:
    """The answer as `claude -p --output-format json` prints it."""
    tokens_in, tokens_out = len(prompt) // 4, len(text) // 4
    price_in, price_out = PRICES[name]
    cost = round((tokens_in * price_in + tokens_out * price_out) / 1_000_000, 8)
    usage = {"input_tokens": tokens_in, "output_tokens": tokens_out}
    return json.dumps({"type": "result", "result": text, "total_cost_usd": cost, "usage": usage})


def main() -> None:
    name = sys.argv[1]
    corpus = Path(sys.argv[sys.argv.index("--corpus") + 1]) if "--corpus" in sys.argv else Path("eval/corpus")
    prompt = sys.stdin.read()
    text = answer(name, prompt, labels(corpus))
    sys.stdout.write((as_claude(name, prompt, text) if "--output-format" in sys.argv else text) + "\n")


if __name__ == "__main__":
    main()
