"""Every git call lok makes, with one error policy.

A git command that must succeed raises GitError naming the command and git's stderr on one line. The
questions that may fairly have no answer (is this a work tree? does the checkout hold that commit?)
answer False, None or "" instead, and so does a machine without git, except where the caller needs
git itself (``require``).
"""

from __future__ import annotations

from pathlib import Path

from lok_action.errors import GitError, GitNotFound
from lok_action.process import ProcessResult, run_process

STDERR_CHARS = 200  # of git's complaint, kept on the error's one line
LISTING_CAP = 256 * 1024 * 1024  # bytes of file names `git ls-files` may print
DIFF_CAP = 64 * 1024 * 1024  # bytes of diff


def run(args: list[str], cwd: Path, *, timeout: float = 30, output_cap: int | None = None) -> ProcessResult:
    """`git ARGS` in ``cwd``; GitNotFound without git. The caller reads ``ok``."""
    argv = ["git", *args]
    try:
        if output_cap is None:
            return run_process(argv, cwd=cwd, timeout=timeout)
        return run_process(argv, cwd=cwd, timeout=timeout, output_cap=output_cap)
    except FileNotFoundError:
        raise GitNotFound("git not found on PATH") from None


def require(args: list[str], cwd: Path, *, timeout: float = 120, output_cap: int | None = None) -> str:
    """`git ARGS`'s stdout; GitError naming the command when it fails or its output was cut."""
    result = run(args, cwd, timeout=timeout, output_cap=output_cap)
    command = " ".join(["git", *args])
    if not result.ok:
        why = "timed out" if result.timed_out else " ".join(result.stderr.split())[:STDERR_CHARS]
        raise GitError(f"{command} failed: {why}")
    if result.truncated:  # a cut listing or diff would silently leave things out
        cap = output_cap or 0
        raise GitError(f"{command} printed more than {cap // (1024 * 1024)} MiB")
    return result.stdout


def _answer(args: list[str], cwd: Path, timeout: float = 30) -> ProcessResult | None:
    """`git ARGS`, or None without git: for questions whose answer may be "no"."""
    try:
        return run(args, cwd, timeout=timeout)
    except GitNotFound:
        return None


def in_work_tree(directory: Path) -> bool:
    """Whether ``directory`` is inside a git work tree (GitNotFound without git: the callers differ
    in what that means)."""
    inside = run(["rev-parse", "--is-inside-work-tree"], directory)
    return inside.ok and inside.stdout.strip() == "true"


def top_level(directory: Path) -> Path | None:
    """The work tree's top directory (git prints paths relative to it); None outside one."""
    result = _answer(["rev-parse", "--show-toplevel"], directory)
    top = result.stdout.strip() if result is not None and result.ok else ""
    return Path(top).resolve() if top else None


def prefix(directory: Path) -> str:
    """``directory`` relative to the work tree's top ("src/"), "" at the top or outside a work tree."""
    result = _answer(["rev-parse", "--show-prefix"], directory)
    return result.stdout.strip() if result is not None and result.ok else ""


def head_sha(directory: Path, timeout: float = 10) -> str:
    """The checked-out commit, or ""."""
    result = _answer(["rev-parse", "HEAD"], directory, timeout)
    return result.stdout.strip() if result is not None and result.ok else ""


def origin_url(directory: Path) -> str:
    """The `origin` remote's URL, or ""."""
    result = _answer(["remote", "get-url", "origin"], directory, 10)
    return result.stdout.strip() if result is not None and result.ok else ""


def has_commit(directory: Path, revision: str) -> bool:
    result = _answer(["cat-file", "-e", f"{revision}^{{commit}}"], directory)
    return result is not None and result.ok


def parent_count(directory: Path, sha: str) -> int | None:
    """Parents recorded in the commit object (None when git cannot read it)."""
    result = _answer(["cat-file", "-p", sha], directory)
    if result is None or not result.ok:
        return None
    header = result.stdout.split("\n\n", 1)[0]
    return sum(1 for line in header.splitlines() if line.startswith("parent "))


def show_file(directory: Path, revision: str, path: str) -> str | None:
    """A file's text at ``revision`` (path relative to ``directory``), or None when it has none."""
    result = _answer(["show", f"{revision}:./{path}"], directory, 60)
    return result.stdout if result is not None and result.ok else None


def listed_files(root: Path) -> list[str]:
    """Tracked plus untracked-but-not-ignored files under ``root``, relative to it, sorted."""
    out = require(
        ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], root, output_cap=LISTING_CAP
    )
    return sorted(set(filter(None, out.split("\0"))))


def diff(root: Path, revision_range: str | None) -> str:
    """``git diff --cached`` (staged changes) or ``git diff A..B``, three lines of context."""
    args = ["diff", "--no-color", "--no-ext-diff", "-U3"]
    args += ["--cached"] if revision_range is None else [revision_range, "--"]
    return require(args, root, output_cap=DIFF_CAP)


def resolve_commit(root: Path, revision: str) -> str | None:
    """The full sha of ``revision`` when it names a commit here, else None."""
    result = _answer(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], root)
    sha = result.stdout.strip() if result is not None and result.ok else ""
    return sha or None


def changed_since(root: Path, revision: str) -> tuple[set[str], set[str]]:
    """(changed, gone): files under ``root`` (relative to it) whose content in the working tree differs
    from ``revision``: committed since, staged, unstaged or untracked; renames followed (the new path
    is changed, the old one gone), deleted files gone."""
    out = require(
        ["diff", "--name-status", "-z", "-M", "--relative", "--no-ext-diff", revision, "--"],
        root,
        output_cap=LISTING_CAP,
    )
    changed: set[str] = set()
    gone: set[str] = set()
    fields = out.split("\0")
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index]
        if status[0] in "RC":  # rename or copy: old path, new path
            old, new = fields[index + 1], fields[index + 2]
            if status[0] == "R":
                gone.add(old)
            changed.add(new)
            index += 3
            continue
        path = fields[index + 1]
        (gone if status[0] == "D" else changed).add(path)
        index += 2
    untracked = require(["ls-files", "-z", "--others", "--exclude-standard"], root, output_cap=LISTING_CAP)
    changed.update(filter(None, untracked.split("\0")))
    return changed, gone
