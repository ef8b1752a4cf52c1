"""`lok ask PROMPT`: ask backends in parallel, print each answer under its name as it arrives."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lok_action import ranges
from lok_action.backends.base import Backend, Reply
from lok_action.config import Config

if TYPE_CHECKING:
    from lok_action.cassette import Cassette


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("prompt", nargs="+", help="the question; '-' reads it from stdin")
    parser.add_argument(
        "-b", "--backends", metavar="NAMES", help="comma-separated backends (default: every ready one)"
    )
    parser.add_argument("--json", action="store_true", help="print all replies as one JSON list at the end")
    parser.add_argument("-C", "--dir", metavar="DIR", default=".", help="directory the backends work in")
    parser.add_argument(
        "--timeout",
        type=ranges.SECONDS.option("--timeout"),
        metavar="SECONDS",
        help=f"per backend ({ranges.SECONDS.span()}; default: config)",
    )
    parser.add_argument(
        "--retries",
        type=ranges.RETRIES.option("--retries"),
        default=0,
        metavar="N",
        help=f"retries on 429/5xx/timeouts ({ranges.RETRIES.span()})",
    )
    from lok_action.commands.options import add_cassette_options

    add_cassette_options(parser)


def read_prompt(words: list[str]) -> str:
    from lok_action.errors import UsageError

    prompt = sys.stdin.read() if words == ["-"] else " ".join(words)
    if not prompt.strip():
        raise UsageError("the prompt is empty")
    return prompt


def chosen_backends(
    config: Config, names_arg: str | None, cassette: Cassette | None = None
) -> tuple[list[Backend], list[Reply]]:
    """The backends to ask, and failure replies for named ones that are not ready (in -b order).
    In a replay, the ones the cassette holds answers from are ready, installed or not."""
    from lok_action.backends import resolve_backends
    from lok_action.backends.selection import check_availability, default_backend_names

    if cassette is not None and cassette.replaying:
        names = cassette.default_backends(config, os.environ) if names_arg is None else None
        if names is not None:
            return resolve_backends(config, names, env=os.environ), []
        named = resolve_backends(config, _split(names_arg), env=os.environ)
        recorded = [b for b in named if cassette.availability(b.name) is not None]
        if cassette.missing == "fail" or len(recorded) == len(named):
            return named, []  # a name the cassette lacks: the call is a miss (exit 2), not "not ready"
    if names_arg is None:
        # default_backend_names already checked availability
        return resolve_backends(config, default_backend_names(config, env=os.environ), env=os.environ), []
    # unknown names: exit 2
    backends = resolve_backends(config, _split(names_arg), env=os.environ)
    ready, not_ready = [], []
    for backend, state in zip(backends, check_availability(backends), strict=True):
        if state.ready:
            ready.append(backend)
        else:
            fix = f" (fix: {state.fix})" if state.fix else ""
            not_ready.append(Reply(backend.name, error=f"not ready: {state.reason}{fix}"))
    return ready, not_ready


def _split(names_arg: str | None) -> list[str]:
    from lok_action.commands.options import split_names

    return split_names(names_arg or "", "-b/--backends")


def print_reply(reply: Reply, output_cap: int | None = None) -> None:
    if reply.ok:
        from lok_action.process import DEFAULT_OUTPUT_CAP, cut_note

        note = "cached" if reply.cached else f"{reply.duration:.1f}s"
        if reply.truncated:
            note += f", {cut_note(output_cap or DEFAULT_OUTPUT_CAP)}"
        print(f"=== {reply.backend} ({note}) ===\n{reply.text.rstrip()}\n", flush=True)
    else:
        print(f"=== {reply.backend} (failed) ===\nerror: {reply.error}\n", flush=True)


def run(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from lok_action.backends.calling import call_backend, open_cache
    from lok_action.commands.requests import cassette_spec
    from lok_action.config import load_config
    from lok_action.pipeline import open_cassette

    workdir = Path(args.dir).resolve()
    cassette = open_cassette(cassette_spec(args))
    prompt = read_prompt(args.prompt)
    config = load_config(workdir, Path(args.config) if args.config else None)
    backends, replies = chosen_backends(config, args.backends, cassette)
    # --json lists replies in -b order (not-ready ones included), else in the default order
    if args.backends:
        requested = [name.strip() for name in args.backends.split(",") if name.strip()]
    else:
        requested = [r.backend for r in replies] + [b.name for b in backends]
    if not args.json:
        for reply in replies:
            print_reply(reply)
    if backends and not args.quiet:
        print(f"asking {', '.join(b.name for b in backends)}...", file=sys.stderr, flush=True)
    cache = open_cache(config.cache_enabled, config.cache_ttl_hours, args.no_cache)
    with ThreadPoolExecutor(max_workers=max(1, min(len(backends), config.max_parallel))) as pool:
        futures = [
            pool.submit(
                call_backend,
                backend,
                prompt,
                workdir,
                args.timeout or config.backend_timeout(backend.config),
                cache=cache,
                retries=max(args.retries, 0),
                cassette=cassette,
            )
            for backend in backends
        ]
        for future in as_completed(futures):
            reply = future.result()
            replies.append(reply)
            if not args.json:
                print_reply(reply, config.output_cap)
    if cassette is not None:
        cassette.finish()
    if args.json:
        position = {name: i for i, name in enumerate(requested)}
        ordered = sorted(replies, key=lambda r: position.get(r.backend, len(position)))
        print(json.dumps([r.to_dict() for r in ordered], indent=2))
    return 0 if any(reply.ok for reply in replies) else 1
