"""The one small interface every backend kind implements (the Reply it answers with: lok_action.reply)."""

from __future__ import annotations

import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from lok_action.reply import Reply

if TYPE_CHECKING:
    from lok_action.backends.redaction import Redactor
    from lok_action.backends.spec import KindSpec
    from lok_action.config import BackendConfig

# Credentials of the GitHub run itself, kept from every backend process.
WITHHELD_FROM_BACKENDS = frozenset(
    {
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "INPUT_GITHUB-TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
    }
)


@dataclass(frozen=True)
class Availability:
    ready: bool
    reason: str  # "ready" or why not, e.g. "codex not found on PATH"
    fix: str = ""  # how to make it ready, e.g. "npm install -g @openai/codex"


class Backend(ABC):
    """A configured backend instance (several may share one kind under different names)."""

    kind: ClassVar[str]
    # CLI agents read the repository themselves; HTTP/embedded models only see what the prompt carries.
    reads_workspace: ClassVar[bool] = False
    # False for static analyzers: they take part in findings steps through analyse(), never query().
    answers_prompts: ClassVar[bool] = True

    def __init__(self, config: BackendConfig, env: Mapping[str, str]) -> None:
        self.config = config
        # the environment of the run that made this backend (the runner's RunContext.env, or the
        # command's own): what its children inherit and where its secrets are looked for
        self.base_env = env

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def spec(self) -> KindSpec:
        """Everything the kind declares (backends.registry)."""
        from lok_action.backends.registry import kind_spec

        return kind_spec(self.kind)

    def target(self) -> str:
        """What it runs or talks to, as `lok backends` lists it: a program, a URL, a model file."""
        return self.config.command

    def which(self, program: str) -> str | None:
        """``program`` found on the PATH its children get (not lok's own, which may differ)."""
        return shutil.which(program, path=self.child_env().get("PATH", os.defpath))

    @abstractmethod
    def available(self) -> Availability:
        """Whether the backend can answer now, and if not, why and how to fix it. Never raises."""

    @abstractmethod
    def query(
        self, prompt: str, workdir: Path, timeout: float, *, schema: Mapping[str, Any] | None = None
    ) -> Reply:
        """Ask once. Never raises for runtime failures: returns a Reply with error set.

        With a ``schema`` (a JSON Schema, lok_action.findings.schema), the answer should be one JSON
        value matching it: each kind passes it to its vendor's own structured-output mechanism, or
        says it in the prompt where the vendor has none."""

    def analyse(self, files: Sequence[str], workdir: Path, timeout: float) -> Reply:
        """Static analyzers (answers_prompts = False): findings for ``files`` (relative to workdir),
        as the findings JSON the LLMs answer. Never raises for runtime failures."""
        return Reply(self.name, error=f"{self.kind} backends answer prompts; they do not analyse files")

    def identity(self) -> dict[str, Any]:
        """What makes two answers interchangeable (the cache key's backend part)."""
        return {
            "kind": self.kind,
            "command": self.config.command,
            "model": self.config.model or self.config.model_path,
            "args": list(self.config.args),
            "args_mode": self.config.args_mode,
            # env MODEL=small and MODEL=big are different backends; only the key's sha256 is stored
            "env": sorted(self.config.env.items()),
            "api_key_env": self.config.api_key_env,
        }

    def child_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment a child process of this backend gets: never the GitHub or Actions tokens
        (a model-driven program has no business holding write access), unless the backend's own
        `env` table passes one on purpose."""
        env = {name: value for name, value in self.base_env.items() if name not in WITHHELD_FROM_BACKENDS}
        env.update(self.config.env)
        if extra:
            env.update(extra)
        return env

    def redactor(self) -> Redactor:
        """Masks every secret this backend could see and so print: what the redaction rule finds in its
        environment, its api_key_env, its `env` table's values (see backends.redaction)."""
        from lok_action.backends.redaction import Redactor

        env = {**self.base_env, **self.child_env()}
        return Redactor.for_env(env, [self.config.api_key_env], self.config.env.values())
