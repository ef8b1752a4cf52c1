"""The three real vendor CLIs, installed from npm at pinned versions into a cache that survives runs.

The versions are the ones the backend notes were checked against; bump them together with those notes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.npm_packages import npm_install

PINNED: dict[str, str] = {
    "@anthropic-ai/claude-code": "2.1.197",
    "@openai/codex": "0.169.0",
    "@google/gemini-cli": "0.61.0",
}
# package -> the program it puts in node_modules/.bin
PROGRAMS: dict[str, str] = {
    "@anthropic-ai/claude-code": "claude",
    "@openai/codex": "codex",
    "@google/gemini-cli": "gemini",
}


@dataclass(frozen=True)
class InstalledClis:
    prefix: Path

    @property
    def bin_dir(self) -> Path:
        return self.prefix / "node_modules" / ".bin"

    def path(self, program: str) -> Path:
        return self.bin_dir / program


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("LOK_TEST_NPM_CACHE", str(Path(base) / "lok-test" / "npm-clis")))


def _complete(prefix: Path) -> bool:
    return all((prefix / "node_modules" / ".bin" / program).exists() for program in PROGRAMS.values())


def install_clis(timeout: float = 600) -> InstalledClis:
    """Install (once; later calls reuse the cache) and return where the programs are."""
    return InstalledClis(npm_install(cache_root(), PINNED, _complete, timeout=timeout))


if __name__ == "__main__":
    clis = install_clis()
    for program in PROGRAMS.values():
        print(clis.path(program))
