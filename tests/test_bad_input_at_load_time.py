"""Bad input found before anything runs (issue 15): one error line, exit 2, and no step that costs money
has run. Each case runs the real `lok` (or the action's entrypoint) as a subprocess, except the
in-process run_workflow and validation-scale checks, which call the real engine."""

from __future__ import annotations

import json
import random
import shlex
import sys
import time
from pathlib import Path

import pytest

from lok_action.config import BackendConfig, Config
from lok_action.errors import BackendError
from lok_action.workflow.model import parse_workflow
from lok_action.workflow.runner import RunContext, run_workflow
from lok_action.workflow.validation import Ancestry
from tests.fakes.engine_fixtures import command_backend
from tests.fakes.project import LokProject
from tests.test_malformed_inputs import check_one_line_error

SPEND = '[[steps]]\nname = "spend"\nshell = "touch spent"\n'  # stands for a step that costs money


def spent(project: LokProject) -> bool:
    return (project.root / "spent").exists()


# ---- TOML nested too deeply: `lok workflow list` still lists the others


def test_workflow_list_names_a_deeply_nested_file_and_lists_the_others(lok_project: LokProject) -> None:
    lok_project.write_workflow("good", 'name = "good"\ndescription = "a good one"\n' + SPEND)
    lok_project.write_workflow("deep", 'name = "deep"\nv = ' + "[" * 3000 + "]" * 3000 + "\n" + SPEND)
    lok_project.write_workflow(
        "cycle", 'name = "cycle"\n[[steps]]\nname = "a"\nshell = "true"\ndepends_on = ["a"]\n'
    )
    done = lok_project.lok("workflow", "list")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert "a good one" in lines["good"] and "(built-in)" in lines["hunt"]
    assert "(invalid:" in lines["deep"] and "deep.toml: invalid TOML" in lines["deep"]
    assert "nested too deeply" in lines["deep"]
    # listed as `lok run` would see it: a graph error is shown too, not only TOML syntax
    assert "(invalid:" in lines["cycle"] and "itself" in lines["cycle"]
    assert len(done.stdout.splitlines()) == len(lines)  # one line per workflow, no traceback lines


# ---- a lok.toml (or workflow file) that is there but cannot be read is an error, never skipped


def _broken(path: Path, how: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "directory":
        path.mkdir()
    else:
        path.symlink_to(path.parent / "nowhere.toml")


@pytest.mark.parametrize("how", ["directory", "broken-link"])
@pytest.mark.parametrize("which", ["project", "user"])
def test_unreadable_lok_toml_is_an_error(lok_project: LokProject, which: str, how: str) -> None:
    path = lok_project.root / "lok.toml" if which == "project" else lok_project.home / ".config/lok/lok.toml"
    _broken(path, how)
    lok_project.write_workflow("ok", 'name = "ok"\n' + SPEND)
    done = lok_project.lok("run", "ok")
    words = ["is a directory"] if how == "directory" else ["broken symbolic link", "nowhere.toml"]
    check_one_line_error(done, [str(path), *words])
    assert not spent(lok_project)


def test_broken_local_workflow_is_not_skipped_for_the_builtin(lok_project: LokProject) -> None:
    lok_project.write_config()
    path = lok_project.root / ".lok" / "workflows" / "hunt.toml"
    _broken(path, "broken-link")
    done = lok_project.lok("run", "hunt")
    check_one_line_error(done, [str(path), "broken symbolic link"])


# ---- numbers from the command line, the environment and the action's inputs


CLI_NUMBERS = [
    (
        ["run", "ok", "--max-seconds", "nan"],
        ["--max-seconds must be a finite number > 0 and <= 604800", "nan"],
    ),
    (["run", "ok", "--max-seconds", "inf"], ["--max-seconds", "inf"]),
    (["run", "ok", "--max-seconds", "1e300"], ["--max-seconds", "1e300"]),
    (["run", "ok", "--max-parallel", "many"], ["--max-parallel must be an integer from 1 to 256", "'many'"]),
    (["run", "ok", "--max-parallel", "0"], ["--max-parallel"]),
    (["hunt", ".", "--min-consensus", "two"], ["--min-consensus must be an integer from 1 to 100", "'two'"]),
    (["merge", "x.json", "--min-consensus", "1.5"], ["--min-consensus", "'1.5'"]),
    (["hunt", ".", "--shard", "1/0"], ["--shard 1/0", "the shard count must be an integer from 1 to 100000"]),
    (["hunt", ".", "--shard", "1/1000000"], ["--shard", "100000"]),
    (["ask", "--retries", "1e9", "hi"], ["--retries must be an integer from 0 to 20"]),
    (["ask", "--timeout", "1e300", "hi"], ["--timeout", "604800"]),
    (["conduct", "goal", "--max-cost", "nan"], ["--max-cost must be a finite number > 0"]),
    (["conduct", "goal", "--max-rounds", "0"], ["--max-rounds must be an integer from 1 to 1000"]),
    (["conduct", "goal", "--max-seconds", "-5"], ["--max-seconds"]),
    (["debate", "q", "--rounds", "1000000"], ["--rounds must be an integer from 1 to 1000"]),
    (["github", "pr", "12x"], ["NUMBER must be an integer from 1 to 2147483647", "'12x'"]),
    (["ci", "0"], ["PR must be an integer from 1"]),
    (["ci", "--run", "-5"], ["--run must be an integer from 1"]),
]


@pytest.mark.parametrize(("argv", "words"), CLI_NUMBERS, ids=[" ".join(a) for a, _ in CLI_NUMBERS])
def test_numeric_options_have_ranges(lok_project: LokProject, argv: list[str], words: list[str]) -> None:
    lok_project.write_config(command_backend("codex", "--echo"))
    lok_project.write_workflow("ok", 'name = "ok"\n' + SPEND)
    done = lok_project.lok(*argv)
    check_one_line_error(done, words)
    assert not spent(lok_project)


def test_job_completion_index_must_be_a_number(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("codex", "--echo"))
    lok_project.env["JOB_COMPLETION_INDEX"] = "x"
    done = lok_project.lok("hunt", ".", "--shard", "4")
    check_one_line_error(done, ["JOB_COMPLETION_INDEX must be an integer from 0 to 99999", "'x'"])


@pytest.mark.parametrize(
    ("env", "args", "words"),
    [
        (
            {"LOK_MIN_CONSENSUS": "two"},
            ["7"],
            ["LOK_MIN_CONSENSUS must be an integer from 1 to 100", "'two'"],
        ),
        ({}, ["²"], ["the issue or PR number must be an integer", "'²'"]),  # "²".isdigit() is True
    ],
)
def test_publish_inputs_are_refused_before_any_step_runs(
    lok_project: LokProject, env: dict[str, str], args: list[str], words: list[str]
) -> None:
    lok_project.write_config()
    lok_project.write_workflow("pub", 'name = "pub"\npublish = "issue-comment"\n' + SPEND)
    lok_project.env.update(env)
    done = lok_project.lok("run", "pub", *args)
    check_one_line_error(done, words)
    assert not spent(lok_project)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("issue-number", "²", ["input issue-number (an issue/PR number) must be an integer", "'²'"]),
        ("pr-number", "99999999999", ["input pr-number", "2147483647"]),
        ("min-consensus", "²", ["input min-consensus must be an integer from 1 to 100", "'²'"]),
        ("min-consensus", "1000", ["input min-consensus must be an integer from 1 to 100", "'1000'"]),
    ],
)
def test_action_number_inputs_are_one_error_line(
    lok_project: LokProject, name: str, value: str, words: list[str]
) -> None:
    done = lok_project.action(env={f"INPUT_{name.upper()}": value}, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("::error::lok: "), done.stdout
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "Traceback" not in done.stderr


# ---- problems that used to surface only after the steps before them had run


def test_shell_quoting_refusal_is_found_before_the_first_step_runs(lok_project: LokProject) -> None:
    lok_project.write_config()
    lok_project.write_workflow(
        "wf",
        'name = "wf"\n' + SPEND + '[[steps]]\nname = "b"\ndepends_on = ["spend"]\n'
        'shell = "echo `{{ steps.spend.output }}`"\n',
    )
    done = lok_project.lok("run", "wf")
    check_one_line_error(done, ["wf.toml", "step 'b'", "shell"])
    assert not spent(lok_project)


def test_unknown_step_attribute_is_found_before_the_first_step_runs(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("codex", "--echo"))
    lok_project.write_workflow(
        "wf",
        'name = "wf"\n' + SPEND + '[[steps]]\nname = "b"\nbackend = "codex"\ndepends_on = ["spend"]\n'
        'prompt = "{{ steps.spend.outptu }}"\n',
    )
    done = lok_project.lok("run", "wf")
    check_one_line_error(done, ["step 'b'", "'steps.spend.outptu'", "did you mean 'output'"])
    assert not spent(lok_project)


def test_command_backend_without_command_is_found_before_the_first_step_runs(lok_project: LokProject) -> None:
    lok_project.write_config('[backends.x]\nkind = "command"\n')
    lok_project.write_workflow(
        "wf",
        'name = "wf"\n'
        + SPEND
        + '[[steps]]\nname = "b"\nbackend = "x"\ndepends_on = ["spend"]\nprompt = "p"\n',
    )
    done = lok_project.lok("run", "wf")
    check_one_line_error(done, ["lok.toml", "backends.x.command is required for kind 'command'"])
    assert not spent(lok_project)


def test_run_workflow_resolves_an_incomplete_backend_before_any_step(tmp_path: Path) -> None:
    """A Config built in code (not loaded from a file) meets the same check where a workflow's
    backends are resolved."""
    workflow = parse_workflow(
        'name = "wf"\n'
        + SPEND
        + '[[steps]]\nname = "b"\nbackend = "x"\ndepends_on = ["spend"]\nprompt = "p"\n'
    )
    config = Config(backends={"x": BackendConfig(name="x", kind="command", source="code")})
    with pytest.raises(
        BackendError, match=r"step 'b': code: backends\.x\.command is required for kind 'command'"
    ):
        run_workflow(workflow, RunContext(config, tmp_path))
    assert not (tmp_path / "spent").exists()


def test_valid_shell_templates_are_not_refused(lok_project: LokProject) -> None:
    """The load-time quoting check renders every branch; templates the run accepts still validate."""
    path = lok_project.write_workflow(
        "fine",
        'name = "fine"\n[[steps]]\nname = "a"\nshell = "printf x"\n'
        '[[steps]]\nname = "deep-dive"\nshell = "true"\n'
        '[[steps]]\nname = "b"\ndepends_on = ["a", "deep-dive"]\nshell = """\n'
        "{% if steps.a.success %}echo 'ok {{ steps.a.output }}'{% else %}echo \"failed: {{ steps.a.error }}\"{% endif %}\n"
        "{% for o in steps.a.outputs %}printf '%s\\n' {{ o.text }} \"{{ o.backend | upper }}\"{% endfor %}\n"
        "{% set label %}run {{ steps.a.status }}{% endset %}echo {{ label }} # {{ steps.a.text }}\n"
        "x=$(printf %s {{ steps['deep-dive'].output }}); echo \"$x\" {{ args | join(' ') }} {{ env.HOME }}\n"
        "{% for key, value in steps.a.items() %}echo {{ key }}={{ value }}; {% endfor %}\n"
        '{# a comment {{ not rendered }} #}{% raw %}echo "{{ literal }}"{% endraw %}\n"""\n',
        local=False,
    )
    done = lok_project.lok("workflow", "validate", str(path))
    assert done.returncode == 0, done.stderr
    assert f"ok: {path} (fine, 3 steps)" in done.stdout


# ---- lok diff outside a git repository


def test_diff_outside_a_git_repository_says_so(lok_project: LokProject) -> None:
    lok_project.write_config(command_backend("codex", "--echo"))
    lok_project.env["GIT_CEILING_DIRECTORIES"] = str(lok_project.root.parent)
    done = lok_project.lok("diff", "-b", "codex")
    check_one_line_error(done, ["diff:", "is not a git repository"])


# ---- validation is linear in the number of steps


def test_ancestry_matches_a_brute_force_search_on_random_graphs() -> None:
    rng = random.Random(15)
    for _ in range(200):
        size = rng.randint(1, 30)
        names = [f"s{i}" for i in range(size)]
        order = names[:]
        rng.shuffle(order)  # depends_on points to earlier steps of a random order: acyclic
        deps = {name: tuple(rng.sample(order[:i], rng.randint(0, min(i, 3)))) for i, name in enumerate(order)}
        ancestry = Ancestry(deps, names)
        for step in names:
            seen: set[str] = set()
            todo = list(deps[step])
            while todo:
                dep = todo.pop()
                if dep not in seen:
                    seen.add(dep)
                    todo.extend(deps[dep])
            for other in names:
                assert ancestry.is_ancestor(other, step) == (other in seen), (deps, other, step)


def test_validating_a_long_chain_is_linear() -> None:
    """10,000 chained steps (hyphenated names, the last reading the first): the per-step ancestor
    sets and per-template name lists (and a regex of every hyphenated name) made this quadratic
    (minutes); it is now a few seconds."""
    size = 10_000
    parts = ['name = "chain"\n[[steps]]\nname = "s-0"\nshell = "true"\n']
    parts += [
        f'[[steps]]\nname = "s-{i}"\ndepends_on = ["s-{i - 1}"]\nshell = "true"\n' for i in range(1, size)
    ]
    parts.append(
        f'[[steps]]\nname = "last"\ndepends_on = ["s-{size - 1}"]\nprompt = "{{{{ steps.s-0.output }}}}"\n'
    )
    text = "".join(parts)
    started = time.monotonic()
    workflow = parse_workflow(text, "chain.toml")
    elapsed = time.monotonic() - started
    assert len(workflow.steps) == size + 1
    assert elapsed < 30, f"validating {size} chained steps took {elapsed:.1f} s"


# ---- Report paths that cannot be written are refused before any backend runs: one line naming the
# option, exit 2, no traceback.


CASES = [
    ("output-is-directory", ("-o", "{dir}"), ["-o/--output", "is a directory"]),
    ("sarif-is-directory", ("--sarif", "{dir}"), ["--sarif", "is a directory"]),
    ("output-parent-missing", ("-o", "{missing}/r.md"), ["-o/--output", "does not exist"]),
    ("sarif-in-proc", ("--sarif", "/proc/version"), ["--sarif", "/proc/version", "cannot write"]),
]


def add_marker_backend(repo) -> None:
    """A backend that leaves a file behind when it is called."""
    script = "import pathlib, sys; sys.stdin.read(); pathlib.Path('CALLED').touch(); print('[]')"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    with (repo / "lok.toml").open("a") as toml:
        toml.write(f'\n[backends.marker]\nkind = "command"\ncommand = {json.dumps(command)}\n')


@pytest.mark.parametrize(("case", "option", "words"), CASES, ids=[c[0] for c in CASES])
def test_unwritable_report_paths_are_refused_before_analysis(
    analysis_repo, lok_project, tmp_path, case, option, words
):
    add_marker_backend(analysis_repo)
    flag, value = option
    value = value.format(dir=tmp_path, missing=tmp_path / "nowhere")
    done = lok_project.lok("hunt", ".", "-b", "marker", flag, value, cwd=analysis_repo)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert all(word in done.stderr for word in words), done.stderr
    assert not (analysis_repo / "CALLED").exists()


def test_a_writable_path_still_works_and_calls_the_backend(analysis_repo, lok_project, tmp_path):
    add_marker_backend(analysis_repo)
    done = lok_project.lok("hunt", ".", "-b", "marker", "-o", str(tmp_path / "r.md"), cwd=analysis_repo)
    assert done.returncode == 0, done.stderr
    assert (analysis_repo / "CALLED").exists() and (tmp_path / "r.md").is_file()
    assert not list(tmp_path.glob(".lok-probe-*"))


@pytest.mark.parametrize("option", ["-o", "--sarif"])
def test_merge_refuses_unwritable_paths(analysis_repo, lok_project, tmp_path, option):
    shard = tmp_path / "shard.json"
    assert (
        lok_project.lok("hunt", ".", "-b", "a", "--json", "-o", str(shard), cwd=analysis_repo).returncode == 0
    )
    for target in (str(tmp_path), "/proc/version"):
        done = lok_project.lok("merge", str(shard), option, target, cwd=analysis_repo)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert option in done.stderr and target in done.stderr
