"""Keep secrets that reach a backend through its environment out of the error texts we print."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# env var names that conventionally hold credentials
SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)
MIN_SECRET_LENGTH = 4  # shorter values ("x", "1") would mangle ordinary text and protect nothing


def secret_values(env: Mapping[str, str], extra_names: Iterable[str] = ()) -> list[str]:
    """Values of the env vars that look like secrets, plus those named explicitly (api_key_env)."""
    names = {name for name in env if SECRET_NAME.search(name)} | {n for n in extra_names if n}
    values = {env[name] for name in names if len(env.get(name, "")) >= MIN_SECRET_LENGTH}
    return sorted(values, key=len, reverse=True)  # longest first: a value containing another goes whole


def redact(text: str, env: Mapping[str, str], extra_names: Iterable[str] = ()) -> str:
    for value in secret_values(env, extra_names):
        text = text.replace(value, "***")
    return text


FAILURE_TAIL = 500  # characters of a failed process's output quoted in an error


def failure_tail(
    stderr: str,
    stdout: str,
    env: Mapping[str, str],
    extra_names: Iterable[str] = (),
    limit: int = FAILURE_TAIL,
) -> str:
    """The end of a failed backend process's stderr (its stdout when stderr is empty), safe to show in
    errors, --json and GitHub comments: secrets from its environment redacted before the cut, so no
    part of one survives at the cut's edge."""
    extra = list(extra_names)
    for text in (stderr, stdout):
        shown = redact(text.strip(), env, extra)[-limit:]
        if shown:
            return shown
    return ""
