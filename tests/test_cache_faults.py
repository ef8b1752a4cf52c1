"""A broken answer cache never costs an answer: one warning line and the run goes on uncached; a damaged
entry is ignored and replaced. Real `lok` processes, real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lok_action.cache import AnswerCache
from tests.fakes.engine_fixtures import command_backend
from tests.fakes.project import LokProject

FINDING = json.dumps(
    [{"file": "main.py", "start_line": 1, "category": "bug", "severity": "high", "title": "prints hi"}]
)


def project_with_backends(project: LokProject) -> None:
    project.write_config(
        command_backend("fake", "--reply", "the answer"), command_backend("finder", "--reply", FINDING)
    )
    project.write_workflow("one", '[[steps]]\nname = "a"\nbackend = "fake"\nprompt = "q"\n')
    (project.root / "main.py").write_text("print('hi')\n")


def cache_root(project: LokProject) -> Path:
    return Path(project.env["XDG_CACHE_HOME"])


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "warning" in line]


@pytest.mark.parametrize("fault", ["xdg-cache-home-is-a-file", "cache-shards-are-files"])
def test_an_unusable_cache_is_one_warning_and_the_run_goes_on(lok_project: LokProject, fault: str) -> None:
    project_with_backends(lok_project)
    root = cache_root(lok_project)
    if fault == "xdg-cache-home-is-a-file":
        root.write_text("not a folder")
    else:  # the folder is there, but no entry can be read or written in it
        (root / "lok").mkdir(parents=True)
        (root / "lok" / ".last-prune").touch()
        for shard in range(256):
            (root / "lok" / f"{shard:02x}").write_text("")
    ask = lok_project.lok("ask", "-b", "fake", "q")
    assert ask.returncode == 0 and "the answer" in ask.stdout, ask.stderr
    run = lok_project.lok("run", "one", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["steps"][0]["output"] == "the answer"
    hunt = lok_project.lok("hunt", ".", "-b", "finder", "--format", "json")
    assert hunt.returncode == 0, hunt.stderr
    assert [f["title"] for f in json.loads(hunt.stdout)["findings"]] == ["prints hi"]
    for done in (ask, run, hunt):
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr + done.stdout
        assert len(warnings(done.stderr)) == 1, done.stderr
        assert "answer cache unusable" in warnings(done.stderr)[0] and "uncached" in done.stderr


DAMAGE = {
    "created-is-a-word": lambda entry: {**entry, "created": "yesterday"},
    "created-is-null": lambda entry: {**entry, "created": None},
    "created-is-nan-like": lambda entry: {**entry, "created": 1e400},
    "reply-is-a-list": lambda entry: {**entry, "reply": []},
    "text-is-a-number": lambda entry: {**entry, "reply": {**entry["reply"], "text": 42}},
    "unknown-field": lambda entry: {**entry, "reply": {**entry["reply"], "surprise": 1}},
    "entry-is-a-list": lambda entry: [entry],
    "not-json": lambda entry: "{half",
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_entry_is_ignored_and_replaced(lok_project: LokProject, damage: str) -> None:
    project_with_backends(lok_project)
    assert lok_project.lok("ask", "-b", "fake", "q").returncode == 0
    entries = list((cache_root(lok_project) / "lok").glob("*/*.json"))
    assert len(entries) == 1
    broken = DAMAGE[damage](json.loads(entries[0].read_text()))
    entries[0].write_text(broken if isinstance(broken, str) else json.dumps(broken))

    for _ in range(2):  # every later run works, not just the next one
        done = lok_project.lok("run", "one", "--json")
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and not warnings(done.stderr)
        assert json.loads(done.stdout)["steps"][0]["output"] == "the answer"
    replaced = json.loads(entries[0].read_text())
    assert isinstance(replaced["created"], float) and replaced["reply"]["text"] == "the answer"
    again = lok_project.lok("ask", "-b", "fake", "q")
    assert "(cached)" in again.stdout  # the replacement is used


def test_prune_removes_damaged_entries_instead_of_failing(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path, ttl_hours=1)
    for name, text in (("aa/bad.json", '{"created": "yesterday", "reply": {}}'), ("bb/worse.json", "{")):
        (tmp_path / name).parent.mkdir()
        (tmp_path / name).write_text(text)
    assert cache.prune() == 2
    assert not list(tmp_path.glob("*/*.json"))
