"""What calls cost: prices, the characters -> tokens estimate, and the plan of a run (what it would
send, and what that would cost) as data with its text and JSON forms. A leaf: it imports no
orchestration, so the reports and the budget guard can both read it.

The estimate: a token is taken to be 4 characters of prompt or answer (the usual figure for English
and code with the vendors' BPE tokenizers; code with much indentation comes out a little cheaper),
and each call's answer is taken to be ANSWER_TOKENS tokens until it has come back. A backend that
reports its own cost (Claude Code's `total_cost_usd`) or token counts is charged those after the call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lok_action.backends.base import Backend
    from lok_action.reply import Reply

CHARS_PER_TOKEN = 4
ANSWER_TOKENS = 500  # estimated tokens of one findings answer, before it comes back
PER_MILLION = 1_000_000


@dataclass(frozen=True)
class Price:
    """USD per million tokens in (the prompt) and out (the answer)."""

    price_in: float = 0.0
    price_out: float = 0.0

    @property
    def free(self) -> bool:
        return self.price_in == 0 and self.price_out == 0

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.price_in + tokens_out * self.price_out) / PER_MILLION


def price_of(backend: Backend) -> Price:
    """lok.toml's price_in/price_out, else the kind's defaults (KindSpec); static analyzers are free."""
    if not backend.answers_prompts:
        return Price()
    spec, config = backend.spec, backend.config
    return Price(
        config.price_in if config.price_in is not None else spec.price_in,
        config.price_out if config.price_out is not None else spec.price_out,
    )


def tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


def estimate_call(price: Price, prompt_chars: int) -> float:
    """The cost of one call before it is made."""
    return price.cost(tokens(prompt_chars), ANSWER_TOKENS)


def actual_call(price: Price, prompt_chars: int, reply: Reply) -> float:
    """What one call cost: the backend's own figure, else its token counts, else the characters."""
    if reply.cached or reply.attempts == 0:
        return 0.0
    if reply.cost_usd is not None:
        return reply.cost_usd
    sent = (
        reply.input_tokens if reply.input_tokens is not None else tokens(prompt_chars) * (1 + reply.repairs)
    )
    answered = reply.output_tokens if reply.output_tokens is not None else tokens(len(reply.text))
    return price.cost(sent, answered)


# ---- the plan


@dataclass
class BackendPlan:
    name: str
    price: Price = field(default_factory=Price)
    chunks: int = 0  # chunks it is given (its budget decides how many)
    calls: int = 0
    prompt_chars: int = 0
    tokens_in: int = 0  # estimated per call, as the budget guard estimates each call
    estimated_calls: int = 0  # calls whose prompt depends on earlier steps' output (not known yet)

    def add_prompt(self, chars: int) -> None:
        self.prompt_chars += chars
        self.tokens_in += tokens(chars)

    @property
    def tokens_out(self) -> int:
        return self.calls * ANSWER_TOKENS

    @property
    def cost_usd(self) -> float:
        return self.price.cost(self.tokens_in, self.tokens_out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "chunks": self.chunks,
            "calls": self.calls,
            "prompt_chars": self.prompt_chars,
            "estimated_tokens_in": self.tokens_in,
            "estimated_tokens_out": self.tokens_out,
            "price_in": self.price.price_in,
            "price_out": self.price.price_out,
            "estimated_cost_usd": round(self.cost_usd, 6),
            "calls_with_estimated_prompts": self.estimated_calls,
        }


@dataclass
class VerificationBound:
    """The most the challenge round could send. How many calls it makes depends on the findings, so
    it is not known before the run: at most ``max_calls`` (the run's cap), each prompt under
    ``prompt_chars`` characters, each call priced as the dearest backend that could be asked (any
    verification call may go to any of them, so only the total is bounded, not each backend's share)."""

    max_calls: int
    prompt_chars: int  # the cap on one verification prompt (findings.challenge.MAX_PROMPT_CHARS)
    price: Price = field(default_factory=Price)
    priced_as: str = ""  # the backend whose price is used

    @property
    def max_prompt_chars(self) -> int:
        return self.max_calls * self.prompt_chars

    @property
    def tokens_in(self) -> int:
        return self.max_calls * tokens(self.prompt_chars)

    @property
    def tokens_out(self) -> int:
        return self.max_calls * ANSWER_TOKENS

    @property
    def cost_usd(self) -> float:
        return self.price.cost(self.tokens_in, self.tokens_out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_calls": self.max_calls,
            "prompt_chars_per_call": self.prompt_chars,
            "max_prompt_chars": self.max_prompt_chars,
            "max_tokens_in": self.tokens_in,
            "max_tokens_out": self.tokens_out,
            "priced_as": self.priced_as,
            "max_cost_usd": round(self.cost_usd, 6),
        }

    def line(self) -> str:
        return (
            f"Challenge round: up to {self.max_calls} verification call{'s' if self.max_calls != 1 else ''}"
            f" (how many depends on the findings), at most {self.max_prompt_chars:,} prompt chars"
            f" (~{self.tokens_in:,} tokens in, ~{self.tokens_out:,} out), at most ~${self.cost_usd:.4f}"
            f" (priced as {self.priced_as}, the dearest that could be asked)"
        )


@dataclass
class Plan:
    workflow: str
    target: str
    backends: list[BackendPlan] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # the steps that would ask backends
    skipped_steps: list[str] = field(default_factory=list)  # ruled out by their `when`
    files: int = 0  # files analysed (candidates), when code is given
    skipped_files: int = 0
    notes: list[str] = field(default_factory=list)
    verification: VerificationBound | None = None  # None: the run would have no challenge round

    @property
    def calls(self) -> int:
        return sum(b.calls for b in self.backends)

    @property
    def prompt_chars(self) -> int:
        return sum(b.prompt_chars for b in self.backends)

    @property
    def cost_usd(self) -> float:
        return sum(b.cost_usd for b in self.backends)

    @property
    def max_cost_usd(self) -> float:
        """The analysis's estimate plus the most the challenge round could cost."""
        return self.cost_usd + (self.verification.cost_usd if self.verification is not None else 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "lok-plan/1",
            "workflow": self.workflow,
            "target": self.target,
            "steps": list(self.steps),
            "skipped_steps": list(self.skipped_steps),
            "files": self.files,
            "skipped_files": self.skipped_files,
            "calls": self.calls,
            "prompt_chars": self.prompt_chars,
            "estimated_tokens_in": sum(b.tokens_in for b in self.backends),
            "estimated_cost_usd": round(self.cost_usd, 6),
            "chars_per_token": CHARS_PER_TOKEN,
            "answer_tokens_per_call": ANSWER_TOKENS,
            "backends": [b.to_dict() for b in self.backends],
            # the figures above leave the challenge round out (its calls depend on the findings)
            "verification": self.verification.to_dict() if self.verification is not None else None,
            "max_cost_usd": round(self.max_cost_usd, 6),
            "notes": list(self.notes),
        }

    def render_text(self) -> str:
        out = [f"Plan: {self.workflow} on {self.target} (nothing was called)"]
        if self.files or self.skipped_files:
            out.append(f"Files: {self.files} to analyse, {self.skipped_files} skipped")
        steps = ", ".join(self.steps) or "none"
        skipped = f" (skipped by `when`: {', '.join(self.skipped_steps)})" if self.skipped_steps else ""
        out.append(f"Steps asking backends: {steps}{skipped}")
        for b in self.backends:
            price = "free" if b.price.free else f"${b.price.price_in:g}/${b.price.price_out:g} per M tokens"
            out.append(
                f"  {b.name}: {b.chunks} chunk{'s' if b.chunks != 1 else ''}, {b.calls} call"
                f"{'s' if b.calls != 1 else ''}, {b.prompt_chars:,} prompt chars (~{b.tokens_in:,} tokens in,"
                f" ~{b.tokens_out:,} out), ~${b.cost_usd:.4f} ({price})"
            )
        out.append(
            f"Total: {self.calls} call{'s' if self.calls != 1 else ''}, {self.prompt_chars:,} prompt chars, estimated ${self.cost_usd:.4f}"
            f" ({CHARS_PER_TOKEN} chars per token, {ANSWER_TOKENS} tokens per answer)"
        )
        if self.verification is not None:
            out.append(self.verification.line())
            out.append(f"At most: estimated ${self.max_cost_usd:.4f} with the challenge round")
        out += [f"Note: {note}" for note in self.notes]
        return "\n".join(out) + "\n"
