"""`lok hunt|audit|explain [DIR]` and `lok diff [RANGE]`: run the built-in analysis workflow (or a
project override of it), merge the findings across backends, write the reports."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lok_action import ranges
from lok_action.errors import UsageError
from lok_action.findings.model import SEVERITIES

if TYPE_CHECKING:
    from collections.abc import Callable

    from lok_action.analysis import AnalysisResult

FORMATS = ("text", "md", "json")
EXAMPLES = {
    "hunt": "lok hunt . -b codex,gemini --min-consensus 2 --sarif lok.sarif --fail-on high",
    "audit": "lok audit src/ --format md -o audit.md",
    "explain": "lok explain . -b claude",
    "diff": "lok diff main..HEAD --fail-on high   (no RANGE: staged changes)",
}


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """Options shared with `lok merge`."""
    parser.add_argument(
        "--min-consensus",
        type=ranges.CONSENSUS.option("--min-consensus"),
        metavar="N",
        default=None,
        help=f"report only findings at least N backends agree on ({ranges.CONSENSUS.span()}; default 1)",
    )
    parser.add_argument("--format", choices=FORMATS, default=None, help="report format (default text)")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--sarif", metavar="FILE", help="also write SARIF 2.1.0 for code scanning")
    parser.add_argument(
        "--sarif-category",
        metavar="NAME",
        help="code-scanning category of the SARIF runs (default lok/WORKFLOW/PATH); "
        "a different one per analysis that must not replace another's alerts",
    )
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        metavar="SEVERITY",
        help="exit 1 when a reported finding is at least this severe (critical, high, medium, low, info)",
    )


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = f"example:  {EXAMPLES[name]}"
    if name == "diff":
        parser.add_argument("range", nargs="?", metavar="RANGE", help="revision range, e.g. main..HEAD")
    else:
        parser.add_argument(
            "dir", nargs="?", default=".", metavar="DIR", help="directory to analyse (default .)"
        )
    parser.add_argument("-b", "--backends", metavar="A,B", help="backends to use (default: the ready ones)")
    parser.add_argument(
        "--shard",
        metavar="I/N",
        help="analyse shard I of N (1-based; N alone takes I from JOB_COMPLETION_INDEX); combine with lok merge",
    )
    add_report_options(parser)
    if name in ("hunt", "audit"):
        parser.add_argument(
            "--issues",
            action="store_true",
            help="open one GitHub issue per reported finding not filed before (needs GITHUB_TOKEN)",
        )
        parser.add_argument("-y", "--yes", action="store_true", help="do not ask before opening issues")


def chosen_format(args: argparse.Namespace) -> str:
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json conflicts with --format {args.format}")
    return "json" if args.json else (args.format or "text")


REPORT_OPTIONS = (("output", "-o/--output"), ("sarif", "--sarif"))


def check_output_paths(args: argparse.Namespace) -> None:
    """Refuse report paths that cannot be written before any backend is called (a long analysis
    should not end in a write error)."""
    import tempfile

    from lok_action.report.sarif import check_category

    category = getattr(args, "sarif_category", None)
    if category is not None:
        args.sarif_category = check_category(category, "--sarif-category")
        if not args.sarif:
            raise UsageError("--sarif-category needs --sarif FILE (it names the SARIF runs' category)")
    for attr, option in REPORT_OPTIONS:
        value = getattr(args, attr, None)
        if not value:
            continue
        path = Path(value)
        if path.is_dir():
            raise UsageError(f"{option} {value}: is a directory")
        parent = path.absolute().parent
        if not parent.is_dir():
            raise UsageError(f"{option} {value}: directory {parent} does not exist")
        try:  # a real probe: os.access says yes to root even on /proc
            handle, probe = tempfile.mkstemp(prefix=".lok-probe-", dir=parent)
            os.close(handle)
            os.unlink(probe)
        except OSError as error:
            raise UsageError(f"{option} {value}: cannot write in {parent} ({error.strerror})") from None


def _write(option: str, path: str, write: Callable[[], None]) -> None:
    try:
        write()
    except OSError as error:
        raise UsageError(f"{option} {path}: cannot write ({error.strerror or error})") from None


def write_reports(result: AnalysisResult, args: argparse.Namespace) -> int:
    """Report in the chosen format (stdout or -o), SARIF when asked; the exit code --fail-on implies."""
    from lok_action.atomic import atomic_write_bytes, atomic_write_text
    from lok_action.findings.model import severity_at_least

    fmt = chosen_format(args)
    if fmt == "json":
        from lok_action.report.jsonreport import render_json

        text = render_json(result)
    elif fmt == "md":
        from lok_action.report.markdown import render_markdown

        text = render_markdown(result)
    else:
        from lok_action.report.terminal import render_terminal, use_colour

        to_tty = args.output is None and sys.stdout.isatty()
        text = render_terminal(result, colour=use_colour(to_tty))
    if args.output:
        _write("-o/--output", args.output, lambda: atomic_write_text(Path(args.output), text))
    else:
        from lok_action.terminal_safe import unguarded

        # the terminal report sanitised its model text itself, and keeps its colours
        stream = unguarded(sys.stdout) if fmt == "text" else sys.stdout
        stream.write(text)
        stream.flush()
    if args.sarif:
        from lok_action.report.sarif import render_sarif

        sarif = render_sarif(result, category=getattr(args, "sarif_category", None))
        _write("--sarif", args.sarif, lambda: atomic_write_bytes(Path(args.sarif), sarif))
    why = result.nothing_analysed()
    if why:
        print(f"lok: nothing was analysed: {why} ({result.coverage_line()})", file=sys.stderr)
        return 1
    if args.fail_on and any(severity_at_least(f.severity, args.fail_on) for f in result.reported):
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    from lok_action.analysis import AnalysisRequest, run_analysis
    from lok_action.backends.calling import open_cache
    from lok_action.commands.ensemble_common import load_run_config, make_progress, split_names
    from lok_action.context.shards import parse_shard

    chosen_format(args)  # refuse conflicting options before any backend is called
    check_output_paths(args)
    project_dir = Path.cwd()
    config = load_run_config(args, project_dir)
    is_diff = args.command == "diff"
    target = project_dir if is_diff else Path(args.dir)
    if not target.is_dir():
        raise UsageError(f"{args.command}: '{target}' is not a directory")
    request = AnalysisRequest(
        workflow=args.command,
        config=config,
        project_dir=project_dir,
        target=target,
        revision_range=args.range if is_diff else None,
        backends=split_names(args.backends, "-b/--backends") if args.backends else None,
        min_consensus=args.min_consensus or 1,
        shard=parse_shard(args.shard, dict(os.environ)),
        cache=open_cache(config.cache_enabled, config.cache_ttl_hours, args.no_cache),
        progress=make_progress(args),
        is_diff=is_diff,
    )
    result = run_analysis(request)
    code = write_reports(result, args)
    if getattr(args, "issues", False):
        file_issues(result, target, args.yes)
    return code


def file_issues(result: AnalysisResult, target: Path, assume_yes: bool) -> None:
    """`--issues`: one GitHub issue per reported finding, deduplicated by fingerprint."""
    from lok_action.github.client import open_repo, repository_name
    from lok_action.github.issues import create_finding_issues

    findings = result.reported
    if not findings:
        print("lok: no findings to file as issues", file=sys.stderr)
        return
    env = dict(os.environ)
    handle = open_repo(repository_name(target, env), env)
    if not assume_yes:
        if not sys.stdin.isatty():
            raise UsageError("--issues would open GitHub issues; pass -y to confirm when not on a terminal")
        answer = input(f"Open up to {len(findings)} issue(s) in {handle.full_name}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("lok: no issues opened", file=sys.stderr)
            return
    filed = create_finding_issues(handle, findings)
    print(
        f"lok: {len(filed.created)} issue(s) opened"
        + (f" (#{', #'.join(map(str, filed.created))})" if filed.created else "")
        + f", {len(filed.existing)} already filed"
        + (
            f"; labels not found, not applied: {', '.join(filed.labels_missing)}"
            if filed.labels_missing
            else ""
        ),
        file=sys.stderr,
    )
