"""`lok hunt` on the embedded SmolLM2 model: weak, yet every findings answer is JSON (decoded under the
findings schema), the run completes and writes valid reports (the local backend is what a fresh
machine has)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.findings_fixtures import STATS_PY
from tests.fakes.git_repos import run_git

pytestmark = pytest.mark.localmodel


def test_hunt_on_the_local_model_answers_json_every_time(tmp_path: Path, lok_project, sarif_validator):
    pytest.importorskip("xllamacpp", reason="needs the [local] extra (pip install '.[local]')")
    repo = tmp_path / "tiny"
    repo.mkdir()
    (repo / "stats.py").write_text(STATS_PY)
    run_git(repo, "init", "-q", "-b", "main")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "tiny")
    done = lok_project.lok(
        "hunt",
        ".",
        "-b",
        "local",
        "--format",
        "json",
        "-o",
        "../hunt.json",
        "--sarif",
        "../hunt.sarif",
        cwd=repo,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "hunt.json").read_text())
    local = data["backends"][0]
    # one pass over the one chunk
    assert local["name"] == "local" and local["status"] == "ok" and local["calls"] == 1
    assert local["unparseable"] == 0 and local["failed_calls"] == 0 and local["usable"] == 1
    assert data["coverage"]["analysed"] == ["stats.py"]
    for finding in data["findings"] + data["below_consensus"]:
        assert finding["file"] == "stats.py" and finding["backends"] == ["local"]
    sarif_validator(json.loads((tmp_path / "hunt.sarif").read_text()))
    print(
        f"local model: {local['findings']} findings, {local['dropped']} dropped, {local['unparseable']} not JSON, {local['duration']}s"
    )
