"""Whether a vendor CLI has credentials to work with, without calling the vendor.

A CLI that is installed but not logged in would be chosen as a default backend and then fail every
call (or, offline, hang until its timeout); counting it as not ready lets the next backend, or the
embedded model, do the work, and `lok doctor` says how to log in."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CredentialRule:
    """How to see that a vendor CLI is logged in; each CLI kind declares its own (KindSpec.credentials)."""

    env_vars: tuple[str, ...]  # any one set (non-empty) is enough
    login_files: tuple[tuple[str, str], ...]  # (env var naming a home dir, file under it) ...
    default_files: tuple[str, ...]  # ... or these paths under $HOME when that env var is unset
    fix: str


# codex custom providers name their key variable: -c 'model_providers.x={..., env_key="MY_KEY"}'
PROVIDER_ENV_KEY = re.compile(r"""env_key\s*=\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")


def missing_credentials(
    rule: CredentialRule | None, env: Mapping[str, str], args: Iterable[str] = (), api_key_env: str = ""
) -> str | None:
    """None when credentials are there (or cannot be seen, as in the macOS keychain); else the fix.
    ``rule`` is the kind's (its KindSpec.credentials): None for a kind that needs no login."""
    if rule is None or sys.platform == "darwin":  # macOS logins live in the keychain
        return None
    named = [api_key_env] if api_key_env else []
    named += PROVIDER_ENV_KEY.findall(" ".join(args))
    if named:  # the user said which variable holds the key: that one decides
        return None if any(env.get(name) for name in named) else f"set {' or '.join(named)}"
    if any(env.get(name) for name in rule.env_vars):
        return None
    home = Path(env.get("HOME") or Path.home())
    for (dir_var, relative), default in zip(rule.login_files, rule.default_files, strict=True):
        path = Path(env[dir_var]) / relative if env.get(dir_var) else home / default
        if path.is_file():
            return None
    return rule.fix
