"""apply_edits: all or nothing, never outside the workspace, restored byte for byte after a failed verify."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from lok_action.workflow.model import parse_workflow
from lok_action.workflow.runner import run_workflow
from tests.fakes.engine_fixtures import command_backend, engine_context
from tests.fakes.project import LokProject

CRLF_BYTES = b"line one\r\nold = 1\r\n\xe2\x9c\x93 unicode\r\nno newline at end"


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if ".lok" in path.parts or path.name in ("lok.toml", "reply.txt"):
            continue
        info = path.lstat()
        digest.update(f"{path.relative_to(root)}|{stat.S_IFMT(info.st_mode)}|{info.st_mode & 0o777}".encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def workspace(lok_project: LokProject, tmp_path: Path) -> LokProject:
    root = lok_project.root
    (root / "src").mkdir()
    (root / "src" / "a.py").write_bytes(CRLF_BYTES)
    (root / "src" / "b.py").write_text("x = 1\ny = 2\n")
    (root / "src" / "dup.py").write_text("same\nsame\n")
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    outside = tmp_path / "outside.txt"
    outside.write_text("secret = 1\n")
    os.symlink(outside, root / "src" / "link.py")
    os.symlink(tmp_path, root / "escape")
    lok_project.write_config(command_backend("claude", "--reply-file", str(root / "reply.txt")))
    return lok_project


def run_edits(project: LokProject, edits: list[dict[str, str]], verify: str | None = None):
    (project.root / "reply.txt").write_text(
        "Here are the edits:\n" + json.dumps({"edits": edits}) + "\nDone."
    )
    text = '[[steps]]\nname = "fix"\nbackend = "claude"\napply_edits = true\nprompt = "fix it"\n'
    if verify is not None:
        text += f"verify = {json.dumps(verify)}\n"
    workflow = parse_workflow(text, "edits.toml")
    return run_workflow(workflow, engine_context(project)).steps["fix"]


GOOD = {"file": "src/b.py", "old": "y = 2", "new": "y = 3"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"file": "src/missing.py", "old": "a", "new": "b"}, "file not found"),
        ({"file": "src/b.py", "old": "not there", "new": "b"}, "'old' text not found"),
        ({"file": "src/dup.py", "old": "same", "new": "b"}, "ambiguous (2 matches"),
        ({"file": "../outside.txt", "old": "secret", "new": "b"}, "'..' is not allowed"),
        ({"file": "/etc/hostname", "old": "a", "new": "b"}, "must be a path relative"),
        ({"file": "src/link.py", "old": "secret", "new": "b"}, "outside the workspace"),
        ({"file": "escape/outside.txt", "old": "secret", "new": "b"}, "outside the workspace"),
        ({"file": "src/b.py", "old": "", "new": "b"}, "'old' is empty"),
    ],
)
def test_a_bad_edit_applies_nothing(
    workspace: LokProject, tmp_path: Path, bad: dict[str, str], message: str
) -> None:
    before = tree_hash(workspace.root)
    outside_before = (tmp_path / "outside.txt").read_bytes()
    step = run_edits(workspace, [GOOD, {"file": "src/a.py", "old": "old = 1", "new": "old = 2"}, bad])
    assert step.status == "failed"
    assert message in step.error
    assert tree_hash(workspace.root) == before
    assert (tmp_path / "outside.txt").read_bytes() == outside_before


def test_edits_apply_and_keep_bytes_around_them(workspace: LokProject) -> None:
    step = run_edits(
        workspace,
        [
            GOOD,
            {"file": "src/a.py", "old": "old = 1", "new": "old = 2"},
            {"file": "src/b.py", "old": "x = 1", "new": "x = 0"},
        ],
        verify="grep -q 'y = 3' src/b.py",
    )
    assert step.status == "success", step.error
    assert (workspace.root / "src" / "a.py").read_bytes() == CRLF_BYTES.replace(b"old = 1", b"old = 2")
    assert (workspace.root / "src" / "b.py").read_text() == "x = 0\ny = 3\n"
    assert "applied 3 edit(s), verified" in step.message


def test_failed_verify_restores_every_touched_file(workspace: LokProject) -> None:
    before = tree_hash(workspace.root)
    edits = [
        GOOD,
        {"file": "src/a.py", "old": "old = 1", "new": "old = 2"},
        {"file": "run.sh", "old": "hi", "new": "bye"},
    ]
    step = run_edits(workspace, edits, verify="grep -q 'y = 3' src/b.py && exit 1")
    assert step.status == "failed"
    assert "verification failed (exit 1)" in step.error
    assert tree_hash(workspace.root) == before
    assert os.access(workspace.root / "run.sh", os.X_OK)


def test_verify_timeout_restores(workspace: LokProject) -> None:
    before = tree_hash(workspace.root)
    (workspace.root / "reply.txt").write_text(json.dumps({"edits": [GOOD]}))
    text = '[[steps]]\nname = "fix"\nbackend = "claude"\napply_edits = true\ntimeout = 400\nverify = "sleep 5"\nprompt = "x"\n'
    step = run_workflow(parse_workflow(text, "t.toml"), engine_context(workspace)).steps["fix"]
    assert "timed out" in step.error
    assert tree_hash(workspace.root) == before


def test_a_verify_the_command_wrapper_cannot_hold_restores_every_file(workspace: LokProject) -> None:
    """The wrapper is applied when the verify command runs, after the edits were written: a wrapper
    that cannot hold a command (`{cmd}` inside backticks) must roll them back like a failed verify."""
    root = workspace.root
    workspace.write_config(
        command_backend("claude", "--reply-file", str(root / "reply.txt")),
        defaults='command_wrapper = "echo `{cmd}`"',
    )
    before = tree_hash(root)
    step = run_edits(workspace, [GOOD], verify="true")
    assert step.status == "failed"
    assert tree_hash(root) == before, "the edits stayed in place"
    assert "command_wrapper" in step.error and "edits rolled back" in step.error, step.error


@pytest.mark.parametrize(
    "reply", ["no json at all", '{"changes": []}', '{"edits": "nope"}', '{"edits": [{"file": 1}]}']
)
def test_malformed_edit_output_fails_without_touching_anything(workspace: LokProject, reply: str) -> None:
    before = tree_hash(workspace.root)
    (workspace.root / "reply.txt").write_text(reply)
    text = '[[steps]]\nname = "fix"\nbackend = "claude"\napply_edits = true\nprompt = "x"\n'
    step = run_workflow(parse_workflow(text, "t.toml"), engine_context(workspace)).steps["fix"]
    assert step.status == "failed"
    assert "edits" in step.error
    assert tree_hash(workspace.root) == before


def fake_git_agent(workspace: LokProject) -> Path:
    """git-agent itself cannot be installed here (cargo from GitHub); a program of that name on PATH
    records its calls, and the workspace layout (`.agent/current`) is what the original lok checked."""
    bin_dir = workspace.root.parent / "bin"
    bin_dir.mkdir()
    log = workspace.root.parent / "git-agent.log"
    agent = bin_dir / "git-agent"
    agent.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    agent.chmod(0o755)
    workspace.env["PATH"] = f"{bin_dir}:{workspace.env['PATH']}"
    return log


def test_git_agent_checkpoint_and_rollback_when_a_session_is_active(workspace: LokProject) -> None:
    log = fake_git_agent(workspace)
    (workspace.root / ".agent").mkdir()
    (workspace.root / ".agent" / "current").write_text("session-1\n")
    before = tree_hash(workspace.root)
    step = run_edits(workspace, [GOOD], verify="false")
    assert step.status == "failed"
    assert "rolled back via git-agent and restored" in step.error
    assert log.read_text().splitlines() == ["--version", "checkpoint -m lok: before apply_edits", "undo 1"]
    assert tree_hash(workspace.root) == before


def test_git_agent_is_left_alone_without_an_active_session(workspace: LokProject) -> None:
    log = fake_git_agent(workspace)
    (workspace.root / ".agent").mkdir()  # initialised, but no session begun
    before = tree_hash(workspace.root)
    step = run_edits(workspace, [GOOD], verify="false")
    assert step.status == "failed"
    assert "edits restored" in step.error
    assert not log.exists()
    assert tree_hash(workspace.root) == before


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (".git/config", "git's own files"),
        (".GIT/config", "git's own files"),
        ("src/gitlink", "git's own files"),  # a symlink into .git/
        (".lok/workflows/w.toml", "lok's workflows"),
        ("lok.toml", "lok's configuration"),
    ],
)
def test_edits_never_touch_git_or_lok_files(workspace: LokProject, target: str, message: str) -> None:
    """An edit there would run later without anyone applying it: git hooks/config on the next git
    command, a workflow shell step or a command backend on lok's next run."""
    root = workspace.root
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n\tbare = false\n")
    os.symlink(root / ".git" / "config", root / "src" / "gitlink")
    workspace.write_workflow("w", '[[steps]]\nname = "s"\nshell = "true"\n')
    watched = [root / ".git" / "config", root / ".lok" / "workflows" / "w.toml", root / "lok.toml"]
    before = [path.read_bytes() for path in watched]
    old = (
        "bare = false"
        if "git" in target.lower()
        else ('shell = "true"' if "w.toml" in target else "[backends")
    )
    step = run_edits(workspace, [GOOD, {"file": target, "old": old, "new": "changed"}])
    assert step.status == "failed"
    assert message in step.error
    assert [path.read_bytes() for path in watched] == before
    assert (root / "src" / "b.py").read_text() == "x = 1\ny = 2\n"  # all or nothing
