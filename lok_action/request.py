"""A Request: everything one run of lok was asked to do, decided once, before anything runs.

Built in exactly two places: the commands (lok_action/commands/requests.py, from argv and the
environment) and the GitHub Action's event planner (lok_action/github/context.py, from the inputs and
the event). Nothing below them reads argparse or os.environ for any of this; pipeline.execute and the
sinks read only the Request.

A field to come (verify, max_cost, since, record/replay, plan_only, depth) is one more line here with
a default, one line in each builder, and the place in the pipeline that reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from lok_action.context.shards import Shard
from lok_action.findings.model import Severity
from lok_action.findings.modes import ChallengeMode

# What the backends are given: files under the target, a git diff, a pull request's diff, or only
# the workflow's own steps (fix, ci: they fetch what they need themselves).
ContextKind = Literal["files", "diff", "pull_request", "none"]
ReportFormat = Literal["text", "md", "json"]
CommentMode = Literal["update", "new", "off"]  # the one lok comment: edited in place, a new one, none
ReviewMode = Literal["inline", "summary", "off"]  # pull request review: inline comments, body only, none
REPORT_FORMATS: tuple[ReportFormat, ...] = ("text", "md", "json")
COMMENT_MODES: tuple[CommentMode, ...] = ("update", "new", "off")
REVIEW_MODES: tuple[ReviewMode, ...] = ("inline", "summary", "off")
Depth = Literal[
    "quick", "thorough"
]  # hunt/audit: one prompt per chunk for every category, or one per category
DEPTHS: tuple[Depth, ...] = ("quick", "thorough")
PR_REVIEW = "pr-review"  # a workflow's `publish` that makes it a pull request review
ReplayMissing = Literal["fail", "call"]  # a call the cassette does not hold: an error, or asked live
REPLAY_MISSING: tuple[ReplayMissing, ...] = ("fail", "call")


def workflow_context(publish: str | None, pr_number: int | None) -> ContextKind:
    """A workflow run's context: a pull request review (`publish = "pr-review"` and a PR to review)
    gets the PR's diff in chunks; any other workflow gets none. The one place that decides it."""
    return "pull_request" if publish == PR_REVIEW and pr_number is not None else "none"


@dataclass(frozen=True)
class GitHubSinks:
    """Which GitHub surfaces to write (the event decides where: the issue or pull request)."""

    comment: CommentMode = "off"
    review: ReviewMode = "off"
    issues: bool = False  # one issue per reported finding
    annotations: bool = False  # ::error file=...:: lines on the Actions log
    upload_sarif: bool = False
    # a quiet review: at most this many inline comments (most severe, most agreed first), and none for a
    # finding below inline_min_severity; the others go in the review body's table
    max_inline_comments: int = 10
    inline_min_severity: Severity = "low"


@dataclass(frozen=True)
class PublishSpec:
    """Where the Outcome goes: the report (stdout or a file), SARIF, GitHub; when to exit 1."""

    format: ReportFormat = "text"
    output: Path | None = None  # None: stdout
    sarif: Path | None = None
    sarif_category: str | None = None  # None: lok's own (lok/<workflow>/<path>/)
    fail_on: Severity | None = None  # exit 1 when a reported finding is at least this severe
    github: GitHubSinks | None = None  # None: nothing goes to GitHub


@dataclass(frozen=True)
class CassetteSpec:
    """--record DIR / --replay DIR: every backend call recorded to, or answered from, a cassette
    (lok_action.cassette)."""

    mode: Literal["record", "replay"]
    directory: Path
    missing: ReplayMissing = "fail"  # replay only
    record_prompts: bool = True  # whether a recorded line keeps the prompt itself (its hash always)


def frozen_map(values: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class Request:
    command: str  # the lok command ("hunt", "run", ...) or "action"
    workflow: str  # built-in name, project override, or a path to a .toml file
    project_dir: Path  # where lok.toml and .lok/workflows are looked up
    target: Path  # what is analysed: a directory (files), the repository (diff), the checkout (PR)
    context: ContextKind = "none"
    revision_range: str | None = None  # diff: A..B; None = the staged changes
    pr_number: int | None = None  # the pull request reviewed, or commented on
    issue_number: int | None = None  # the issue commented on
    backends: tuple[str, ...] | None = None  # None: the ready ones
    min_consensus: int = 1
    args: tuple[str, ...] = ()  # {{ args[0] }}, ...
    named_args: Mapping[str, str] = field(default_factory=frozen_map)  # {{ arg.KEY }}
    shard: Shard | None = None
    max_parallel: int | None = None  # None: the config's
    max_seconds: float | None = None  # a hard limit on the whole run
    use_cache: bool = True
    # the challenge round: None = each findings step's `challenge` (findings.modes.effective_mode)
    verify: ChallengeMode | None = None
    max_verify_calls: int = 40  # per run; the calls past it are not made, their findings "unverified"
    unconfirmed_floor: Severity | None = "critical"  # at least this severe: listed when under the quorum
    publish: PublishSpec = field(default_factory=PublishSpec)
    cassette: CassetteSpec | None = None  # None: backends are asked, nothing recorded
    depth: Depth | None = None  # the workflows' `arg.depth`; None: the workflow's default (quick)
    plan_only: bool = False  # --plan: say what the run would send and cost; call no one
    max_cost: float | None = None  # USD; None: lok.toml's [defaults] max_cost, else no limit
    since: str | None = None  # files context: only the files changed since this git revision

    @property
    def is_pull_request_review(self) -> bool:
        return self.context == "pull_request"
