"""Keep the secrets lok knows out of everything a backend hands back: one rule for what is secret, one
Redactor that masks them by value. call_backend applies it to every reply as it leaves a backend (answer
text and error alike), so no reply carries a secret into --json, reports, run folders, caches or
comments; backends that cut an error to its tail redact first, so no part of a secret survives the cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from lok_action.reply import Reply

# env var names that conventionally hold credentials
SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASS(WORD|WD|PHRASE)?(?![a-z])|CREDENTIAL)", re.IGNORECASE)
MIN_SECRET_LENGTH = 4  # shorter values ("x", "1") would mangle ordinary text and protect nothing
# A backend's `env` table may hold credentials under any name, so its values count as secrets too; from
# this length only, so `MODEL = "small"` does not turn every "small" in every answer into ***.
MIN_TABLE_VALUE_LENGTH = 8
MASK = "***"
# scheme://user:password@host: the user:password part, in any text (a DATABASE_URL, an error quoting one)
URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^\s/?#@:]*:[^\s/?#@]*)@")


def url_passwords(text: str) -> set[str]:
    """The passwords inside URLs in ``text``, as written and percent-decoded."""
    found: set[str] = set()
    for match in URL_CREDENTIALS.finditer(text):
        password = match.group("userinfo").partition(":")[2]
        found |= {password, unquote(password)}
    return found


def secret_values(
    env: Mapping[str, str], extra_names: Iterable[str] = (), table_values: Iterable[str] = ()
) -> list[str]:
    """Values of the env vars that look like secrets or are named explicitly (api_key_env), the
    passwords of URLs in any env value, and the values of backends' `env` tables."""
    names = {name for name in env if SECRET_NAME.search(name)} | {n for n in extra_names if n}
    found = {env[name] for name in names if name in env}
    for value in env.values():
        if "://" in value:
            found |= url_passwords(value)
    found = {value for value in found if len(value) >= MIN_SECRET_LENGTH}
    found |= {value for value in table_values if len(value) >= MIN_TABLE_VALUE_LENGTH}
    return sorted(found, key=len, reverse=True)


@dataclass(frozen=True)
class Redactor:
    """Masks known secret values (longest first: a value containing another goes whole) and the
    credentials of any URL."""

    secrets: tuple[str, ...] = ()

    @classmethod
    def for_env(
        cls, env: Mapping[str, str], extra_names: Iterable[str] = (), table_values: Iterable[str] = ()
    ) -> Redactor:
        return cls(tuple(secret_values(env, extra_names, table_values)))

    def __call__(self, text: str) -> str:
        for value in self.secrets:
            text = text.replace(value, MASK)
        return URL_CREDENTIALS.sub(lambda match: f"{match.group('scheme')}{MASK}@", text)

    def reply(self, reply: Reply) -> Reply:
        """The reply with its answer, error and note redacted (a note may quote a failed repair's error)."""
        error = None if reply.error is None else self(reply.error)
        return replace(reply, text=self(reply.text), error=error, note=self(reply.note))


def redact(text: str, env: Mapping[str, str], extra_names: Iterable[str] = ()) -> str:
    return Redactor.for_env(env, extra_names)(text)


FAILURE_TAIL = 500  # characters of a failed process's output quoted in an error


def failure_tail(
    stderr: str,
    stdout: str,
    env: Mapping[str, str],
    extra_names: Iterable[str] = (),
    limit: int = FAILURE_TAIL,
) -> str:
    """The end of a failed process's stderr (its stdout when stderr is empty), with the secrets of its
    environment redacted (see tail_of)."""
    return tail_of(stderr, stdout, Redactor.for_env(env, extra_names), limit)


def tail_of(stderr: str, stdout: str, redact: Redactor, limit: int = FAILURE_TAIL) -> str:
    """The end of a failed process's stderr (its stdout when stderr is empty), redacted before the cut,
    so no part of a secret survives at the cut's edge."""
    for text in (stderr, stdout):
        shown = redact(text.strip())[-limit:]
        if shown:
            return shown
    return ""
