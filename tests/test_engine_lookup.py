"""Workflow lookup order and `lok workflow list|validate` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from lok_action.workflow.lookup import find_workflow, list_workflows
from tests.fakes.engine_fixtures import command_backend
from tests.fakes.project import LokProject

STEP = '[[steps]]\nname = "a"\nshell = "echo {{ workflow.description }}"\n'


def user_workflow(project: LokProject, name: str, text: str) -> Path:
    folder = project.home / ".config" / "lok" / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def test_lookup_order_local_then_user_then_builtin(lok_project: LokProject) -> None:
    env = lok_project.env
    assert find_workflow("hunt", lok_project.root, env).source == "built-in:hunt.toml"
    user_workflow(lok_project, "hunt", 'name = "hunt"\ndescription = "user hunt"\n' + STEP)
    assert find_workflow("hunt", lok_project.root, env).description == "user hunt"
    lok_project.write_workflow("hunt", 'name = "hunt"\ndescription = "local hunt"\n' + STEP)
    assert find_workflow("hunt", lok_project.root, env).description == "local hunt"
    origins = {info.name: info.origin for info in list_workflows(lok_project.root, env)}
    assert origins["hunt"] == "local"
    assert origins["audit"] == "built-in"


def test_workflow_list_cli_shows_origins_and_descriptions(lok_project: LokProject) -> None:
    lok_project.write_workflow("diff", 'name = "diff"\ndescription = "My custom diff review"\n' + STEP)
    user_workflow(lok_project, "mine", 'name = "mine"\ndescription = "from home"\n' + STEP)
    lok_project.write_workflow("broken", "name = [")
    done = lok_project.lok("workflow", "list")
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert "(local)" in lines["diff"] and "My custom diff review" in lines["diff"]
    assert "(user)" in lines["mine"] and "from home" in lines["mine"]
    assert "(built-in)" in lines["hunt"]
    assert "(invalid:" in lines["broken"]


def test_builtin_workflows_all_validate(lok_project: LokProject) -> None:
    folder = Path(__file__).resolve().parents[1] / "workflows"
    files = sorted(str(p) for p in folder.glob("*.toml"))
    assert files, "no built-in workflows"
    done = lok_project.lok("workflow", "validate", *files)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok: ") == len(files)


def test_validate_reports_each_bad_file_and_exits_2(lok_project: LokProject) -> None:
    good = lok_project.write_workflow("good", 'name = "good"\n' + STEP, local=False)
    bad = lok_project.write_workflow("bad", 'name = "bad"\n', local=False)
    done = lok_project.lok("workflow", "validate", str(good), str(bad))
    assert done.returncode == 2
    assert f"ok: {good}" in done.stdout
    assert f"{bad}: no steps" in done.stderr


def test_run_by_path_with_named_args_and_target_dir(lok_project: LokProject, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "lok.toml").write_text(command_backend("codex", "--echo"))
    path = lok_project.write_workflow(
        "p",
        'name = "p"\n[[steps]]\nname = "where"\nshell = "pwd"\n[[steps]]\nname = "ask"\nbackend = "codex"\n'
        'prompt = "{{ args | join(\',\') }} issue={{ arg.issue }} in={{ steps.where.output }}"\ndepends_on = ["where"]\n',
        local=False,
    )
    done = lok_project.lok("run", str(path), "one", "issue=42", "two", "-C", str(target), "--json")
    assert done.returncode == 0, done.stderr
    steps = {s["name"]: s for s in json.loads(done.stdout)["steps"]}
    assert steps["where"]["output"] == str(target)
    assert steps["ask"]["output"] == f"[codex] one,two issue=42 in={target}"


def test_command_wrapper_wraps_shell_steps(lok_project: LokProject) -> None:
    lok_project.write_config(defaults="command_wrapper = \"env WRAPPED=yes sh -c '{cmd}'\"")
    lok_project.write_workflow(
        "w", 'name = "w"\n[[steps]]\nname = "a"\nshell = "printf %s \\"$WRAPPED\\" \'it s\'"\n'
    )
    done = lok_project.lok("run", "w", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["steps"][0]["output"] == "yesit s"
