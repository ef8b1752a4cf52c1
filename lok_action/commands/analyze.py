"""`lok hunt|audit|explain [DIR]` and `lok diff [RANGE]`: run the built-in analysis workflow (or a
project override of it), merge the findings across backends, write the reports."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lok_action import ranges
from lok_action.commands.options import BUDGET_EXIT, add_budget_option
from lok_action.errors import UsageError
from lok_action.findings.model import SEVERITIES
from lok_action.request import DEPTHS, REPORT_FORMATS

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from lok_action.config import Config
    from lok_action.outcome import Outcome
    from lok_action.request import PublishSpec, Request

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
    parser.add_argument("--format", choices=REPORT_FORMATS, default=None, help="report format (default text)")
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


def add_cost_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plan",
        action="store_true",
        help="print what the run would send (chunks, calls, prompt characters, tokens, estimated cost"
        " per backend) and call no one; with --json as JSON",
    )
    add_budget_option(parser)


def add_challenge_options(parser: argparse.ArgumentParser) -> None:
    """The challenge round (findings.challenge) and the floor for critical findings."""
    from lok_action.findings.modes import CHALLENGE_MODES

    parser.add_argument(
        "--verify",
        choices=CHALLENGE_MODES,
        default=None,
        help="ask the other backends, blind, to confirm or refute findings: below-quorum (those under"
        " --min-consensus and every critical/high one; the default of hunt, audit, diff), all, or off",
    )
    parser.add_argument(
        "--max-verify-calls",
        type=ranges.VERIFY_CALLS.option("--max-verify-calls"),
        metavar="N",
        default=None,
        help=f"at most N verification calls per run ({ranges.VERIFY_CALLS.span()}; default 40);"
        " findings past it are reported unverified",
    )
    parser.add_argument(
        "--unconfirmed",
        choices=(*SEVERITIES, "none"),
        metavar="SEVERITY",
        default=None,
        help="findings at least this severe that miss --min-consensus and are not refuted are listed as"
        " unconfirmed (default critical; none: not listed)",
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
    from lok_action.commands.options import add_cassette_options

    add_cassette_options(parser)
    add_cost_options(parser)
    add_challenge_options(parser)
    if name in ("hunt", "audit"):
        parser.add_argument(
            "--depth",
            choices=DEPTHS,
            default=None,
            help="quick (default): one prompt per chunk asks for every category; thorough: one pass per category",
        )
        parser.add_argument(
            "--since",
            metavar="REF",
            help="analyse only the files changed since git revision REF (renames followed, uncommitted"
            " and untracked changes included); the rest is reported as unchanged",
        )
        parser.add_argument(
            "--issues",
            action="store_true",
            help="open one GitHub issue per reported finding not filed before (needs GITHUB_TOKEN)",
        )
        parser.add_argument("-y", "--yes", action="store_true", help="do not ask before opening issues")


def _write(option: str, path: Path, write: Callable[[], None]) -> None:
    try:
        write()
    except OSError as error:
        raise UsageError(f"{option} {path}: cannot write ({error.strerror or error})") from None


def write_reports(outcome: Outcome, spec: PublishSpec) -> int:
    """Report in the chosen format (stdout or -o), SARIF when asked; the exit code --fail-on implies."""
    from lok_action.atomic import atomic_write_bytes, atomic_write_text
    from lok_action.findings.model import severity_at_least

    if spec.format == "json":
        from lok_action.report.jsonreport import render_json

        text = render_json(outcome)
    elif spec.format == "md":
        from lok_action.report.markdown import render_markdown

        text = render_markdown(outcome)
    else:
        from lok_action.report.terminal import render_terminal, use_colour

        to_tty = spec.output is None and sys.stdout.isatty()
        text = render_terminal(outcome, colour=use_colour(to_tty, os.environ))
    output = spec.output
    if output is not None:
        _write("-o/--output", output, lambda: atomic_write_text(output, text))
    else:
        from lok_action.terminal_safe import unguarded

        # the terminal report sanitised its model text itself, and keeps its colours
        stream = unguarded(sys.stdout) if spec.format == "text" else sys.stdout
        stream.write(text)
        stream.flush()
    sarif_path = spec.sarif
    if sarif_path is not None:
        from lok_action.report.sarif import render_sarif

        sarif = render_sarif(outcome, category=spec.sarif_category)
        _write("--sarif", sarif_path, lambda: atomic_write_bytes(sarif_path, sarif))
    why = outcome.nothing_analysed()
    quiet = unchanged_since(outcome) if why else ""
    if quiet:  # a quiet night of `--since`: nothing to look at is no failure
        print(
            f"lok: nothing changed since {quiet}: every file is unchanged ({outcome.coverage_line()})",
            file=sys.stderr,
        )
        why = ""
    elif why:
        print(f"lok: nothing was analysed: {why} ({outcome.coverage_line()})", file=sys.stderr)
    fail_on = spec.fail_on
    if fail_on and any(severity_at_least(f.severity, fail_on) for f in outcome.reported):
        return 1  # a finding at --fail-on is the news, budget or not
    if outcome.stop_reason:
        print(f"lok: {outcome.stop_reason} ({outcome.coverage_line()})", file=sys.stderr)
        return BUDGET_EXIT
    return 1 if why else 0


UNCHANGED = "unchanged since "


def unchanged_since(outcome: Outcome) -> str:
    """The REF when --since left nothing to analyse because no file changed since it, else "". A run
    where a file changed but was skipped (binary, too large, ignored) or got no answer is not that:
    every skipped file must be skipped as unchanged."""
    coverage = outcome.coverage
    if coverage is None or coverage.analysed or outcome.stop_reason:
        return ""
    reasons = set(coverage.skipped.values())
    if len(reasons) != 1:
        return ""
    (reason,) = reasons
    return reason[len(UNCHANGED) :] if reason.startswith(UNCHANGED) else ""


def run(args: argparse.Namespace) -> int:
    from lok_action.commands.options import load_run_config, make_progress
    from lok_action.commands.requests import analysis_request
    from lok_action.pipeline import execute

    env = dict(os.environ)
    project_dir = Path.cwd()
    request = analysis_request(args, project_dir, env)  # bad options refused before any backend runs
    config = load_run_config(args, project_dir)
    if request.plan_only:
        return print_plan(request, config, env)
    outcome = execute(request, config, env=env, progress=make_progress(args))
    code = write_reports(outcome, request.publish)
    if request.publish.github is not None and request.publish.github.issues:
        file_issues(outcome, request.target, args.yes, env)
    return code


def print_plan(request: Request, config: Config, env: Mapping[str, str]) -> int:
    """--plan: what the run would send and cost, on stdout (or -o); nothing is called."""
    import json

    from lok_action.atomic import atomic_write_text
    from lok_action.pipeline import plan

    made = plan(request, config, env=env)
    text = (
        json.dumps(made.to_dict(), indent=2) + "\n"
        if request.publish.format == "json"
        else made.render_text()
    )
    output = request.publish.output
    if output is not None:
        _write("-o/--output", output, lambda: atomic_write_text(output, text))
    else:
        sys.stdout.write(text)
    return 0


def file_issues(outcome: Outcome, target: Path, assume_yes: bool, env: Mapping[str, str]) -> None:
    """`--issues`: one GitHub issue per reported finding, deduplicated by fingerprint; the open issues
    of findings no longer found in a file this run analysed are closed. GitHub refusing or not answering
    is one line (the reports are written by then), not a traceback."""
    import requests
    from github import GithubException

    from lok_action.errors import GitHubError

    try:
        _file_issues(outcome, target, assume_yes, env)
    except GithubException as error:
        message = error.data.get("message") if isinstance(error.data, dict) else error.data
        raise GitHubError(f"--issues: GitHub answered {error.status}: {message}") from None
    except requests.RequestException as error:
        raise GitHubError(f"--issues: cannot reach GitHub ({type(error).__name__})") from None


def _file_issues(outcome: Outcome, target: Path, assume_yes: bool, env: Mapping[str, str]) -> None:
    from lok_action import git
    from lok_action.commands.requests import github_repository
    from lok_action.github.client import open_repo
    from lok_action.github.issues import close_fixed_issues, create_finding_issues
    from lok_action.github.render import key_of

    findings = outcome.reported
    coverage = outcome.coverage
    analysed = set(coverage.analysed) | set(coverage.gone) if coverage is not None else set()
    if not findings and not analysed:
        print("lok: no findings to file as issues", file=sys.stderr)
        return
    handle = open_repo(github_repository(target, env), env)
    if not assume_yes:
        if not sys.stdin.isatty():
            raise UsageError("--issues would open GitHub issues; pass -y to confirm when not on a terminal")
        answer = input(
            f"Open up to {len(findings)} issue(s) in {handle.full_name}, and close those no longer found? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("lok: no issues opened", file=sys.stderr)
            return
    # every finding of any agreement counts as still found: a drop below --min-consensus fixes nothing,
    # and neither does the challenge round refuting it (the finding was seen again all the same)
    found = {key_of(finding) for finding in [*outcome.findings, *outcome.refuted]}
    commit = git.head_sha(target) or "the working tree"
    closed = close_fixed_issues(handle, found, analysed, commit) if analysed else []
    if closed:
        print(
            f"lok: {len(closed)} issue(s) closed, no longer found (#{', #'.join(map(str, closed))})",
            file=sys.stderr,
        )
    if not findings:
        print("lok: no findings to file as issues", file=sys.stderr)
        return
    filed = create_finding_issues(handle, findings, commit=commit)
    print(
        f"lok: {len(filed.created)} issue(s) opened"
        + (f" (#{', #'.join(map(str, filed.created))})" if filed.created else "")
        + (
            f", {len(filed.reopened)} reopened (#{', #'.join(map(str, filed.reopened))})"
            if filed.reopened
            else ""
        )
        + f", {len(filed.existing)} already filed"
        + (
            f"; labels not found, not applied: {', '.join(filed.labels_missing)}"
            if filed.labels_missing
            else ""
        ),
        file=sys.stderr,
    )
