"""What an Actions run was asked to do: the action's inputs (INPUT_*) and the triggering event."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lok_action import json_text
from lok_action.errors import UsageError
from lok_action.findings.model import SEVERITIES, Severity, as_severity
from lok_action.findings.modes import CHALLENGE_MODES, ChallengeMode, as_mode
from lok_action.ranges import CONSENSUS, COST_USD, INLINE_COMMENTS, ISSUE_NUMBER, VERIFY_CALLS
from lok_action.request import (
    COMMENT_MODES,
    DEPTHS,
    REVIEW_MODES,
    CassetteSpec,
    CommentMode,
    ContextKind,
    Depth,
    GitHubSinks,
    PublishSpec,
    Request,
    ReviewMode,
    workflow_context,
)

PlanKind = Literal["analysis", "workflow", "skip"]

# author_association values that may have write access; a first filter only (an org MEMBER or a
# COLLABORATOR may have read access): the repository permission is checked through the API.
WRITE_ASSOCIATIONS = ("OWNER", "MEMBER", "COLLABORATOR")
# Repository roles that may run /lok commands (role_name, or the legacy `permission` field).
WRITE_ROLES = ("admin", "maintain", "write")
COMMAND_PATTERN = re.compile(
    r"^\s*/lok\s+([A-Za-z0-9][\w-]*)(?![\w./])(.*)$", re.MULTILINE
)  # a name, never a path


def input_value(env: Mapping[str, str], name: str, default: str = "") -> str:
    """The runner passes `with:` values as INPUT_<NAME uppercased, spaces to _, hyphens kept>."""
    return env.get("INPUT_" + name.replace(" ", "_").upper(), default).strip()


def _sarif_category(env: Mapping[str, str]) -> str | None:
    from lok_action.report.sarif import check_category

    raw = input_value(env, "sarif-category")
    return check_category(raw, "input sarif-category") if raw else None


@dataclass
class ActionInputs:
    workflow: str = ""
    issue_number: int | None = None
    pr_number: int | None = None
    backends: list[str] | None = None
    min_consensus: int = 1
    path: str = "."
    token: str = ""
    sarif_file: str = "lok.sarif"
    sarif_category: str | None = None  # None: lok's default category (lok/<workflow>/<path>/)
    upload_sarif: bool = False
    comment: CommentMode = "update"
    review: ReviewMode = "inline"
    fail_on: Severity | None = None
    args: list[str] = field(default_factory=list)
    config: str = ""
    max_inline_comments: int = 10
    inline_min_severity: Severity = "low"
    record: str = ""  # a cassette folder, relative to the workspace
    replay: str = ""
    depth: Depth | None = None  # None: the workflow's default (quick)
    plan: bool = False  # say what the run would send and cost; call no backend, post nothing
    max_cost: float | None = None  # USD; None: lok.toml's [defaults] max_cost, else no limit
    verify: ChallengeMode | None = None  # None: each findings step's `challenge`
    max_verify_calls: int = 40
    unconfirmed_floor: Severity | None = "critical"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ActionInputs:
        def number(name: str) -> int | None:
            raw = input_value(env, name)
            return int(ISSUE_NUMBER.parse(f"input {name} (an issue/PR number)", raw)) if raw else None

        def choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
            raw = input_value(env, name, default) or default
            if raw not in allowed:
                raise UsageError(f"input {name}: '{raw}' is not one of {', '.join(allowed)}")
            return raw

        verify = input_value(env, "verify").lower()  # as fail-on, unconfirmed and plan are
        if verify and verify not in CHALLENGE_MODES:
            raise UsageError(f"input verify: '{verify}' is not one of {', '.join(CHALLENGE_MODES)}")
        unconfirmed = input_value(env, "unconfirmed").lower()
        if unconfirmed and unconfirmed not in (*SEVERITIES, "none"):
            raise UsageError(
                f"input unconfirmed: '{unconfirmed}' must be one of {', '.join(SEVERITIES)} or none"
            )
        verify_calls = VERIFY_CALLS.parse(
            "input max-verify-calls", input_value(env, "max-verify-calls") or "40"
        )
        comment = choice("comment", "update", COMMENT_MODES)
        review = choice("review", "inline", REVIEW_MODES)

        min_consensus = CONSENSUS.parse("input min-consensus", input_value(env, "min-consensus", "1") or "1")
        upload_raw = (input_value(env, "upload-sarif", "false") or "false").lower()
        if upload_raw not in ("true", "false"):
            raise UsageError(f"input upload-sarif: '{upload_raw}' must be true or false")
        plan_raw = (input_value(env, "plan", "false") or "false").lower()
        if plan_raw not in ("true", "false"):
            raise UsageError(f"input plan: '{plan_raw}' must be true or false")
        depth_raw = input_value(env, "depth").lower()
        if depth_raw and depth_raw not in DEPTHS:
            raise UsageError(f"input depth: '{depth_raw}' is not one of {', '.join(DEPTHS)}")
        max_cost_raw = input_value(env, "max-cost")
        max_cost = float(COST_USD.parse("input max-cost", max_cost_raw)) if max_cost_raw else None
        fail_on = input_value(env, "fail-on").lower()
        if fail_on in ("", "none", "never"):
            fail_on_value: Severity | None = None
        elif fail_on in SEVERITIES:
            fail_on_value = as_severity(fail_on)
        else:
            raise UsageError(f"input fail-on: '{fail_on}' must be one of {', '.join(SEVERITIES)} or none")
        max_inline = INLINE_COMMENTS.parse(
            "input max-inline-comments", input_value(env, "max-inline-comments", "10") or "10"
        )
        inline_min = (input_value(env, "inline-min-severity", "low") or "low").lower()
        if inline_min not in SEVERITIES:
            raise UsageError(
                f"input inline-min-severity: '{inline_min}' must be one of {', '.join(SEVERITIES)}"
            )
        backends = [b.strip() for b in input_value(env, "backends").split(",") if b.strip()] or None
        sarif_category = _sarif_category(env)
        try:
            args = shlex.split(input_value(env, "args"))
        except ValueError as error:
            raise UsageError(f"input args: {error}") from None
        return cls(
            workflow=input_value(env, "workflow"),
            issue_number=number("issue-number"),
            pr_number=number("pr-number"),
            backends=backends,
            min_consensus=int(min_consensus),
            path=input_value(env, "path", ".") or ".",
            token=input_value(env, "github-token") or env.get("GITHUB_TOKEN", ""),
            sarif_file=input_value(env, "sarif-file", "lok.sarif") or "lok.sarif",
            sarif_category=sarif_category,
            upload_sarif=upload_raw == "true",
            comment=next(mode for mode in COMMENT_MODES if mode == comment),
            review=next(mode for mode in REVIEW_MODES if mode == review),
            fail_on=fail_on_value,
            args=args,
            config=input_value(env, "config"),
            max_inline_comments=int(max_inline),
            inline_min_severity=as_severity(inline_min),
            record=input_value(env, "record"),
            replay=input_value(env, "replay"),
            depth=next((d for d in DEPTHS if d == depth_raw), None),
            plan=plan_raw == "true",
            max_cost=max_cost,
            verify=as_mode(verify) if verify else None,
            max_verify_calls=int(verify_calls),
            unconfirmed_floor=None if unconfirmed == "none" else as_severity(unconfirmed or "critical"),
        )


@dataclass
class EventContext:
    name: str  # GITHUB_EVENT_NAME
    payload: dict[str, Any]
    repository: str
    sha: str
    ref: str
    workspace: Path
    api_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EventContext:
        missing = [n for n in ("GITHUB_EVENT_NAME", "GITHUB_REPOSITORY") if not env.get(n)]
        if missing:
            raise UsageError(
                f"{', '.join(missing)} not set: run inside GitHub Actions, or pass a command (e.g. `hunt .`)"
            )
        payload: dict[str, Any] = {}
        event_path = env.get("GITHUB_EVENT_PATH", "")
        if event_path:
            try:
                payload = json_text.loads(Path(event_path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise UsageError(
                    f"GITHUB_EVENT_PATH {event_path}: cannot read the event payload ({error})"
                ) from None
        return cls(
            name=env["GITHUB_EVENT_NAME"],
            payload=payload,
            repository=env["GITHUB_REPOSITORY"],
            sha=env.get("GITHUB_SHA", ""),
            ref=env.get("GITHUB_REF", ""),
            workspace=Path(env.get("GITHUB_WORKSPACE") or ".").resolve(),
            api_url=env.get("GITHUB_API_URL", "https://api.github.com"),
        )

    @property
    def pull_request(self) -> dict[str, Any]:
        return dict(self.payload.get("pull_request") or {})

    @property
    def is_fork_pr(self) -> bool:
        pr = self.pull_request
        if not pr:
            return False
        head = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
        base = ((pr.get("base") or {}).get("repo") or {}).get("full_name") or self.repository
        return head != base


@dataclass
class Plan:
    """What to run: a `workflow` for an issue or PR (a PR review when the workflow publishes one), an
    `analysis` of the checkout, or `skip`."""

    kind: PlanKind
    workflow: str = ""
    pr_number: int | None = None
    issue_number: int | None = None
    args: list[str] = field(default_factory=list)
    revision_range: str | None = None
    reason: str = ""
    push: tuple[str, str] | None = None  # (before, after) of a push event, resolved against the checkout
    commenter: str = ""  # a /lok comment's author, whose write permission must be confirmed first


def event_number(event: str, field: str, value: Any) -> int:
    """An issue or PR number from the event payload; 0 when it has none. GITHUB_EVENT_PATH may be
    hand-made (act, a test harness): a value that is no number is a one-line error naming the field."""
    if value is None or value == "" or value == 0:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise UsageError(f"{event} event: {field} must be an issue or pull request number, got {value!r}")
    return int(ISSUE_NUMBER.parse(f"{event} event: {field}", str(value)))


def parse_command(body: str) -> tuple[str, list[str]] | None:
    """`/lok fix` or `/lok review-pr --x` at the start of a comment line."""
    match = COMMAND_PATTERN.search(body or "")
    if not match:
        return None
    try:
        return match.group(1), shlex.split(match.group(2))
    except ValueError:
        return match.group(1), match.group(2).split()


def plan_for(event: EventContext, inputs: ActionInputs) -> Plan:
    name, payload = event.name, event.payload
    if name == "issue_comment":  # the comment's checks first; inputs may only retarget it
        return _comment_plan(payload, inputs)
    if inputs.pr_number is not None:
        return _pr_plan(inputs.workflow or "review-pr", inputs.pr_number, inputs.args)
    if inputs.issue_number is not None:
        return Plan(
            "workflow",
            inputs.workflow or "fix",
            issue_number=inputs.issue_number,
            args=[str(inputs.issue_number), *inputs.args],
        )
    if name in ("pull_request", "pull_request_target"):
        number = event_number(name, "number", payload.get("number") or event.pull_request.get("number"))
        if not number:
            raise UsageError(f"{name} event without a pull request number in GITHUB_EVENT_PATH")
        if payload.get("action") == "closed":
            return Plan("skip", reason="pull request closed")
        return _pr_plan(inputs.workflow or "review-pr", number, inputs.args)
    if name == "issues":
        number = event_number(name, "issue.number", (payload.get("issue") or {}).get("number"))
        return Plan(
            "workflow", inputs.workflow or "fix", issue_number=number, args=[str(number), *inputs.args]
        )
    if name in ("schedule", "workflow_dispatch"):
        workflow = inputs.workflow or str((payload.get("inputs") or {}).get("workflow") or "") or "hunt"
        return Plan("analysis", workflow, args=inputs.args)
    if name == "push":
        return _push_plan(event, inputs)
    raise UsageError(
        f"event '{name}' is not supported; use pull_request, issues, issue_comment, schedule, workflow_dispatch or push"
    )


def _push_plan(event: EventContext, inputs: ActionInputs) -> Plan:
    """The diff of the pushed range (resolved against the checkout in lok_action.github.push); a
    deleted branch has nothing to analyse; an explicit non-diff workflow runs over the whole tree."""
    payload = event.payload
    before, after = str(payload.get("before") or ""), str(payload.get("after") or event.sha)
    if payload.get("deleted") or not after or set(after) == {"0"}:
        return Plan("skip", reason="branch or tag deleted")
    if inputs.workflow and inputs.workflow != "diff":
        return Plan("analysis", inputs.workflow, args=inputs.args)
    return Plan("analysis", "diff", revision_range=f"{before}..{after}", push=(before, after))


def _pr_plan(workflow: str, number: int, args: list[str]) -> Plan:
    return Plan("workflow", workflow, pr_number=number, args=[str(number), *args])


def _comment_plan(payload: dict[str, Any], inputs: ActionInputs) -> Plan:
    comment = payload.get("comment") or {}
    issue = payload.get("issue") or {}
    user = comment.get("user") or {}
    if payload.get("action") not in (None, "created"):
        return Plan("skip", reason=f"comment {payload.get('action')}")
    if user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]"):
        return Plan("skip", reason="comment by a bot")
    command = parse_command(str(comment.get("body") or ""))
    if command is None:
        return Plan("skip", reason="no /lok command in the comment")
    if comment.get("author_association") not in WRITE_ASSOCIATIONS:
        return Plan(
            "skip", reason=f"@{user.get('login')} has no write access ({comment.get('author_association')})"
        )
    workflow, args = command
    workflow = inputs.workflow or workflow
    login = str(user.get("login") or "")
    if inputs.pr_number is not None:
        plan = _pr_plan(workflow, inputs.pr_number, [*args, *inputs.args])
    elif inputs.issue_number is not None:
        number = inputs.issue_number
        plan = Plan("workflow", workflow, issue_number=number, args=[str(number), *args, *inputs.args])
    else:
        number = event_number("issue_comment", "issue.number", issue.get("number"))
        if issue.get("pull_request"):
            plan = _pr_plan(workflow, number, args)
        else:
            plan = Plan("workflow", workflow, issue_number=number, args=[str(number), *args])
    plan.commenter = login
    return plan


def has_write_permission(answer: dict[str, Any]) -> bool:
    """GET /repos/{owner}/{repo}/collaborators/{username}/permission's answer."""
    return answer.get("role_name") in WRITE_ROLES or answer.get("permission") in ("admin", "write")


def action_request(
    plan: Plan, inputs: ActionInputs, workspace: Path, publishes: str | None, sarif_file: Path
) -> Request:
    """The action's Request: the plan (from the event) with the inputs. ``publishes`` is the planned
    workflow's `publish` (a pull request review gets the PR's diff); ``sarif_file`` the resolved
    sarif-file input."""
    context: ContextKind
    target = (workspace / inputs.path).resolve()
    if not target.is_relative_to(workspace):
        raise UsageError(f"input path: {inputs.path} is outside the workspace")
    if plan.kind == "analysis":
        context = "diff" if plan.revision_range is not None else "files"
    else:
        context = workflow_context(publishes, plan.pr_number)
        target = workspace
    return Request(
        command="action",
        workflow=plan.workflow,
        project_dir=workspace,
        target=target,
        context=context,
        revision_range=plan.revision_range if plan.kind == "analysis" else None,
        pr_number=plan.pr_number,
        issue_number=plan.issue_number,
        backends=tuple(inputs.backends) if inputs.backends else None,
        min_consensus=inputs.min_consensus,
        verify=inputs.verify,
        max_verify_calls=inputs.max_verify_calls,
        unconfirmed_floor=inputs.unconfirmed_floor,
        args=tuple(plan.args) if plan.kind == "workflow" else (),
        depth=inputs.depth,
        plan_only=inputs.plan,
        max_cost=inputs.max_cost,
        publish=PublishSpec(
            sarif=sarif_file,
            sarif_category=inputs.sarif_category,
            fail_on=inputs.fail_on,
            github=GitHubSinks(
                comment=inputs.comment,
                review=inputs.review,
                annotations=True,
                upload_sarif=inputs.upload_sarif,
                max_inline_comments=inputs.max_inline_comments,
                inline_min_severity=inputs.inline_min_severity,
            ),
        ),
        cassette=_cassette(inputs, workspace),
    )


def _cassette(inputs: ActionInputs, workspace: Path) -> CassetteSpec | None:
    """Inputs record / replay: a cassette folder inside the workspace."""
    if inputs.record and inputs.replay:
        raise UsageError("inputs record and replay exclude each other")
    name, value = ("record", inputs.record) if inputs.record else ("replay", inputs.replay)
    if not value:
        return None
    directory = (workspace / value).resolve()
    if not directory.is_relative_to(workspace.resolve()):
        raise UsageError(f"input {name}: {value} is outside the workspace")
    return CassetteSpec(mode="record" if name == "record" else "replay", directory=directory)
