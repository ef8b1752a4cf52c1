"""A backend kind from outside lok_action: `echo` says the prompt back. It is registered only by an
entry point in the `lok_action.backends` group (tests/test_backends_plugins.py writes one into a
temporary *.dist-info on PYTHONPATH), the way a third-party package adds a kind.

It answers from the environment lok passes it (ECHO_PREFIX), so a test sees that env reach it, and it
is ready only when that environment does not say ECHO_DOWN, so a test sees doctor ask its available().
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lok_action.backends.base import Availability, Backend, Reply
from lok_action.backends.spec import KindSpec, Strength


class EchoBackend(Backend):
    kind = "echo"

    def available(self) -> Availability:
        if self.child_env().get("ECHO_DOWN"):
            return Availability(False, "ECHO_DOWN is set", "unset ECHO_DOWN")
        return Availability(True, "ready")

    def query(
        self, prompt: str, workdir: Path, timeout: float, *, schema: Mapping[str, Any] | None = None
    ) -> Reply:
        prefix = self.child_env().get("ECHO_PREFIX", "echo")
        return Reply(self.name, text=f"{prefix}: {prompt}", input_tokens=len(prompt.split()))


KIND = KindSpec(
    name="echo",
    backend_class=EchoBackend,
    builtin={"echo": {"model": "parrot-1"}},
    install_hint="pip install lok-echo-kind",
    strengths=(Strength("says your words back, unchanged", ("echo", "repeat", "parrot")),),
    budget_chars=5_000,
    max_chunks=2,
    command_is="",
)
