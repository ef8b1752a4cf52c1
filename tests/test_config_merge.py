"""lok.toml layers: built-in defaults, then the user file, then the project file (or --config), key by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lok_action.config import load_config
from lok_action.errors import ConfigError
from tests.fakes.project import LokProject


def write_user(project: LokProject, text: str) -> None:
    path = project.home / ".config" / "lok" / "lok.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_layers_merge_key_by_key(lok_project: LokProject) -> None:
    write_user(lok_project, '[defaults]\ntimeout = 60\n[backends.codex]\nargs = ["--user"]\nmodel = "o3"\n')
    (lok_project.root / "lok.toml").write_text(
        '[defaults]\nmax_parallel = 2\n[backends.codex]\nmodel = "o4"\n'
    )
    config = load_config(lok_project.root, None, lok_project.env)
    assert (config.timeout, config.max_parallel, config.parallel) == (60, 2, True)  # user, project, built-in
    codex = config.backends["codex"]
    assert (codex.model, codex.args, codex.command) == ("o4", ("--user",), "codex")
    assert "gemini" in config.backends  # built-in backends survive a user [backends] table
    assert config.cache_enabled is True


def test_config_option_replaces_the_project_file(lok_project: LokProject, tmp_path: Path) -> None:
    (lok_project.root / "lok.toml").write_text("[defaults]\nmax_parallel = 2\n")
    other = tmp_path / "other.toml"
    other.write_text("[defaults]\ntimeout = 7\n")
    config = load_config(lok_project.root, other, lok_project.env)
    assert (config.timeout, config.max_parallel) == (7, 8)


def test_unknown_key_names_file_key_and_suggestion(lok_project: LokProject) -> None:
    write_user(lok_project, "[cache]\nttl_hour = 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(lok_project.root, None, lok_project.env)
    message = str(info.value)
    assert "lok/lok.toml" in message and "cache.ttl_hour" in message and "ttl_hours" in message


def test_parallel_false_means_one_step_at_a_time(lok_project: LokProject) -> None:
    from lok_action.workflow.runner import RunContext

    (lok_project.root / "lok.toml").write_text("[defaults]\nparallel = false\nmax_parallel = 4\n")
    config = load_config(lok_project.root, None, lok_project.env)
    assert RunContext(config, lok_project.root).parallelism() == 1
    assert RunContext(config, lok_project.root, max_parallel=3).parallelism() == 3
