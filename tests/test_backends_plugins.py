"""A backend kind added from outside lok_action, the way a third-party package adds one: one module
(tests/fakes/echo_kind.py) and one entry-point line in a *.dist-info on PYTHONPATH. Nothing else is
touched, and the kind shows up in `lok doctor`, `lok backends`, `lok init` and `lok suggest`, answers
`lok ask`, and gets the context budget it declares. A plugin that cannot be used is a one-line error
naming it. Every run is the real `lok` in a subprocess."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Any

import pytest

from lok_action.backends.registry import GROUP, KIND_MODULES
from tests.fakes.project import REPO_ROOT, LokProject

ECHO = "echo = tests.fakes.echo_kind"


def install_plugin(runner: LokProject, tmp_path: Path, *lines: str) -> Path:
    """A distribution holding only entry points, found on the lok subprocess's PYTHONPATH."""
    site = tmp_path / "plugin-site"
    dist_info = site / "lok_test_plugin-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: lok-test-plugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[{GROUP}]\n" + "".join(f"{line}\n" for line in lines))
    runner.env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), str(site)])
    return site


def run_json(runner: LokProject, *args: str) -> Any:
    result = runner.lok(*args, "--json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_a_plugin_kind_shows_up_everywhere_with_one_module_and_one_line(
    lok_project: LokProject, tmp_path: Path
) -> None:
    install_plugin(lok_project, tmp_path, ECHO)

    doctor = run_json(lok_project, "doctor")
    [echo] = [row for row in doctor["backends"] if row["name"] == "echo"]
    assert echo == {
        "name": "echo",
        "kind": "echo",
        "ready": True,
        "reason": "ready",
        "fix": "",
        "analyzer": False,
    }
    assert "✓ echo - ready" in lok_project.lok("doctor").stdout.splitlines()

    backends = run_json(lok_project, "backends")
    [row] = [row for row in backends if row["name"] == "echo"]
    assert (row["kind"], row["model"], row["available"], row["source"]) == (
        "echo",
        "parrot-1",
        True,
        "built-in",
    )

    suggestion = run_json(lok_project, "suggest", "repeat this sentence back to me")
    assert suggestion["backend"] == "echo"
    assert "says your words back" in suggestion["reason"] and "repeat" in suggestion["reason"]

    written = run_json(lok_project, "init")
    assert "echo" in written["ready"]
    text = (lok_project.root / "lok.toml").read_text()
    table = text.split("[backends.echo]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert table == ["# ready", "enabled = true", 'kind = "echo"', 'model = "parrot-1"']
    # the file init wrote loads back, plugin kind and all
    assert lok_project.lok("backends").returncode == 0


def test_a_plugin_kind_answers_lok_ask_in_the_environment_lok_passes_it(
    lok_project: LokProject, tmp_path: Path
) -> None:
    install_plugin(lok_project, tmp_path, ECHO)
    lok_project.env["ECHO_PREFIX"] = "heard"

    [reply] = run_json(lok_project, "ask", "-b", "echo", "--no-cache", "hello there")

    assert reply["ok"] and reply["text"] == "heard: hello there", reply


def test_doctor_shows_the_plugin_kinds_own_health_check(lok_project: LokProject, tmp_path: Path) -> None:
    install_plugin(lok_project, tmp_path, ECHO)
    lok_project.env["ECHO_DOWN"] = "1"

    assert "✗ echo - ECHO_DOWN is set (fix: unset ECHO_DOWN)" in lok_project.lok("doctor").stdout.splitlines()


def test_the_context_budget_is_the_one_the_plugin_kind_declares(
    lok_project: LokProject, tmp_path: Path
) -> None:
    install_plugin(lok_project, tmp_path, ECHO)
    for index in range(3):  # 3 files of ~4000 characters as prompted: 2 chunks of 5000 cannot hold them
        (lok_project.root / f"part{index}.py").write_text("".join(f"value_{n} = {n}\n" for n in range(250)))

    analysis = run_json(lok_project, "hunt", ".", "-b", "echo", "--no-cache", "-q")

    [echo] = [status for status in analysis["backends"] if status["name"] == "echo"]
    assert echo["budget"] == "5,000 chars per prompt, at most 2 chunks", echo
    assert echo["over_budget"] > 0 and echo["usable"] > 0, echo


def test_config_takes_the_plugin_kind_for_named_instances(lok_project: LokProject, tmp_path: Path) -> None:
    lok_project.write_toml('[backends.loud]\nkind = "echo"\nmodel = "parrot-2"\n')

    unknown = lok_project.lok("backends")  # without the plugin the kind does not exist
    assert unknown.returncode == 2
    assert unknown.stderr.strip().count("\n") == 0
    assert "backends.loud.kind: unknown kind 'echo'" in unknown.stderr

    install_plugin(lok_project, tmp_path, ECHO)
    rows = run_json(lok_project, "backends")
    assert {row["name"]: row["kind"] for row in rows}["loud"] == "echo"


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("broken = tests.fakes.no_such_module", "cannot be imported (ModuleNotFoundError: No module named"),
        ("parrot = tests.fakes.echo_kind", "its KindSpec is named 'echo', not 'parrot' as its entry point"),
        ("echo = tests.fakes.echo_kind:EchoBackend", "declares no KIND = KindSpec(...)"),
        ("codex = tests.fakes.echo_kind", "'codex' is a built-in kind"),
        ("echo = tests.fakes.bad_kinds:NOT_A_BACKEND", "backend_class must be a subclass of"),
        ("echo = tests.fakes.bad_kinds:ZERO_BUDGET", "budget_chars must be a positive integer"),
        (
            "echo = tests.fakes.bad_kinds:TAKES_CODEX",
            "its built-in backend 'codex' is already one of built-in kind 'codex'",
        ),
        ("echo = tests.fakes.bad_kinds:BAD_TABLE", "unknown key 'backends.echo.colour'"),
    ],
)
def test_a_plugin_that_cannot_be_used_is_a_one_line_error_naming_it(
    lok_project: LokProject, tmp_path: Path, line: str, said: str
) -> None:
    install_plugin(lok_project, tmp_path, line)
    name, value = (part.strip() for part in line.split("="))

    result = lok_project.lok("doctor")

    assert result.returncode == 2, result.stdout + result.stderr
    error = result.stderr.strip()
    assert "\n" not in error and "Traceback" not in error, error
    assert f"backend plugin '{name}' ({value}, from lok-test-plugin 0.1)" in error, error
    assert said in error, error
    # and nothing that does not need the kinds loads them: --help still works
    assert lok_project.lok("--help").returncode == 0


def test_no_module_but_the_registry_lists_kinds() -> None:
    """A literal naming two or more kinds, or a comparison of a kind with a kind's name, outside
    backends/registry.py and the kinds' own modules, is a kind fact living in the wrong place."""
    kinds = set(KIND_MODULES)
    allowed = {REPO_ROOT / (path.replace(".", "/") + ".py") for path in KIND_MODULES.values()}
    allowed.add(REPO_ROOT / "lok_action" / "backends" / "registry.py")
    found = []
    for path in sorted((REPO_ROOT / "lok_action").rglob("*.py")):
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named: list[str] = []
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                named = [e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in kinds]
                named = named if len(named) >= 2 else []
            elif isinstance(node, ast.Dict):
                named = [k.value for k in node.keys if isinstance(k, ast.Constant) and k.value in kinds]
                named = named if len(named) >= 2 else []
            elif isinstance(node, ast.Compare) and "kind" in ast.unparse(node.left):
                named = [
                    c.value for c in node.comparators if isinstance(c, ast.Constant) and c.value in kinds
                ]
            if named:
                found.append(f"{path.relative_to(REPO_ROOT)}:{getattr(node, 'lineno', 0)}: {named}")
    assert not found, "kinds named outside the registry:\n" + "\n".join(found)
