"""`lok init` end to end: the real CLI detecting backends on a controlled PATH, writing lok.toml that
the real config loader and `lok doctor` then read; `--workflow` copies that `lok workflow list` shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lok_action.config import load_config
from tests.fakes.project import LokProject


@pytest.fixture
def only_codex(lok_project: LokProject, tmp_path: Path) -> LokProject:
    """PATH holds a `codex` program (with a key) and nothing else of the vendor CLIs; the user's config points
    ollama at a closed port and the embedded model at a missing file, so only codex is ready."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    codex = bin_dir / "codex"
    codex.write_text("#!/bin/sh\necho codex\n")
    codex.chmod(0o755)
    lok_project.env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
    lok_project.env["OPENAI_API_KEY"] = "sk-test"  # installed and logged in
    user_config = Path(lok_project.env["XDG_CONFIG_HOME"]) / "lok" / "lok.toml"
    user_config.parent.mkdir(parents=True)
    user_config.write_text(
        '[backends.ollama]\ncommand = "http://127.0.0.1:9"\n[backends.local]\nmodel_path = "/nonexistent/m.gguf"\n'
    )
    return lok_project


def test_init_writes_a_commented_config_for_the_ready_backends(only_codex: LokProject) -> None:
    result = only_codex.lok_installed("init", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ready"] == ["codex", "ruff", "bandit"]  # the analyzers come with the [local] extra
    assert set(report["disabled"]) == {"gemini", "claude", "ollama", "local"}
    path = only_codex.root / "lok.toml"
    text = path.read_text()
    assert "# not ready: gemini not found on PATH (fix: npm install -g @google/gemini-cli)" in text
    assert "# seconds one backend call may take" in text
    # the written file is valid config: the real loader reads it back with the same choices
    config = load_config(only_codex.root, path, env={"HOME": str(only_codex.root)})
    assert config.backends["codex"].enabled and config.backends["codex"].command == "codex"
    assert not config.backends["gemini"].enabled and not config.backends["ollama"].enabled
    assert config.backends["ollama"].command == "http://127.0.0.1:9"
    doctor = only_codex.lok_installed("doctor", "--json")
    assert doctor.returncode == 0, doctor.stderr
    assert [b["name"] for b in json.loads(doctor.stdout)["backends"]] == ["codex", "ruff", "bandit"]
    assert "codex: ready" in result.stderr  # progress as it checked


def test_init_refuses_to_overwrite_without_force(only_codex: LokProject) -> None:
    path = only_codex.root / "lok.toml"
    path.write_text("# mine\n")
    refused = only_codex.lok("init")
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"lok: error: {path}: already exists (use --force to overwrite)"
    assert path.read_text() == "# mine\n"
    forced = only_codex.lok("init", "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.strip() == f"wrote {path}: 3 backend(s) enabled (codex, ruff, bandit)"
    assert "[backends.codex]" in path.read_text()


def test_init_workflow_copies_a_builtin_that_then_lists_as_local(only_codex: LokProject) -> None:
    listed = only_codex.lok("workflow", "list")
    assert any(line.split()[:2] == ["hunt", "(built-in)"] for line in listed.stdout.splitlines())
    result = only_codex.lok("init", "--workflow", "hunt", "--json")
    assert result.returncode == 0, result.stderr
    target = only_codex.root / ".lok" / "workflows" / "hunt.toml"
    assert json.loads(result.stdout)["written"] == str(target)
    builtin = (Path(__file__).resolve().parents[1] / "workflows" / "hunt.toml").read_text()
    assert target.read_text().endswith(builtin) and target.read_text().startswith("# Copied from")
    listed = only_codex.lok("workflow", "list")
    assert any(line.split()[:2] == ["hunt", "(local)"] for line in listed.stdout.splitlines()), listed.stdout
    assert not (only_codex.root / "lok.toml").exists()  # --workflow only copies
    again = only_codex.lok("init", "--workflow", "hunt")
    assert again.returncode == 2 and "already exists (use --force" in again.stderr
    unknown = only_codex.lok("init", "--workflow", "hnt")
    assert unknown.returncode == 2
    assert "no built-in workflow 'hnt' (did you mean 'hunt'?)" in unknown.stderr
