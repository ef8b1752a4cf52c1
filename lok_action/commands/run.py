"""`lok run NAME [ARGS...]`: run a workflow by name or path."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lok_action import ranges
from lok_action.errors import UsageError

if TYPE_CHECKING:
    from lok_action.workflow.model import Workflow
    from lok_action.workflow.result import RunResult

NAMED_ARG = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("workflow", help="workflow name (see 'lok workflow list') or path to a .toml file")
    parser.add_argument(
        "args",
        nargs="*",
        help="workflow arguments: {{ args[0] }}, ...; KEY=VALUE ones become {{ arg.KEY }} instead",
    )
    parser.add_argument("--json", action="store_true", help="print the full run result as JSON on stdout")
    parser.add_argument(
        "-b", "--backends", metavar="NAMES", help="comma-separated backends for steps that name none"
    )
    parser.add_argument("-C", "--dir", metavar="DIR", default=".", help="target directory (default: .)")
    parser.add_argument(
        "--max-parallel",
        type=ranges.PARALLEL.option("--max-parallel"),
        metavar="N",
        help=f"most steps at once ({ranges.PARALLEL.span()}; default: config)",
    )
    parser.add_argument(
        "--max-seconds",
        type=ranges.SECONDS.option("--max-seconds"),
        metavar="S",
        help=f"hard limit on the whole run ({ranges.SECONDS.span()}): no step starts after it, running calls"
        " are cut to it",
    )


def split_args(raw: list[str]) -> tuple[list[str], dict[str, str]]:
    """Positional args and KEY=VALUE named args."""
    positional: list[str] = []
    named: dict[str, str] = {}
    for item in raw:
        match = NAMED_ARG.match(item)
        if match:
            named[match.group(1)] = match.group(2)
        else:
            positional.append(item)
    return positional, named


def run(args: argparse.Namespace) -> int:
    from lok_action.backends.calling import open_cache
    from lok_action.commands.options import split_names
    from lok_action.config import load_config
    from lok_action.progress import Progress
    from lok_action.workflow.lookup import find_workflow
    from lok_action.workflow.runner import RunContext, run_workflow

    workdir = Path(args.dir).resolve()
    if not workdir.is_dir():
        raise UsageError(f"-C/--dir: {args.dir}: not a directory")
    config = load_config(workdir, Path(args.config) if args.config else None)
    workflow = find_workflow(args.workflow, workdir)
    positional, named = split_args(args.args)
    progress = Progress(quiet=args.quiet)
    context = RunContext(
        config=config,
        workdir=workdir,
        args=positional,
        named_args=named,
        cache=open_cache(config.cache_enabled, config.cache_ttl_hours, args.no_cache),
        default_backends=split_names(args.backends, "-b/--backends") if args.backends is not None else None,
        progress=progress,
        max_parallel=args.max_parallel,
        deadline=time.monotonic() + args.max_seconds if args.max_seconds is not None else None,
    )
    if workflow.publish:  # the issue/PR number and LOK_MIN_CONSENSUS, refused before any step runs
        import os

        from lok_action.github.publish import publish_inputs

        publish_inputs(workflow, args, os.environ)
    if workflow.publish == "pr-review":  # the PR's diff, chunked per backend budget
        from lok_action.github.pr_review import attach_pull_request

        attach_pull_request(context)
    result = run_workflow(workflow, context)
    progress.summary(result)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        print_final_outputs(workflow, result)
    if workflow.publish:
        from lok_action.github.publish import publish_workflow_result

        outcome = publish_workflow_result(workflow, result, args, context=context)
        if outcome.failures:  # a requested GitHub write failed (listed on stderr): the run did not do its job
            return max(result.exit_code, 1)
    return result.exit_code


def print_final_outputs(workflow: Workflow, result: RunResult) -> None:
    """The outputs of the steps nothing depends on (the workflow's answer) on stdout."""
    used = {dep for step in workflow.steps for dep in step.depends_on}
    finals = [result.steps[s.name] for s in workflow.steps if s.name not in used]
    shown = [step for step in finals if step.status == "success"]
    for step in shown:
        output = step.output if isinstance(step.output, str) else json.dumps(step.output, indent=2)
        if len(shown) > 1:
            print(f"== {step.name} ==")
        print(output.rstrip("\n"))
    sys.stdout.flush()
