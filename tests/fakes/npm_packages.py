"""Install npm packages at pinned versions into a prefix that survives runs (one installer for the test helpers).

A prefix is named by the hash of its package specs, so a version bump gets a fresh install and an old
prefix is never half-reused. A file lock keeps parallel test processes from installing into it at once,
and a `.complete` marker is written only after npm succeeded (and `finish` ran), so an interrupted install
is redone.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path


def prefix_for(root: Path, pinned: Mapping[str, str]) -> Path:
    spec = ",".join(f"{name}@{version}" for name, version in sorted(pinned.items()))
    return root / hashlib.sha256(spec.encode()).hexdigest()[:12]


def npm_install(
    root: Path,
    pinned: Mapping[str, str],
    complete: Callable[[Path], bool],
    finish: Callable[[Path], None] | None = None,
    timeout: float = 600,
) -> Path:
    """Install (once; later calls reuse the prefix) and return the prefix holding node_modules.

    `complete(prefix)` says whether what the caller needs is in place; `finish(prefix)` may tidy up after
    npm (for example delete files no test reads) before the prefix is marked complete.
    """
    if shutil.which("npm") is None:
        raise RuntimeError("npm not found on PATH: install Node.js 20+ and npm to run these tests")
    root.mkdir(parents=True, exist_ok=True)
    prefix = prefix_for(root, pinned)
    with open(root / f"{prefix.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ((prefix / ".complete").is_file() and complete(prefix)):
            shutil.rmtree(prefix, ignore_errors=True)
            prefix.mkdir(parents=True)
            specs = [f"{name}@{version}" for name, version in pinned.items()]
            # scripts must run: Claude Code's postinstall places its native binary, the SARIF multitool's
            # makes its binary executable
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
            if finish is not None:
                finish(prefix)
            (prefix / ".complete").write_text("\n".join(specs) + "\n")
    return prefix
