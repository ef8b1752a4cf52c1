"""`lok spawn TASK`: a planner splits the task, each part runs on its best-suited backend, in parallel."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lok_action.commands.ensemble_common import (
    best_backend_for,
    default_names,
    load_run_config,
    make_progress,
    pick_named_backends,
    split_names,
)
from lok_action.errors import UsageError

EXAMPLES = """examples:
  lok spawn 'Build a REST API for todo items'
  lok spawn 'Review this service' -a security:'audit auth and input handling' -a perf:'find N+1 queries'
  lok spawn 'Document the CLI' -b claude --merger claude --json

The planner answers with JSON subtasks (or give them with -a NAME:DESCRIPTION). Each subtask runs on the
backend 'lok suggest' picks for it among the ready ones (or --backends). Outputs are concatenated under a
header each, unless --merger names a backend to write one combined answer. Everything is saved in
.lok/runs/<id>/ (plan.json, subtasks/, merged.md, result.json).
"""


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.epilog = EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("task", help="the task to split")
    parser.add_argument(
        "-a",
        "--agent",
        action="append",
        default=[],
        metavar="NAME:DESC",
        help="a subtask given explicitly (repeatable); skips the planner",
    )
    parser.add_argument(
        "-b", "--planner", metavar="BACKEND", help="backend that plans (default: best suited)"
    )
    parser.add_argument(
        "--backends", help="comma-separated backends subtasks may run on (default: every ready one)"
    )
    parser.add_argument(
        "--merger", metavar="BACKEND", help="backend that merges the outputs (default: concatenate)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "-C", "--dir", default=".", help="project directory (default .); runs go in its .lok/runs/"
    )


def run(args: argparse.Namespace) -> int:
    from lok_action.backends.calling import open_cache
    from lok_action.rundir import new_run_dir
    from lok_action.spawn import (
        SpawnResult,
        SpawnSettings,
        concatenate,
        merge_with_backend,
        parse_subtask_specs,
        plan_subtasks,
        run_subtasks,
        save_run,
    )

    started = time.monotonic()
    if not args.task.strip():
        raise UsageError("the task is empty")
    workdir = Path(args.dir).resolve()
    if not workdir.is_dir():
        raise UsageError(f"--dir {args.dir}: not a directory")
    config = load_run_config(args, workdir)
    explicit = parse_subtask_specs(args.agent)
    names = split_names(args.backends, "--backends") if args.backends else default_names(config)
    workers = {backend.name: backend for backend in pick_named_backends(config, names)}
    merger = pick_named_backends(config, [args.merger])[0] if args.merger else None
    progress = make_progress(args)
    settings = SpawnSettings(
        workdir=workdir,
        timeout_for=lambda backend: config.backend_timeout(backend.config),
        note=progress.note,
        cache=open_cache(config.cache_enabled, config.cache_ttl_hours, args.no_cache),
        max_parallel=config.max_parallel if config.parallel else 1,
    )
    run_dir = new_run_dir(workdir)
    planner_name: str | None = None
    plan_text: str | None = None
    if explicit:
        subtasks = explicit
    else:
        planner_name = (
            args.planner
            or best_backend_for("plan and split a task (orchestration, reasoning)", names, config)[0]
        )
        planner = pick_named_backends(config, [planner_name])[0]
        progress.note(f"planning with {planner.name}")
        subtasks, plan_text = plan_subtasks(args.task, planner, settings)
    for subtask in subtasks:
        subtask.backend, subtask.reason = best_backend_for(subtask.description, list(workers), config)
        progress.note(f"{subtask.name} -> {subtask.backend} ({subtask.reason})")
    result = SpawnResult(args.task, run_dir.name, run_dir, planner_name)
    result.outcomes, result.subtasks_wall = run_subtasks(args.task, subtasks, workers, settings)
    concatenated = concatenate(args.task, result.outcomes)
    result.merged = concatenated
    if merger is not None and any(outcome.reply.ok for outcome in result.outcomes):
        result.merged, result.merged_by = merge_with_backend(args.task, concatenated, merger, settings)
    result.duration = time.monotonic() - started
    save_run(result, plan_text)
    progress.note(f"saved in {run_dir}")
    print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) if args.json else result.merged)
    return 0 if result.success else 1
