"""Report paths that cannot be written are refused before any backend runs: one line naming the
option, exit 2, no traceback."""

from __future__ import annotations

import json
import shlex
import sys

import pytest

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
