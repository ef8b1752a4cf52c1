"""apply_edits: check every edit first, apply all or none, verify, and restore byte for byte on failure."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from lok_action.errors import LokError
from lok_action.jsonextract import OutputParseError, extract_json
from lok_action.workflow.shell import ShellContext, describe_process_failure, run_shell_command
from lok_action.workflow.templating import TemplateProblem, render_shell


class EditError(Exception):
    """An edit cannot be applied, or verification failed (the workspace was restored). Not a LokError:
    the edits are a model's, so the step (or the conduct round) that asked for them fails with this."""


@dataclass(frozen=True)
class Edit:
    file: str
    old: str
    new: str


def parse_edits(text: str) -> list[Edit]:
    """The edits in `{"edits": [{"file", "old", "new"}, ...]}` found in (chatty) output."""
    data = extract_json(text, "json")
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        data = next((item for item in data if "edits" in item), data[0])
    if not isinstance(data, dict) or "edits" not in data:
        raise EditError('output has no {"edits": [...]} object')
    raw = data["edits"]
    if not isinstance(raw, list):
        raise EditError("'edits' must be a list")
    edits = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise EditError(f"edits[{index}] must be an object with file, old, new")
        fields = {key: item.get(key) for key in ("file", "old", "new")}
        missing = [key for key, value in fields.items() if not isinstance(value, str)]
        if missing:
            raise EditError(f"edits[{index}]: {', '.join(missing)} must be a string")
        edits.append(Edit(**fields))  # type: ignore[arg-type]
    if not edits:
        raise EditError("'edits' is empty")
    return edits


def protected_reason(relative: PurePosixPath) -> str:
    """Why proposed edits may not touch this path, or "". Git's own files run hooks and config on the
    user's next git command; lok's config and workflows would let an edit add commands that lok itself
    runs later (conduct runs workflows in the same session)."""
    parts = [part.lower() for part in relative.parts]
    if ".git" in parts:
        return "edits to git's own files (.git/) are not allowed"
    if ".lok" in parts:
        return "edits to lok's workflows and runs (.lok/) are not allowed"
    if parts == ["lok.toml"]:
        return "edits to lok's configuration (lok.toml) are not allowed"
    return ""


def resolve_inside(workspace: Path, name: str) -> Path:
    """The file `name` inside `workspace`, refusing absolute paths, `..` and symlink escapes."""
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or name.startswith("\\") or ":" in pure.parts[0]:
        raise EditError(f"{name!r}: must be a path relative to the workspace")
    if ".." in pure.parts:
        raise EditError(f"{name!r}: '..' is not allowed in edit paths")
    root = workspace.resolve()
    target = (root / pure).resolve()
    if target != root and root not in target.parents:
        raise EditError(f"{name!r}: resolves outside the workspace (symlink escape)")
    protected = protected_reason(pure) or protected_reason(PurePosixPath(target.relative_to(root).as_posix()))
    if protected:
        raise EditError(f"{name!r}: {protected}")
    if not target.is_file():
        raise EditError(f"{name!r}: file not found in the workspace")
    return target


def plan_edits(edits: Iterable[Edit], workspace: Path) -> tuple[dict[Path, bytes], dict[Path, bytes]]:
    """Check every edit against the files and return (originals, new contents). Writes nothing."""
    originals: dict[Path, bytes] = {}
    current: dict[Path, str] = {}
    for index, edit in enumerate(edits):
        where = f"edit {index + 1} ({edit.file})"
        path = resolve_inside(workspace, edit.file)
        if path not in current:
            data = path.read_bytes()
            try:
                current[path] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise EditError(f"{where}: not a UTF-8 text file") from None
            originals[path] = data
        if not edit.old:
            raise EditError(f"{where}: 'old' is empty")
        count = current[path].count(edit.old)
        if count == 0:
            raise EditError(f"{where}: 'old' text not found")
        if count > 1:
            raise EditError(f"{where}: 'old' text is ambiguous ({count} matches, need exactly 1)")
        current[path] = current[path].replace(edit.old, edit.new, 1)
    return originals, {path: text.encode("utf-8") for path, text in current.items()}


def write_all(contents: Mapping[Path, bytes], originals: Mapping[Path, bytes]) -> None:
    """Write every file in place (keeping inode and mode); if one write fails, restore the others."""
    written: list[Path] = []
    try:
        for path, data in contents.items():
            path.write_bytes(data)
            written.append(path)
    except OSError as error:
        restore({path: originals[path] for path in [*written, path]})
        raise EditError(f"{path}: cannot write: {error}; nothing was changed") from None


def restore(originals: Mapping[Path, bytes]) -> None:
    for path, data in originals.items():
        path.write_bytes(data)


class GitAgent:
    """git-agent (github.com/ducks/git-agent) checkpoints, used as the original lok did: only when the
    program runs, the workspace is initialised (`.agent/`) and a session is active (`.agent/current`)."""

    def __init__(self, program: str, workspace: Path) -> None:
        self.program = program
        self.workspace = workspace

    @classmethod
    def detect(cls, workspace: Path, env: Mapping[str, str]) -> GitAgent | None:
        from lok_action.process import run_process

        current = workspace / ".agent" / "current"
        try:
            active = current.is_file() and bool(current.read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError):
            active = False
        program = shutil.which("git-agent", path=env.get("PATH"))
        if program is None or not active:
            return None
        version = run_process([program, "--version"], cwd=workspace, env=env, timeout=30)
        return cls(program, workspace) if version.ok else None

    def _run(self, *args: str, env: Mapping[str, str]) -> bool:
        from lok_action.process import run_process

        return run_process([self.program, *args], cwd=self.workspace, env=env, timeout=60).ok

    def checkpoint(self, env: Mapping[str, str]) -> bool:
        return self._run("checkpoint", "-m", "lok: before apply_edits", env=env)

    def rollback(self, env: Mapping[str, str]) -> bool:
        return self._run("undo", "1", env=env)


def apply_edits_from_outputs(
    texts: list[str],
    ctx: ShellContext,
    *,
    verify: str | None,
    variables: Mapping[str, Any],
    step_names: list[str],
    timeout: float,
    note: Callable[[str], None],
) -> str:
    """Apply the edits of the first output that has any, then verify. Returns a summary; raises EditError
    (workspace restored byte for byte) when an edit cannot be applied or verification fails."""
    problems = []
    edits: list[Edit] | None = None
    for text in texts:
        try:
            edits = parse_edits(text)
            break
        except (EditError, OutputParseError) as error:
            problems.append(str(error))
    if edits is None:
        raise EditError(f"apply_edits: {'; '.join(problems) or 'no output'}")
    note("applying edits...")
    originals, contents = plan_edits(edits, ctx.workdir)  # raises before anything is written
    agent = GitAgent.detect(ctx.workdir, ctx.env)
    if agent is not None:
        if agent.checkpoint(ctx.env):
            note("git-agent checkpoint created")
        else:
            agent = None  # no checkpoint to roll back to
    write_all(contents, originals)
    note(f"applied {len(edits)} edit(s) to {len(contents)} file(s)")
    if verify is None:
        return f"applied {len(edits)} edit(s)"
    note(f"verify: {verify}")
    try:
        process, _attempts = run_shell_command(render_shell(verify, variables, step_names), ctx, timeout)
    except (
        TemplateProblem,
        LokError,
    ) as error:  # nothing ran: a bad template, or a wrapper that cannot hold it
        restore(originals)
        raise EditError(f"verify: {error}; edits rolled back") from None
    if process.ok:
        return f"applied {len(edits)} edit(s), verified"
    restore(originals)
    how = "restored"
    if agent is not None and agent.rollback(ctx.env):
        how = "rolled back via git-agent and restored"
    raise EditError(
        f"verification failed ({describe_process_failure(process, timeout, ctx.env)}); edits {how}"
    )
