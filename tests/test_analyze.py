"""`lok hunt/audit/explain/diff` and `lok merge` end to end: real subprocesses, a real git repository,
three `command` backends (tests/fakes/finding_backend.py) that report the same bug differently."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.git_repos import run_git


def hunt_json(lok_project, repo: Path, *extra: str, out: str = "out.json") -> dict:
    """Reports go beside the repository (../NAME), not into the tree being analysed."""
    done = lok_project.lok("hunt", ".", "--format", "json", "-o", f"../{out}", *extra, cwd=repo)
    assert done.returncode == 0, done.stderr
    return json.loads((repo.parent / out).read_text())


def test_three_backends_agree_on_one_finding(analysis_repo, lok_project, sarif_validator):
    data = hunt_json(lok_project, analysis_repo, "-b", "a,b,c", "--sarif", "../lok.sarif")
    division = [f for f in data["findings"] if f["category"] == "bug"]
    assert len(division) == 1
    assert division[0]["agreement"] == 3 and division[0]["backends"] == ["a", "b", "c"]
    assert division[0]["file"] == "src/stats.py" and division[0]["start_line"] == 6
    assert division[0]["title"] == "Division by zero in average() when the list is empty"
    singles = [f for f in data["findings"] if f["agreement"] == 1]
    assert [f["title"] for f in singles] == ["Unused import os"] and singles[0]["dissent"] == ["b", "c"]
    assert data["summary"]["coverage"] == "5 files analysed, 3 skipped (1 binary, 1 generated, 1 vendored)"
    sarif = json.loads((analysis_repo.parent / "lok.sarif").read_text())
    sarif_validator(sarif)
    bug_run = next(run for run in sarif["runs"] if run["automationDetails"]["id"] == "lok/hunt/bug/")
    assert bug_run["results"][0]["properties"]["agreement"] == 3

    strict = hunt_json(lok_project, analysis_repo, "-b", "a,b,c", "--min-consensus", "2", out="strict.json")
    assert [f["title"] for f in strict["findings"]] == [division[0]["title"]]
    assert [f["title"] for f in strict["below_consensus"]] == ["Unused import os"]


def test_garbage_and_malformed_answers_cost_findings_not_the_run(analysis_repo, lok_project):
    done = lok_project.lok("hunt", ".", "-b", "a,garbage,malformed", "--format", "md", cwd=analysis_repo)
    assert done.returncode == 0, done.stderr
    assert "- garbage: 1 answer was not JSON" in done.stdout  # one pass: one prompt per chunk
    assert "- malformed: 2 findings dropped as malformed" in done.stdout
    assert "| a | ok | 1/1 | 2 |" in done.stdout


def test_fingerprints_survive_unrelated_lines_inserted_above(analysis_repo, lok_project, sarif_validator):
    first = hunt_json(lok_project, analysis_repo, "-b", "a,b,c", "--sarif", "../one.sarif")
    stats = analysis_repo / "src" / "stats.py"
    stats.write_text('"""Statistics helpers."""\n\nimport sys\nimport json\n\n' + stats.read_text())
    second = hunt_json(lok_project, analysis_repo, "-b", "a,b,c", "--sarif", "../two.sarif", out="again.json")
    before = {f["title"]: (f["fingerprint"], f["start_line"]) for f in first["findings"]}
    after = {f["title"]: (f["fingerprint"], f["start_line"]) for f in second["findings"]}
    assert before.keys() == after.keys()
    for title, (fingerprint, line) in before.items():
        assert after[title] == (fingerprint, line + 5)

    def hashes(name: str) -> set[str]:
        document = json.loads((analysis_repo.parent / name).read_text())
        sarif_validator(document)
        return {
            r["partialFingerprints"]["primaryLocationLineHash"]
            for run in document["runs"]
            for r in run["results"]
        }

    assert hashes("one.sarif") == hashes("two.sarif") and hashes("one.sarif")


def test_shards_cover_every_file_once_and_merge_back(analysis_repo, lok_project, sarif_validator):
    for index in range(12):
        (analysis_repo / "src" / f"mod{index}.py").write_text(
            f"def f{index}(values):\n    return sum(values) / len(values)\n"
        )
    whole = hunt_json(lok_project, analysis_repo, "-b", "a,b,c", out="whole.json")
    every = set(whole["coverage"]["analysed"]) | set(whole["coverage"]["skipped"])
    seen: list[str] = []
    for index in (1, 2, 3):
        part = hunt_json(
            lok_project, analysis_repo, "-b", "a,b,c", "--shard", f"{index}/3", out=f"shard{index}.json"
        )
        assert part["shard"] == f"{index}/3"
        seen += part["coverage"]["analysed"] + list(part["coverage"]["skipped"])
    assert sorted(seen) == sorted(every)
    done = lok_project.lok(
        "merge",
        "shard1.json",
        "shard2.json",
        "shard3.json",
        "--format",
        "json",
        "-o",
        "merged.json",
        "--sarif",
        "merged.sarif",
        cwd=analysis_repo.parent,
    )
    assert done.returncode == 0, done.stderr
    merged = json.loads((analysis_repo.parent / "merged.json").read_text())
    key = lambda f: (f["file"], f["start_line"], f["fingerprint"], tuple(f["backends"]))  # noqa: E731
    assert sorted(map(key, merged["findings"])) == sorted(map(key, whole["findings"]))
    # one division finding per file; b's "+2 lines" falls off the end of the 2-line modules and is dropped
    assert sorted(f["agreement"] for f in merged["findings"] if f["category"] == "bug") == [2] * 12 + [3]
    assert merged["shard"] is None and {b["name"]: b["calls"] for b in merged["backends"]} == {
        b["name"]: b["calls"] for b in whole["backends"]
    } | {name: 3 for name in "abc"}  # one pass per shard
    sarif_validator(json.loads((analysis_repo.parent / "merged.sarif").read_text()))


def test_job_completion_index_picks_the_shard(analysis_repo, lok_project):
    done = lok_project.lok(
        "hunt",
        ".",
        "-b",
        "a",
        "--shard",
        "3",
        "--format",
        "json",
        cwd=analysis_repo,
        env={"JOB_COMPLETION_INDEX": "2"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["shard"] == "3/3"


def test_fail_on_gates_on_reported_severity(analysis_repo, lok_project):
    assert (
        lok_project.lok("hunt", ".", "-b", "a,b,c", "--fail-on", "high", "-q", cwd=analysis_repo).returncode
        == 1
    )
    assert (
        lok_project.lok(
            "hunt", ".", "-b", "a,b,c", "--fail-on", "critical", "-q", cwd=analysis_repo
        ).returncode
        == 0
    )
    # the only high finding has agreement 3, so --min-consensus 4 hides it and the gate passes
    gated = lok_project.lok(
        "hunt", ".", "-b", "a,b,c", "--fail-on", "low", "--min-consensus", "4", "-q", cwd=analysis_repo
    )
    assert gated.returncode == 0


def test_every_backend_failing_exits_1_but_still_reports(analysis_repo, lok_project):
    done = lok_project.lok(
        "hunt", ".", "-b", "fail", "--format", "md", "-o", "../report.md", cwd=analysis_repo
    )
    assert done.returncode == 1
    assert (
        "lok: nothing was analysed: no backend gave a usable answer (fail: exit 1: backend exploded)"
        in done.stderr
    )
    report = (analysis_repo.parent / "report.md").read_text()
    assert "| fail | failed: exit 1: backend exploded | 0/1 |" in report
    assert "not analysed (no usable answer: the calls failed or their answers were not JSON)" in report


def test_diff_reviews_staged_changes_and_ranges(analysis_repo, lok_project):
    (analysis_repo / "src" / "ratio.py").write_text(
        "def ratio(values):\n    return 1 / len(values)\n\n\ndef double(x):\n    return 2 * x\n"
    )
    run_git(analysis_repo, "add", "src/ratio.py")
    done = lok_project.lok("diff", "-b", "a,b", "--format", "json", cwd=analysis_repo)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["workflow"] == "diff" and data["target"] == "staged changes"
    assert [(f["file"], f["start_line"], f["agreement"]) for f in data["findings"]] == [
        ("src/ratio.py", 2, 2)
    ]
    run_git(analysis_repo, "commit", "-q", "-m", "ratio")
    # the working tree moves on; a range review validates and fingerprints against the range's end
    (analysis_repo / "src" / "ratio.py").write_text("x = 1\n")
    ranged = lok_project.lok("diff", "HEAD~1..HEAD", "-b", "a,b", "--format", "json", cwd=analysis_repo)
    assert ranged.returncode == 0, ranged.stderr
    found = json.loads(ranged.stdout)["findings"]
    assert [(f["file"], f["start_line"], f["agreement"]) for f in found] == [("src/ratio.py", 2, 2)]
    assert found[0]["fingerprint"] == data["findings"][0]["fingerprint"]


def test_explain_writes_the_overview(analysis_repo, lok_project):
    done = lok_project.lok("explain", ".", "-b", "empty", "--format", "md", cwd=analysis_repo)
    assert done.returncode == 0, done.stderr
    assert "### Overview" in done.stdout and '"findings": []' in done.stdout


def test_bad_input_is_one_line_exit_2(analysis_repo, lok_project, tmp_path):
    (tmp_path / "other.json").write_text('{"hello": 1}')
    cases = [
        (("hunt", ".", "-b", "a", "--min-consensus", "0"), "--min-consensus"),
        (("hunt", ".", "-b", "nosuch"), "nosuch"),
        (("hunt", ".", "-b", "a", "--shard", "5/4"), "--shard"),
        (("hunt", "missing-dir", "-b", "a"), "missing-dir"),
        (("diff", "--", "-b", "a"), None),
        (("merge", str(tmp_path / "other.json")), "not a lok analysis JSON"),
        (("merge", str(tmp_path / "absent.json")), "cannot read"),
    ]
    for args, needle in cases:
        done = lok_project.lok(*args, cwd=analysis_repo)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr, args
        if needle:
            assert needle in done.stderr and len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)


def test_subdirectory_targets_get_repository_relative_sarif_uris(analysis_repo, lok_project, sarif_validator):
    done = lok_project.lok(
        "hunt", "src", "-b", "a,b", "--format", "json", "--sarif", "../sub.sarif", cwd=analysis_repo
    )
    assert done.returncode == 0, done.stderr
    assert {f["file"] for f in json.loads(done.stdout)["findings"]} == {"stats.py"}
    document = json.loads((analysis_repo.parent / "sub.sarif").read_text())
    sarif_validator(document)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for run in document["runs"]
        for r in run["results"]
    }
    assert uris == {"src/stats.py"}


def test_audit_runs_its_security_prompts(analysis_repo, lok_project, sarif_validator):
    done = lok_project.lok(
        "audit", ".", "-b", "a,malformed", "--format", "json", "--sarif", "../audit.sarif", cwd=analysis_repo
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["workflow"] == "audit" and {b["name"]: b["calls"] for b in data["backends"]} == {
        "a": 1,  # one pass: every kind of flaw in one prompt per chunk
        "malformed": 1,
    }
    document = json.loads((analysis_repo.parent / "audit.sarif").read_text())
    sarif_validator(document)
    assert {run["automationDetails"]["id"] for run in document["runs"]} >= {"lok/audit/security/"}


# ---- `lok diff` run from a subdirectory reports the same files, SARIF URIs and fingerprints as from
# the repository root (git diff prints root-relative paths whatever the cwd).


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
