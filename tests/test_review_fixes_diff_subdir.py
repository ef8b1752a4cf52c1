"""`lok diff` run from a subdirectory reports the same files, SARIF URIs and fingerprints as from
the repository root (git diff prints root-relative paths whatever the cwd)."""

from __future__ import annotations

import json

from tests.fakes.git_repos import run_git


def sarif_uris(path) -> list[str]:
    sarif = json.loads(path.read_text())
    return [
        location["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
        for location in result["locations"]
    ]


def test_diff_from_a_subdirectory_matches_the_root(analysis_repo, lok_project):
    (analysis_repo / "src" / "ratio.py").write_text("def ratio(values):\n    return 1 / len(values)\n")
    run_git(analysis_repo, "add", "src/ratio.py")
    run_git(analysis_repo, "commit", "-q", "-m", "ratio")
    (analysis_repo / "src" / "ratio.py").write_text("x = 1\n")  # the range's end is what counts
    runs = {}
    for name, cwd, config in (
        ("root", analysis_repo, "lok.toml"),
        ("sub", analysis_repo / "src", "../lok.toml"),
    ):
        sarif = analysis_repo.parent / f"{name}.sarif"
        done = lok_project.lok(
            "diff", "HEAD~1..HEAD", "--config", config, "-b", "a,b", "--json", "--sarif", str(sarif), cwd=cwd
        )
        assert done.returncode == 0, done.stderr
        runs[name] = (json.loads(done.stdout), sarif_uris(sarif))
    root, sub = runs["root"], runs["sub"]
    assert root[1] == ["src/ratio.py"]
    assert sub[1] == root[1]
    assert [(f["file"], f["start_line"]) for f in sub[0]["findings"]] == [("src/ratio.py", 2)]
    assert [f["fingerprint"] for f in sub[0]["findings"]] == [f["fingerprint"] for f in root[0]["findings"]]
    assert sub[0]["path_prefix"] == root[0]["path_prefix"] == ""
