"""Pull request and issue data for workflow prompts, fetched through the API (no `gh` needed).

Everything a stranger can write (titles, bodies, comments, diffs) is fenced and labelled as data, so a
prompt can tell the model that instructions inside it are not to be followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lok_action.context.diffs import PullRequestPatch
from lok_action.github.client import GitHubHTTPError, RepoHandle
from lok_action.markdown_text import untrusted

DIFF_MEDIA_TYPE = "application/vnd.github.diff"
COMMENT_LIMIT = 20  # the latest comments are enough context for a fix
# GitHub answers 406 (too_large) for the diff media type above 300 files or 20,000 lines; the
# paginated file list still has each file's patch (up to 3,000 files), except binaries and huge files.
DIFF_TOO_LARGE = 406
NO_PATCH = "no patch from GitHub (binary or too large)"


@dataclass
class PullRequestDiff:
    """A PR's unified diff and the changed files it leaves out (path -> why)."""

    text: str
    skipped: dict[str, str] = field(default_factory=dict)


def pull_request_diff(handle: RepoHandle, number: int) -> PullRequestDiff:
    """The diff media type, or for a PR too large for it, the same diff rebuilt from its file list."""
    try:
        return PullRequestDiff(
            handle.request_text(f"/repos/{handle.full_name}/pulls/{number}", DIFF_MEDIA_TYPE)
        )
    except GitHubHTTPError as error:
        if error.status != DIFF_TOO_LARGE:
            raise
    return diff_from_files(handle, number)


def pull_request_patch(handle: RepoHandle, number: int) -> PullRequestPatch:
    """What a pull request review analyses: the PR's diff, its head commit, and its last review (what
    lok's comment kept and the compare API says changed since); lok_action.pipeline gets it through
    this, as a PullRequestSource the caller hands it."""
    from lok_action.github.review_state import earlier_review

    pull = handle.repo().get_pull(number)
    diff = pull_request_diff(handle, number)
    earlier = earlier_review(handle, number, pull.head.sha)
    return PullRequestPatch(number, pull.head.sha, diff.text, diff.skipped, earlier)


def diff_from_files(handle: RepoHandle, number: int) -> PullRequestDiff:
    """`GET /pulls/{n}/files` (paginated): each file's patch under git's per-file header."""
    parts: list[str] = []
    skipped: dict[str, str] = {}
    for changed in handle.repo().get_pull(number).get_files():
        if not changed.patch:
            skipped[changed.filename] = NO_PATCH
            continue
        old = changed.previous_filename or changed.filename
        source = "/dev/null" if changed.status == "added" else f"a/{old}"
        target = "/dev/null" if changed.status == "removed" else f"b/{changed.filename}"
        # the file list gives no file mode; git needs one to read /dev/null as "created"/"deleted"
        mode = {"added": "new file mode 100644\n", "removed": "deleted file mode 100644\n"}.get(
            changed.status, ""
        )
        header = f"diff --git a/{old} b/{changed.filename}\n{mode}--- {source}\n+++ {target}\n"
        parts.append(header + changed.patch.rstrip("\n") + "\n")
    return PullRequestDiff("".join(parts), skipped)


def annotated_diff(diff: str) -> str:
    """The diff with new-file line numbers in front of added and context lines (what findings cite)."""
    from lok_action.context.diffs import split_diff

    return "\n\n".join(section.text for section in split_diff(diff))


def pull_request_text(handle: RepoHandle, number: int, with_diff: bool = True) -> str:
    """Header, title, description and (unless review-pr chunks it separately) the annotated diff."""
    pull = handle.repo().get_pull(number)
    header = (
        f"Pull request #{number} in {handle.full_name} by @{pull.user.login}: "
        f"{pull.head.ref} -> {pull.base.ref} ({pull.changed_files} files changed)"
    )
    parts = [header, untrusted("Title", pull.title), untrusted("Description", pull.body or "")]
    if with_diff:
        diff = pull_request_diff(handle, number)
        parts.append(untrusted("Diff (new-file line numbers before '|')", annotated_diff(diff.text)))
        if diff.skipped:
            parts.append(skipped_note(diff.skipped))
    return "\n\n".join(parts)


def skipped_note(skipped: dict[str, str]) -> str:
    return "Changed files not in the diff:\n" + "\n".join(
        f"- {path}: {why}" for path, why in sorted(skipped.items())
    )


def issue_text(handle: RepoHandle, number: int) -> str:
    issue = handle.repo().get_issue(number)
    parts = [
        f"Issue #{number} in {handle.full_name} by @{issue.user.login} ({issue.state})",
        untrusted("Title", issue.title),
        untrusted("Body", issue.body or ""),
    ]
    comments = [c for c in issue.get_comments() if "<!-- lok:report -->" not in (c.body or "")]
    for comment in comments[-COMMENT_LIMIT:]:
        parts.append(untrusted(f"Comment by @{comment.user.login}", comment.body or ""))
    return "\n\n".join(parts)


def changed_files(handle: RepoHandle, number: int) -> list[str]:
    return [f.filename for f in handle.repo().get_pull(number).get_files()]
