"""Kind specs a plugin could get wrong, each named by an entry point in tests/test_backends_plugins.py
(`echo = tests.fakes.bad_kinds:NAME`); lok must refuse each with a one-line error naming the plugin."""

from __future__ import annotations

from lok_action.backends.spec import KindSpec
from tests.fakes.echo_kind import EchoBackend

NOT_A_BACKEND = KindSpec(name="echo", backend_class=dict)  # type: ignore[arg-type]
ZERO_BUDGET = KindSpec(name="echo", backend_class=EchoBackend, budget_chars=0)
TAKES_CODEX = KindSpec(name="echo", backend_class=EchoBackend, builtin={"codex": {}})
BAD_TABLE = KindSpec(name="echo", backend_class=EchoBackend, builtin={"echo": {"colour": "blue"}})
