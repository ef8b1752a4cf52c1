"""Workflow validation scale benchmark. Prints the times measured in this run.

  python bench/validation.py [--sizes 8000,80000] [--limit 120]

A chain of N steps, each depending on the one before and reading it in its template (half prompt
steps reading `steps.PREV.output`, half shell steps quoting `steps.PREV.text`), every step also
reading the first step (a far ancestor). The TOML parse and the validation (build_workflow: keys,
ranges, graph, cycle check, template references and the load-time shell quoting check) are timed
apart, each size in a fresh child process killed after --limit seconds. Bar: linear, i.e. 10x the
steps take about 10x the time (well under 100x).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def chain(size: int) -> str:
    parts = ['name = "chain"\n', '[[steps]]\nname = "s0"\nshell = "echo start"\n']
    for i in range(1, size):
        prev = f"s{i - 1}"
        if i % 2:
            body = f'prompt = "{{{{ steps.{prev}.output }}}} {{{{ steps.s0.success }}}}"\n'
        else:
            body = f"shell = \"printf '%s' {{{{ steps.{prev}.text }}}} {{{{ steps.s0.output }}}}\"\n"
        parts.append(f'[[steps]]\nname = "s{i}"\ndepends_on = ["{prev}"]\n{body}')
    return "".join(parts)


def measure(size: int) -> dict[str, float]:
    """In this process: parse, then validate, the chain of ``size`` steps."""
    sys.path.insert(0, str(ROOT))
    from lok_action.tomlload import parse_toml
    from lok_action.workflow.model import build_workflow

    text = chain(size)
    started = time.perf_counter()
    data = parse_toml(text, "chain.toml")
    parsed = time.perf_counter()
    workflow = build_workflow(data, "chain.toml")
    validated = time.perf_counter()
    assert len(workflow.steps) == size
    return {"parse": parsed - started, "validate": validated - parsed}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="8000,80000", help="comma-separated step counts")
    parser.add_argument("--limit", type=float, default=120, help="seconds before a size is given up")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child)))
        return 0
    results: dict[int, dict[str, float]] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(size)],
                capture_output=True,
                text=True,
                timeout=args.limit,
                check=True,
            )
        except subprocess.TimeoutExpired:
            print(f"{size:>7} steps: validation did not finish within {args.limit:g} s")
            continue
        times = json.loads(done.stdout)
        results[size] = times
        print(f"{size:>7} steps: parse {times['parse']:7.2f} s   validate {times['validate']:7.2f} s")
    sizes = sorted(results)
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        ratio = results[big]["validate"] / max(results[small]["validate"], 1e-9)
        print(f"validate {big} / {small} steps: {ratio:.1f}x for {big / small:g}x the steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
