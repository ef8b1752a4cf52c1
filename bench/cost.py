"""Cost benchmark for `lok hunt` (issue 14): what the default hunt sends, against what --plan said.

Three `command` backends that record every prompt they are given (tests/fakes/recording_backend.py)
hunt a directory (default: this repository) with the default depth, then with `--depth thorough`.
Printed, measured in this run:
  - prompt characters per analysed byte, per backend (bar: <= 1.15 for the default hunt);
  - --plan's prompt characters and calls against what the run then sent (bar: within 5%);
  - a hunt with --max-cost at half the plan's estimate: its spend against the budget (bar: at or
    under), the files it lists as not analysed, and its exit code (3).

Run: python bench/cost.py [DIR]
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

BACKENDS = ("rec_a", "rec_b", "rec_c")
REPO_ROOT = Path(__file__).resolve().parents[1]
RECORDER = REPO_ROOT / "tests" / "fakes" / "recording_backend.py"
CHARS_BAR = 1.15
PLAN_BAR = 0.05


def config(log: Path) -> str:
    tables = []
    for name in BACKENDS:
        command = " ".join(shlex.quote(part) for part in (sys.executable, str(RECORDER), str(log), name))
        tables.append(
            f'[backends.{name}]\nkind = "command"\ncommand = {json.dumps(command)}\nprice_in = 3.0\n'
        )
    return "\n".join(tables)


def lok(target: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "lok_action", "hunt", str(target), "-b", ",".join(BACKENDS), *args]
    return subprocess.run(argv, cwd=target, env=env, capture_output=True, text=True, timeout=1800)


def measure(target: Path, work: Path, env: dict[str, str], depth: str) -> bool:
    log = work / f"prompts-{depth}.jsonl"
    lok_toml = work / f"lok-{depth}.toml"
    lok_toml.write_text(config(log), encoding="utf-8")
    common = ("--config", str(lok_toml), "--depth", depth, "--json", "--no-cache", "-q")
    planned = lok(target, env, *common, "--plan")
    if planned.returncode != 0:
        sys.exit(f"lok hunt --plan failed ({planned.returncode}): {planned.stderr.strip()}")
    plan = json.loads(planned.stdout)
    ran = lok(target, env, *common)
    if ran.returncode not in (0, 1):
        sys.exit(f"lok hunt failed ({ran.returncode}): {ran.stderr.strip()}")
    report = json.loads(ran.stdout)
    analysed = report["coverage"]["analysed"]
    analysed_bytes = sum((target / path).stat().st_size for path in analysed)
    sent: dict[str, list[int]] = {name: [] for name in BACKENDS}
    for line in log.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        sent[record["backend"]].append(record["chars"])
    print(f"\n--depth {depth}: {len(analysed)} files analysed, {analysed_bytes:,} bytes")
    ok = True
    planned_rows = {row["name"]: row for row in plan["backends"]}
    for name in BACKENDS:
        chars = sum(sent[name])
        ratio = chars / analysed_bytes if analysed_bytes else 0.0
        row = planned_rows[name]
        error = abs(row["prompt_chars"] - chars) / chars if chars else 1.0
        print(
            f"  {name}: {len(sent[name])} prompts, {chars:,} chars = {ratio:.3f} chars per analysed byte;"
            f" plan said {row['calls']} calls, {row['prompt_chars']:,} chars (off by {error:.2%})"
        )
        ok = ok and error <= PLAN_BAR and row["calls"] == len(sent[name])
        if depth == "quick":
            ok = ok and ratio <= CHARS_BAR
    print(f"  plan: estimated ${plan['estimated_cost_usd']:.4f} at $3 per million prompt tokens")
    if depth == "quick":
        ok = budget_stop(target, env, common, plan["estimated_cost_usd"] / 2) and ok
    return ok


def budget_stop(target: Path, env: dict[str, str], common: tuple[str, ...], budget: float) -> bool:
    ran = lok(target, env, *common, "--max-cost", f"{budget:.6f}")
    report = json.loads(ran.stdout)
    spent = report["summary"]["cost_usd"] or 0.0
    skipped = report["coverage"]["skipped"]
    unanalysed = [path for path, why in skipped.items() if why == "not analysed: cost budget reached"]
    print(
        f"  --max-cost {budget:.4f} (half the plan): spent ${spent:.4f}, exit {ran.returncode},"
        f" {len(report['coverage']['analysed'])} files analysed, {len(unanalysed)} listed as not analysed"
        f" (cost budget reached)"
    )
    return spent <= budget and ran.returncode == 3 and bool(unanalysed)


def main() -> int:
    target = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else REPO_ROOT
    with tempfile.TemporaryDirectory(prefix="lok-bench-cost-") as tmp:
        work = Path(tmp)
        env = dict(os.environ)
        env.update(
            HOME=str(work / "home"), XDG_CONFIG_HOME=str(work / "config"), XDG_CACHE_HOME=str(work / "cache")
        )
        env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        quick = measure(target, work, env, "quick")
        measure(target, work, env, "thorough")
    print(
        f"\nbars: default hunt <= {CHARS_BAR} chars per analysed byte per backend, plan within"
        f" {PLAN_BAR:.0%} of what was sent: {'met' if quick else 'NOT met'}"
    )
    return 0 if quick else 1


if __name__ == "__main__":
    sys.exit(main())
