"""Context and merge scale benchmark. Prints figures and ratios to the bars, measured in this run.

  python bench/scale.py [--files 20000] [--mb 200] [--shards 4] [--no-git] [--keep DIR]

1. A generated repository of 20,000 files (200 MB; plus some binary, vendored, generated and
   oversized files) in a tmp git repo. Context collection (git ls-files + reading + skip rules)
   and chunk planning for the three budget kinds (CLI agent 400k, HTTP 24k, local 3k x 4 chunks),
   measured in a fresh child process. Bars: < 10 s and < 500 MB peak RSS (ru_maxrss of the child).
   Rendering every 24k chunk's text (what a run sends) is timed separately, one chunk at a time.
2. Merging 10,000 findings from three backends (same problems, different wording, lines jittered).
   Bar: < 1 s.
3. --shards N: N shard collections cover every file exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lok_action.backends.registry import kind_spec  # noqa: E402
from lok_action.context.chunks import (  # noqa: E402
    plan_chunks,
)
from lok_action.context.files import collect_files  # noqa: E402
from lok_action.context.shards import Shard  # noqa: E402
from lok_action.findings.merge import merge_findings  # noqa: E402
from lok_action.findings.model import Finding  # noqa: E402

WORDS = [
    "value",
    "total",
    "count",
    "index",
    "result",
    "buffer",
    "offset",
    "record",
    "handler",
    "request",
    "response",
    "cache",
]


def generate(root: Path, files: int, megabytes: int, use_git: bool) -> None:
    """``files`` Python-ish files totalling ``megabytes`` MB in 100 directories, plus skip bait."""
    rng = random.Random(7)
    per_file = megabytes * 1024 * 1024 // files
    lines = [
        f"    {rng.choice(WORDS)}_{n} = compute_{rng.choice(WORDS)}({rng.choice(WORDS)}, {n})  # step {n}\n"
        for n in range(4000)
    ]
    for index in range(files):
        folder = root / f"pkg{index % 100:03d}"
        folder.mkdir(exist_ok=True)
        body, size, offset = [f"def function_{index}():\n"], 0, index % 1000
        while size < per_file:
            line = lines[(offset + len(body)) % len(lines)]
            body.append(line)
            size += len(line)
        (folder / f"module_{index:05d}.py").write_text("".join(body))
    (root / "node_modules" / "dep").mkdir(parents=True)
    for index in range(50):
        (root / "node_modules" / "dep" / f"x{index}.js").write_text("module.exports = 1\n")
        (root / f"image{index}.png").write_bytes(b"\x89PNG\0\0" + os.urandom(2000))
    (root / "package-lock.json").write_text("{}\n")
    (root / "huge.sql").write_text("insert into t values (1);\n" * 40_000)
    if use_git:
        env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b")
        env["GIT_COMMITTER_EMAIL"] = "b@x"
        for argv in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "bench"]):
            subprocess.run(argv, cwd=root, env=env, check=True)


def measure(root: Path) -> dict[str, float]:
    """Runs in a fresh child process so ru_maxrss is this work's peak, not the generator's."""
    started = time.perf_counter()
    coverage = collect_files(root)
    collected = time.perf_counter()
    # the budgets the kinds declare: a CLI agent, an HTTP model, the embedded model
    plans = {
        "agent": plan_chunks(coverage, *kind_spec("codex").budget()),
        "http": plan_chunks(coverage, *kind_spec("ollama").budget()),
        "local": plan_chunks(coverage, *kind_spec("local").budget()),
    }
    planned = time.perf_counter()
    peak_context = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    render_started = time.perf_counter()
    rendered = 0
    for chunk in plans["http"].chunks:
        rendered += len(chunk.text)
        del chunk.__dict__["text"]  # drop the cached text: measure producing it, not holding all of it
    render_done = time.perf_counter()
    return {
        "files": len(coverage.files),
        "skipped": len(coverage.skipped),
        "bytes": sum(source.size for source in coverage.files),
        "collect_s": collected - started,
        "plan_s": planned - collected,
        "context_s": planned - started,
        "peak_mb": peak_context,
        "agent_chunks": len(plans["agent"].chunks),
        "http_chunks": len(plans["http"].chunks),
        "local_chunks": len(plans["local"].chunks),
        "local_over_budget": len(plans["local"].over_budget),
        "render_s": render_done - render_started,
        "rendered_mb": rendered / 1024 / 1024,
        "peak_after_render_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def merge_bench(count: int) -> tuple[float, int]:
    rng = random.Random(11)
    problems = count // 3 + 1
    findings: list[Finding] = []
    titles = [
        "Division by zero in {f}",
        "Possible None dereference of {f}",
        "Unclosed file in {f}",
        "Quadratic loop in {f}",
    ]
    for problem in range(problems):
        path = f"pkg{problem % 100:03d}/module_{problem % 700:05d}.py"
        line = 10 + (problem * 37) % 900
        title = titles[problem % len(titles)].format(f=f"function_{problem}")
        for backend in ("claude", "codex", "gemini"):
            if len(findings) >= count:
                break
            jitter = rng.randint(-2, 2)
            wording = title if backend != "gemini" else "Possible " + title.lower()
            findings.append(
                Finding(
                    f"lok/rule-{problem % 40}",
                    "bug",
                    rng.choice(["high", "medium"]),
                    path,
                    max(1, line + jitter),
                    max(1, line + jitter + 1),
                    wording,
                    explanation="x" * rng.randint(20, 200),
                    backends=[backend],
                    fingerprint=f"{problem:064x}",
                )
            )
    started = time.perf_counter()
    merged = merge_findings(findings, lambda path: ("claude", "codex", "gemini"))
    return time.perf_counter() - started, len(merged)


def shard_check(root: Path, count: int) -> tuple[bool, float]:
    started = time.perf_counter()
    whole = collect_files(root)
    everything = sorted([s.path for s in whole.files] + list(whole.skipped))
    seen: list[str] = []
    for index in range(1, count + 1):
        part = collect_files(root, shard=Shard(index, count))
        seen += [s.path for s in part.files] + list(part.skipped)
    return sorted(seen) == everything and len(seen) == len(set(seen)), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument(
        "--no-git", action="store_true", help="plain directory (gitignore walk) instead of git"
    )
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument("--measure", metavar="DIR", help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure))))
        return

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lok-scale-"))
    try:
        root.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        generate(root, args.files, args.mb, not args.no_git)
        print(
            f"generated {args.files:,} files ({args.mb} MB) in {time.perf_counter() - started:.1f}s at {root}"
        )
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(root)], capture_output=True, text=True, check=True
        )
        figures = json.loads(child.stdout)
        print(
            f"context: {figures['files']:,} files analysed ({figures['bytes'] / 1e6:.0f} MB), "
            f"{figures['skipped']:,} skipped"
        )
        print(
            f"  collection {figures['collect_s']:.2f}s + chunk planning {figures['plan_s']:.2f}s = "
            f"{figures['context_s']:.2f}s   bar 10 s   ratio {figures['context_s'] / 10:.2f}"
        )
        print(
            f"  peak memory {figures['peak_mb']:.0f} MB   bar 500 MB   ratio {figures['peak_mb'] / 500:.2f}"
        )
        print(
            f"  chunks: agent {figures['agent_chunks']:,}, http {figures['http_chunks']:,}, "
            f"local {figures['local_chunks']} (+{figures['local_over_budget']:,} files over its budget)"
        )
        print(
            f"  rendering every http chunk ({figures['rendered_mb']:.0f} MB of numbered text) "
            f"{figures['render_s']:.2f}s, peak after {figures['peak_after_render_mb']:.0f} MB"
        )
        merge_s, merged = merge_bench(args.findings)
        print(
            f"merge: {args.findings:,} findings -> {merged:,} in {merge_s:.3f}s   bar 1 s   ratio {merge_s:.2f}"
        )
        ok, shard_s = shard_check(root, args.shards)
        print(
            f"shards: {args.shards} shards cover every file exactly once: {'yes' if ok else 'NO'} ({shard_s:.1f}s)"
        )
        bars = figures["context_s"] < 10 and figures["peak_mb"] < 500 and merge_s < 1 and ok
        print("all bars met" if bars else "BARS MISSED")
        sys.exit(0 if bars else 1)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
