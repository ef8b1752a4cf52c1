"""What a backend kind says about itself: one ``KindSpec``, named ``KIND`` in the kind's module.

Every fact lok needs about a kind lives there (its built-in [backends.X] tables, credentials, install
hint, strengths for `lok suggest`, context budget, what `lok init` writes for it...), the way each of
pre-commit's ``languages/<name>.py`` modules carries everything about one language. The behaviour
(answering, the health check ``available()``) is the backend class's. backends.registry finds the
modules: lok's own kinds and the ones plugins add.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lok_action.backends.credentials import CredentialRule

if TYPE_CHECKING:
    from lok_action.backends.base import Backend
    from lok_action.config import BackendConfig

__all__ = ["AGENT_BUDGET", "PRIVATE", "PROMPT_BUDGET", "CredentialRule", "KindSpec", "Strength"]

# Characters of code context per prompt when lok.toml sets no budget_chars. CLI agents read the
# workspace themselves and have big windows; a model that sees only its prompt gets a modest one.
AGENT_BUDGET = 400_000
PROMPT_BUDGET = 24_000
# `lok suggest`: what a task says when its code must not leave the machine
PRIVATE = (
    "private", "privacy", "offline", "local", "confidential", "sensitive", "proprietary",
    "air-gap", "airgap", "no network", "no cloud", "on-prem",
)  # fmt: skip


@dataclass(frozen=True)
class Strength:
    """What a kind is good at, for `lok suggest` and the ensemble modes' choice of a backend."""

    what: str  # in a few words, shown as the reason
    keywords: tuple[str, ...]  # matched at word starts, case-insensitively


@dataclass(frozen=True)
class KindSpec:
    name: str  # the `kind = "..."` of lok.toml
    backend_class: type[Backend]  # its available() is the health check `lok doctor` shows
    # the [backends.NAME] tables this kind contributes to the built-in config ("kind" is implied)
    builtin: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    credentials: CredentialRule | None = None  # for a vendor CLI: how to tell it is logged in
    install_hint: str = ""  # how to get the program or server, e.g. "npm install -g @openai/codex"
    strengths: tuple[Strength, ...] = ()
    # `lok suggest` when no strength matches a task: the lowest rank first (built-ins: claude 10,
    # codex 20, gemini 30, ollama 40, openai 50, command 60, local 90)
    general_rank: int = 70
    # characters of code context per prompt (None: AGENT_BUDGET for a kind that reads the workspace,
    # else PROMPT_BUDGET), and the most chunks one run gives it (None: as many as the files need)
    budget_chars: int | None = None
    max_chunks: int | None = None
    takes_cli_args: bool = False  # `lok init` offers an `args = []` line
    command_is: str = "program to run"  # what its `command` key holds, as `lok init` comments it
    required: tuple[str, ...] = ()  # keys a backend of this kind cannot work without
    # more checks of a [backends.X] table of this kind when the config loads; raises ConfigError
    check: Callable[[BackendConfig], None] | None = None
    # the weak offline last resort: a built-in backend of this kind is a default only when no other
    # backend is ready, and the default when none at all is
    fallback: bool = False
    # USD per million tokens in (prompt) and out (answer) of `priced_model`, the model the kind runs
    # when lok.toml names none; lok.toml's price_in/price_out override them. 0: free (local, command)
    price_in: float = 0.0
    price_out: float = 0.0
    priced_model: str = ""

    @property
    def reads_workspace(self) -> bool:
        return self.backend_class.reads_workspace

    @property
    def answers_prompts(self) -> bool:
        return self.backend_class.answers_prompts

    def budget(self) -> tuple[int, int | None]:
        """(characters per prompt, most chunks) for a backend whose lok.toml sets no budget_chars."""
        if self.budget_chars is not None:
            return self.budget_chars, self.max_chunks
        return (AGENT_BUDGET if self.reads_workspace else PROMPT_BUDGET), self.max_chunks
