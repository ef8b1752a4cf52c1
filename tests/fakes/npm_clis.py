"""The three real vendor CLIs, installed from npm at pinned versions into a cache that survives runs.

The versions are the ones checked in ../shared/notes/backend-clis.md; bump them together with the notes.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

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


def _versions_hash() -> str:
    spec = ",".join(f"{name}@{version}" for name, version in sorted(PINNED.items()))
    return hashlib.sha256(spec.encode()).hexdigest()[:12]


def _complete(prefix: Path) -> bool:
    return (prefix / ".complete").is_file() and all(
        (prefix / "node_modules" / ".bin" / program).exists() for program in PROGRAMS.values()
    )


def install_clis(timeout: float = 600) -> InstalledClis:
    """Install (once; later calls reuse the cache) and return where the programs are.

    A file lock keeps parallel test processes from installing into the same prefix at once.
    """
    if shutil.which("npm") is None:
        raise RuntimeError("npm not found on PATH: install Node.js 20+ and npm to run the real-CLI tests")
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    prefix = root / _versions_hash()
    with open(root / f"{prefix.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _complete(prefix):
            shutil.rmtree(prefix, ignore_errors=True)
            prefix.mkdir(parents=True)
            specs = [f"{name}@{version}" for name, version in PINNED.items()]
            # Claude Code's postinstall puts its native binary in place: scripts must run.
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--prefix",
                    str(prefix),
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    *specs,
                ],
                check=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
            (prefix / ".complete").write_text("\n".join(specs) + "\n")
    return InstalledClis(prefix)


if __name__ == "__main__":
    clis = install_clis()
    for program in PROGRAMS.values():
        print(clis.path(program))
