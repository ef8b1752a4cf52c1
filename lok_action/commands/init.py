"""`lok init`: write a commented lok.toml for the backends that are ready here, or copy a built-in
workflow into .lok/workflows/ so it can be customised (the local copy then overrides the built-in)."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from lok_action.errors import UsageError, closest

EXAMPLES = """examples:
  lok init                    write ./lok.toml for the backends 'lok doctor' finds ready
  lok init --force            overwrite an existing lok.toml
  lok init --workflow hunt    copy the built-in hunt workflow to .lok/workflows/hunt.toml
"""


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.epilog = EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.add_argument("--workflow", metavar="NAME", help="copy this built-in workflow into .lok/workflows/")
    parser.add_argument("--json", action="store_true", help="print what was written as JSON")
    parser.add_argument("-C", "--dir", default=".", help="project directory (default .)")


def run(args: argparse.Namespace) -> int:
    project = Path(args.dir).resolve()
    if not project.is_dir():
        raise UsageError(f"--dir {args.dir}: not a directory")
    report = (
        copy_workflow(project, args.workflow, args.force) if args.workflow else write_config(project, args)
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(report["message"])
    return 0


def builtin_workflow_text(name: str) -> str:
    from lok_action.workflow.lookup import builtin_files

    texts = {found: text for found, _label, text in builtin_files()}
    if name not in texts:
        known = sorted(texts)
        raise UsageError(
            f"--workflow: no built-in workflow '{name}'{closest(name, known)} (built-in: {', '.join(known)})"
        )
    return texts[name]


def copy_workflow(project: Path, name: str, force: bool) -> dict[str, Any]:
    from lok_action.atomic import atomic_write_text

    text = builtin_workflow_text(name)
    target = project / ".lok" / "workflows" / f"{name}.toml"
    if target.exists() and not force:
        raise UsageError(f"{target}: already exists (use --force to overwrite)")
    header = (
        f"# Copied from the built-in '{name}' workflow by `lok init`; this copy overrides the built-in.\n"
    )
    atomic_write_text(target, header + text)
    return {
        "written": str(target),
        "workflow": name,
        "message": f"wrote {target} (shows as '{name} (local)')",
    }


def write_config(project: Path, args: argparse.Namespace) -> dict[str, Any]:
    from lok_action.atomic import atomic_write_text
    from lok_action.backends.selection import check_availability, enabled_backends
    from lok_action.config import load_config
    from lok_action.progress import Progress

    target = project / "lok.toml"
    if target.exists() and not args.force:
        raise UsageError(f"{target}: already exists (use --force to overwrite)")
    progress = Progress(quiet=args.quiet)
    # detect from the built-in defaults and the user's file, not the project file being replaced
    with tempfile.TemporaryDirectory() as empty:
        config = load_config(Path(empty), Path(args.config) if args.config else None)
    backends = enabled_backends(config, env=os.environ)
    progress.note(f"checking {len(backends)} backends...")
    states = check_availability(backends)
    rows = []
    for backend, state in zip(backends, states, strict=True):
        progress.note(f"{backend.name}: {'ready' if state.ready else state.reason}")
        rows.append((backend.config, state))
    text = render_config(config, rows)
    atomic_write_text(target, text)
    ready = [bc.name for bc, state in rows if state.ready]
    message = f"wrote {target}: {len(ready)} backend(s) enabled ({', '.join(ready) or 'none ready'})"
    return {
        "written": str(target),
        "ready": ready,
        "disabled": [bc.name for bc, s in rows if not s.ready],
        "message": message,
    }


def render_config(config: Any, rows: list[tuple[Any, Any]]) -> str:
    """A lok.toml with a short comment on every setting; ready backends on, the others off with the fix."""
    from lok_action.backends.registry import kind_spec

    today = datetime.date.today().isoformat()
    ready = [bc.name for bc, state in rows if state.ready]
    lines = [
        f"# lok.toml, written by `lok init` on {today}.",
        "# Merged key by key over the built-in defaults and ~/.config/lok/lok.toml; see `lok doctor`.",
        f"# Backends found ready: {', '.join(ready) if ready else 'none (install one, then set enabled = true)'}.",
        "",
        "[defaults]",
        "# run independent steps and backend calls in parallel",
        f"parallel = {toml_value(config.parallel)}",
        "# seconds one backend call may take",
        f"timeout = {toml_value(config.timeout)}",
        "# most steps/backend calls at once",
        f"max_parallel = {toml_value(config.max_parallel)}",
        "# wrap every workflow shell command; {cmd} is replaced by the command, e.g.",
        "# command_wrapper = \"nix-shell --run '{cmd}'\"",
        "",
    ]
    for backend, state in rows:
        spec = kind_spec(backend.kind)
        lines.append(f"[backends.{backend.name}]")
        if state.ready:
            lines.append("# ready")
        else:
            fix = f" (fix: {state.fix})" if state.fix else ""
            lines.append("# not ready: " + " ".join(f"{state.reason}{fix}".split()))  # one comment line
        lines.append(f"enabled = {toml_value(bool(state.ready))}")
        lines.append(f"kind = {toml_value(backend.kind)}")
        if backend.command:
            lines += [f"# {spec.command_is or 'command'}", f"command = {toml_value(backend.command)}"]
        if backend.model:
            lines.append(f"model = {toml_value(backend.model)}")
        if backend.model_path:
            lines.append(f"model_path = {toml_value(backend.model_path)}")
        if backend.args:
            lines.append(f"args = {toml_value(list(backend.args))}")
        elif spec.takes_cli_args:
            lines.append(
                '# extra arguments, appended to the defaults (args_mode = "replace" to replace them)'
            )
            lines.append("# args = []")
        if backend.timeout is not None:
            lines.append(f"timeout = {toml_value(backend.timeout)}")
        lines.append("")
    lines += [
        "[cache]",
        "# keep successful answers, keyed by backend, prompt and directory",
        f"enabled = {toml_value(config.cache_enabled)}",
        f"ttl_hours = {toml_value(config.cache_ttl_hours)}",
        "",
    ]
    return "\n".join(lines)


def toml_value(value: Any) -> str:
    """A TOML literal. JSON strings and lists of strings are valid TOML basic strings/arrays."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)
