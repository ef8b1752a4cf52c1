"""Backends run in the environment they are given (the run's RunContext.env, or a command's own), not
in lok's process environment: their children inherit it, their programs are looked up on its PATH,
their secrets are found in it, and the runner hands its env down. Nothing in lok_action/backends/
reads os.environ."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest

from lok_action.backends import create_backend
from lok_action.config import BackendConfig, load_config
from lok_action.workflow.model import parse_workflow
from lok_action.workflow.runner import RunContext, run_workflow

BACKENDS = Path(__file__).resolve().parents[1] / "lok_action" / "backends"
# prints two variables of its environment, one line each
SHOW_ENV = "import os; print(os.environ.get('FROM_RUN', '-')); print(os.environ.get('ONLY_IN_LOK', '-'))"


def script_backend(tmp_path: Path, code: str) -> BackendConfig:
    script = tmp_path / "show_env.py"
    script.write_text(code)
    return BackendConfig(name="show", kind="command", command=f"{sys.executable} {script}")


def run_env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), **extra}


def test_a_backends_child_gets_the_env_it_was_given_not_loks_own(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ONLY_IN_LOK", "leaked")
    backend = create_backend(script_backend(tmp_path, SHOW_ENV), env=run_env(FROM_RUN="given"))

    reply = backend.query("q", tmp_path, 30)

    assert reply.ok, reply.error
    assert reply.text.split() == ["given", "-"]


def test_the_github_tokens_of_the_given_env_stay_withheld(tmp_path: Path) -> None:
    code = "import os; print(os.environ.get('GITHUB_TOKEN', 'none'))"
    backend = create_backend(
        script_backend(tmp_path, code), env=run_env(GITHUB_TOKEN="ghs_job_token_1234567")
    )

    assert backend.query("q", tmp_path, 30).text.strip() == "none"


def test_secrets_of_the_given_env_are_redacted_from_answers(tmp_path: Path) -> None:
    code = "import os; print('key is', os.environ['VENDOR_API_KEY'])"
    backend = create_backend(
        script_backend(tmp_path, code), env=run_env(VENDOR_API_KEY="sk-run-0123456789abcdef")
    )

    from lok_action.backends.calling import call_backend

    assert call_backend(backend, "q", tmp_path, 30).text.strip() == "key is ***"


@pytest.mark.parametrize("kind", ["command", "sarif", "codex"])
def test_programs_are_looked_up_on_the_given_path(tmp_path: Path, kind: str) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    program = tools / "only-here"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    args = ("{files}",) if kind == "sarif" else ()
    config = BackendConfig(name="tool", kind=kind, command="only-here", args=args)
    env = run_env(PATH=f"{tools}{os.pathsep}{os.environ['PATH']}", OPENAI_API_KEY="sk-test-key-1234567")

    assert create_backend(config, env=env).available().ready
    assert not create_backend(config, env=run_env()).available().ready  # lok's own PATH has no such program


def test_the_runner_hands_its_env_to_the_backends(tmp_path: Path, monkeypatch, isolated_env: Path) -> None:
    script = tmp_path / "show_env.py"
    script.write_text(SHOW_ENV)
    (tmp_path / "lok.toml").write_text(
        f'[backends.show]\nkind = "command"\ncommand = "{sys.executable} {script}"\n[cache]\nenabled = false\n'
    )
    monkeypatch.setenv("ONLY_IN_LOK", "leaked")
    workflow = parse_workflow('name = "w"\n[[steps]]\nname = "ask"\nbackend = "show"\nprompt = "q"\n')
    context = RunContext(
        config=load_config(tmp_path, tmp_path / "lok.toml"), workdir=tmp_path, env=run_env(FROM_RUN="run")
    )

    run = run_workflow(workflow, context)

    step = run.steps["ask"]
    assert step.success, step.error
    assert str(step.output).split() == ["run", "-"]


def test_nothing_in_backends_reads_the_process_environment() -> None:
    """The one exception writes: the embedded model's OpenMP runtime is configured in-process, where
    nothing but the process environment reaches it."""
    found = []
    for path in sorted(BACKENDS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = ast.unparse(node) if isinstance(node, (ast.Attribute, ast.Call, ast.ImportFrom)) else ""
            if (
                (
                    isinstance(node, ast.ImportFrom)
                    and node.module == "os"
                    and any(a.name in ("environ", "getenv") for a in node.names)
                )
                or isinstance(node, ast.Attribute)
                and text in ("os.environ", "os.getenv", "os.environb")
            ):
                found.append(f"{path.name}:{node.lineno}: {text}")
    assert found == ["xllamacpp_runtime.py:50: os.environ"], found
