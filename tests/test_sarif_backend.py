"""`kind = "sarif"`: static analyzers as backends of findings steps, end to end. Real subprocesses:
the real ruff and bandit (installed by the [local] extra, presets `ruff` and `bandit`), a stand-in
analyzer writing real SARIF (tests/fakes/fake_analyzer.py), `command` LLM stand-ins answering JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.fakes.git_repos import commit

FAKE_ANALYZER = Path(__file__).resolve().parent / "fakes" / "fake_analyzer.py"


def analyzer_table(name: str, mode: str, *extra_args: str, patterns: tuple[str, ...] = ("*.py",)) -> str:
    args = [str(FAKE_ANALYZER), mode, *extra_args, "{files}"]
    return "\n".join(
        [
            f"[backends.{name}]",
            'kind = "sarif"',
            f"command = {json.dumps(sys.executable)}",
            f"args = {json.dumps(args)}",
            f"file_patterns = {json.dumps(list(patterns))}",
            "",
        ]
    )


def add_backends(repo: Path, *tables: str) -> None:
    with (repo / "lok.toml").open("a") as handle:
        handle.write("\n" + "\n".join(tables))


def hunt(lok_project, repo: Path, backends: str, *extra: str) -> tuple[int, dict, str]:
    done = lok_project.lok(
        "hunt", ".", "-b", backends, "--format", "json", "-o", "../out.json", *extra, cwd=repo
    )
    return done.returncode, json.loads((repo.parent / "out.json").read_text()), done.stderr


def statuses(data: dict) -> dict[str, dict]:
    return {status["name"]: status for status in data["backends"]}


def test_ruff_and_an_llm_flagging_the_same_line_is_one_finding_with_agreement_2(analysis_repo, lok_project):
    # src/stats.py line 1 is an unused `import os`: ruff's F401, and what backend "a" reports too
    code, data, stderr = hunt(lok_project, analysis_repo, "a,ruff")

    assert code == 0, stderr
    [unused] = [f for f in data["findings"] if f["file"] == "src/stats.py" and f["start_line"] == 1]
    assert unused["backends"] == ["a", "ruff"] and unused["agreement"] == 2
    ruff = statuses(data)["ruff"]
    # one run for the whole (small) tree, in the first findings step only: its findings count once
    assert ruff["status"] == "ok" and ruff["calls"] == 1 and ruff["usable"] == 1
    assert ruff["budget"].endswith("only *.py, *.pyi")
    # ruff judged only the Python files it was given: no dissent from it on the README
    assert all("ruff" not in f["dissent"] for f in data["findings"] if not f["file"].endswith(".py"))


def test_a_hunt_by_ruff_alone_works_and_a_text_step_by_ruff_alone_is_refused(analysis_repo, lok_project):
    code, data, stderr = hunt(lok_project, analysis_repo, "ruff")

    assert code == 0, stderr
    assert [f["rule_id"] for f in data["findings"]] == ["lok/ruff-f401"]
    assert data["coverage"]["analysed"] == ["src/names.py", "src/stats.py"]

    done = lok_project.lok("explain", ".", "-b", "ruff", cwd=analysis_repo)
    assert done.returncode == 2
    assert "no backend that answers prompts (static analyzers answer none: ruff)" in done.stderr


def test_the_real_bandit_preset_finds_a_shell_injection(analysis_repo, lok_project):
    pytest.importorskip("bandit", reason="bandit comes with the [local] extra")
    (analysis_repo / "src" / "shell.py").write_text(
        "import subprocess\n\n\ndef run(command):\n    return subprocess.call(command, shell=True)\n"
    )
    commit(analysis_repo)

    code, data, stderr = hunt(lok_project, analysis_repo, "bandit,a")

    assert code == 0, stderr
    [shell] = [f for f in data["findings"] if f["rule_id"] == "lok/bandit-b602"]
    assert shell["file"] == "src/shell.py" and shell["start_line"] == 5
    assert shell["category"] == "security" and shell["severity"] == "high"
    assert "shell=True" in shell["title"] and shell["backends"] == ["bandit"]


def test_an_analyzer_whose_output_is_not_sarif_fails_alone_and_is_named(analysis_repo, lok_project):
    add_backends(
        analysis_repo,
        analyzer_table("prose", "garbage"),
        analyzer_table("old", "wrong-version"),
        analyzer_table("broken", "failed-run"),
        analyzer_table("crash", "kill"),
        analyzer_table("seeded", "flag"),
    )
    (analysis_repo / "src" / "todo.py").write_text("def f():\n    return 1  # TODO-BUG\n")
    commit(analysis_repo)

    code, data, stderr = hunt(lok_project, analysis_repo, "a,prose,old,broken,crash,seeded")

    assert code == 0, stderr  # the run goes on: "a" and "seeded" answered
    status = statuses(data)
    assert status["prose"]["status"] == "failed" and "exit 0, not SARIF" in status["prose"]["error"]
    assert "not SARIF (version is '2.0.0', not '2.1.0')" in status["old"]["error"]
    assert "the tool says its run failed: config file is broken" in status["broken"]["error"]
    assert status["crash"]["error"].startswith("killed by SIGKILL")
    # exit 1 with valid SARIF is a success: judged by the output, not the exit code
    assert status["seeded"]["status"] == "ok" and status["seeded"]["error"] is None
    [seeded] = [f for f in data["findings"] if f["rule_id"] == "lok/seeded-FAKE001".lower()]
    assert (seeded["file"], seeded["start_line"], seeded["category"]) == ("src/todo.py", 2, "bug")
    assert "failed: " in stderr and "prose" in stderr  # the step's note names who failed


def test_the_file_list_is_argv_never_a_shell_and_cannot_pass_options(analysis_repo, lok_project, tmp_path):
    record = tmp_path / "argv.jsonl"
    add_backends(analysis_repo, analyzer_table("seeded", "flag", "--record", str(record)))
    hostile = ["$(touch PWNED).py", "-rf.py", "a b;touch PWNED2.py"]
    for name in hostile:
        (analysis_repo / name).write_text("x = 1  # TODO-BUG\n")
    commit(analysis_repo)

    code, data, stderr = hunt(lok_project, analysis_repo, "a,seeded")

    assert code == 0, stderr
    [argv] = [json.loads(line) for line in record.read_text().splitlines()]
    assert "./-rf.py" in argv and "$(touch PWNED).py" in argv and "a b;touch PWNED2.py" in argv
    assert not list(analysis_repo.glob("PWNED*")) and not list(Path.cwd().glob("PWNED*"))
    flagged = {f["file"] for f in data["findings"] if f["backends"] == ["seeded"]}
    assert flagged == set(hostile)


def test_a_report_file_placeholder_is_read_instead_of_stdout(analysis_repo, lok_project):
    add_backends(analysis_repo, analyzer_table("seeded", "report", "--report", "{sarif}"))
    (analysis_repo / "src" / "todo.py").write_text("# TODO-BUG\n")
    commit(analysis_repo)

    code, data, stderr = hunt(lok_project, analysis_repo, "a,seeded")

    assert code == 0, stderr
    assert [f["file"] for f in data["findings"] if f["backends"] == ["seeded"]] == ["src/todo.py"]


def test_only_analyzers_answering_and_none_usable_exits_1_naming_them(analysis_repo, lok_project):
    add_backends(analysis_repo, analyzer_table("prose", "garbage"))
    commit(analysis_repo)

    done = lok_project.lok("hunt", ".", "-b", "fail,prose", "-q", cwd=analysis_repo)

    assert done.returncode == 1
    assert "nothing was analysed: no backend gave a usable answer (fail: exit 1" in done.stderr
    assert "prose: exit 0, not SARIF" in done.stderr


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'kind = "sarif"\ncommand = "ruff"\nargs = ["check"]',
            'backends.x.args must contain the argument "{files}"',
        ),
        ('kind = "sarif"\nargs = ["{files}"]', "backends.x.command is required for kind 'sarif'"),
        ('kind = "sarif"\ncommand = "t"\nargs = ["{files}"]\ncategory = "bugs"', "unknown category 'bugs'"),
        (
            'kind = "sarif"\ncommand = "t"\nargs = ["{files}"]\nlevels = {error = "huge"}',
            "unknown severity 'huge'",
        ),
        (
            'kind = "sarif"\ncommand = "t"\nargs = ["{files}"]\nlevels = {fatal = "high"}',
            "'fatal' is not a SARIF level",
        ),
    ],
)
def test_a_bad_analyzer_table_is_one_line_exit_2_at_load_time(analysis_repo, lok_project, table, message):
    add_backends(analysis_repo, f"[backends.x]\n{table}\n")

    done = lok_project.lok("hunt", ".", "-b", "a", cwd=analysis_repo)

    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert message in line and "lok.toml" in line


def test_an_analyzer_named_in_a_step_that_is_not_a_findings_step_is_a_load_error(analysis_repo, lok_project):
    workflow = analysis_repo / "talk.toml"
    workflow.write_text('name = "talk"\n[[steps]]\nname = "say"\nbackends = ["ruff"]\nprompt = "hi"\n')

    done = lok_project.lok("run", str(workflow), cwd=analysis_repo)

    assert done.returncode == 2
    assert "ruff is a static analyzer (kind 'sarif'); it takes part only in findings steps" in done.stderr


def test_doctor_lists_the_presets_as_ready_analyzers(analysis_repo, lok_project):
    pytest.importorskip("bandit", reason="bandit comes with the [local] extra")

    done = lok_project.lok("doctor", "--json", cwd=analysis_repo)

    rows = {row["name"]: row for row in json.loads(done.stdout)["backends"]}
    for name in ("ruff", "bandit"):
        assert rows[name]["kind"] == "sarif" and rows[name]["ready"] and rows[name]["analyzer"]
    assert set(json.loads(done.stdout)["analyzers_ready"]) >= {"ruff", "bandit"}
