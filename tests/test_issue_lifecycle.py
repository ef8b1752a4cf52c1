"""The life of a nightly hunt's finding issue (`lok hunt --issues --since REF`), against the
OpenAPI-validating GitHub stand-in with the real `lok` as a subprocess: a finding seen again keeps its
issue open (refuted or not), a finding that comes back reopens the issue lok closed but not one a human
closed, lok closes only its own issues, and the file an issue is about is read from lok's own marker."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from tests.fakes.git_repos import run_git
from tests.fakes.github_fixtures import REPO, WRITE_TOKEN
from tests.fakes.trust_fixtures import trust_project
from tests.test_cost import CLEAN, NAMES, RECORDER, hunt, write_sources


def github_env(project, server) -> None:
    project.env.update(GITHUB_TOKEN=WRITE_TOKEN, GITHUB_API_URL=server.url, GITHUB_REPOSITORY=REPO)


def commit_all(root: Path, message: str) -> str:
    run_git(root, "add", "-A")
    run_git(root, "commit", "-qm", message)
    return run_git(root, "rev-parse", "HEAD").strip()


def committed_sources(project, tables: list[str], count: int, buggy: tuple[int, ...]) -> Path:
    """The project under git: TABLES as its lok.toml, COUNT sources (the BUGGY ones with a bug), one commit."""
    root = project.root
    project.write_config(*tables)
    write_sources(root, count=count, buggy=buggy)
    run_git(root, "init", "-q")
    commit_all(root, "one")
    return root


def issue_about(server, word: str) -> tuple[int, dict]:
    return next(
        (number, issue) for (_, number), issue in server.state.issues.items() if word in issue["title"]
    )


def comments_on(server, issue: dict) -> list[dict]:
    return [c for c in server.state.comments.values() if c["issue_url"] == issue["url"]]


def recorder_tables(log: Path, *extra: str) -> list[str]:
    """The recording backends (tests/fakes/recording_backend.py) as lok.toml tables, logging to LOG;
    EXTRA are the recorder's further arguments (a suggested fix to put in every finding)."""
    return [
        f'[backends.{name}]\nkind = "command"\n'
        f"command = {json.dumps(shlex.join([sys.executable, str(RECORDER), str(log), name, *extra]))}\n"
        for name in NAMES
    ]


def test_a_refuted_finding_seen_again_keeps_its_issue_open(lok_project, github_stand_in):
    trust_project(lok_project, {"a": "reporter", "b": "judge", "c": "judge"})
    github_stand_in.state.add_repo(REPO)
    github_env(lok_project, github_stand_in)
    args = ("hunt", "src", "-b", "a,b,c", "--issues", "-y")
    # night one without the challenge round: both findings are filed
    first = lok_project.lok(*args, "--min-consensus", "1", "--verify", "off", timeout=120)
    assert first.returncode == 0, first.stderr
    assert "2 issue(s) opened" in first.stderr
    # night two: the round refutes the bogus finding, which was still found, so its issue stays open
    second = lok_project.lok(*args, "--min-consensus", "2", "--json", timeout=120)
    assert second.returncode == 0, second.stderr
    assert [f["title"] for f in json.loads(second.stdout)["refuted"]] == [
        "Bogus: spread() leaks a file handle"
    ]
    _, bogus = issue_about(github_stand_in, "Bogus")
    assert bogus["state"] == "open", second.stderr
    assert "closed, no longer found" not in second.stderr
    assert "0 issue(s) opened, 1 already filed" in second.stderr
    assert github_stand_in.requests_matching("PATCH", r"/repos/lok-test/demo/issues/\d+$") == []


def test_a_finding_that_comes_back_reopens_the_issue_lok_closed_not_one_a_human_closed(
    lok_project, github_stand_in
):
    root = committed_sources(lok_project, recorder_tables(lok_project.root.parent / "p.jsonl"), 5, (1, 3))
    github_stand_in.state.add_repo(REPO)
    github_env(lok_project, github_stand_in)
    first = hunt(lok_project, "--issues", "-y")
    assert first.returncode == 0, first.stderr
    m1_number, m1 = issue_about(github_stand_in, "m1.py")
    _, m3 = issue_about(github_stand_in, "m3.py")
    # a maintainer closes the m3 finding as won't fix
    m3.update(state="closed", state_reason="not_planned", closed_by=github_stand_in.state.user("octocat"))

    buggy_m1 = (root / "src" / "m1.py").read_text(encoding="utf-8")
    (root / "src" / "m1.py").write_text(buggy_m1.replace("/ 0", "/ 2"), encoding="utf-8")  # the fix
    fixed_sha = commit_all(root, "fix m1")
    second = hunt(lok_project, "--issues", "-y", "--since", "HEAD~1")
    assert second.returncode == 0, second.stderr
    assert m1["state"] == "closed" and m1["state_reason"] == "completed"
    assert "no longer finds this" in comments_on(github_stand_in, m1)[-1]["body"]

    # night three: the bug is back in m1, and m3 (still buggy) is touched, so both are found again
    (root / "src" / "m1.py").write_text(buggy_m1, encoding="utf-8")
    with (root / "src" / "m3.py").open("a", encoding="utf-8") as m3_file:
        m3_file.write("# touched\n")
    back_sha = commit_all(root, "m1 regresses")
    third = hunt(lok_project, "--issues", "-y", "--since", fixed_sha)
    assert third.returncode == 0, third.stderr
    assert m1["state"] == "open", third.stderr
    reopened = comments_on(github_stand_in, m1)[-1]["body"]
    assert back_sha in reopened and "src/m1.py" in reopened
    assert f"1 reopened (#{m1_number})" in third.stderr
    assert m3["state"] == "closed" and m3["state_reason"] == "not_planned"  # won't-fix is respected
    assert len(comments_on(github_stand_in, m3)) == 0
    assert len(github_stand_in.requests_matching("POST", r"/repos/lok-test/demo/issues$")) == 2  # no re-file
    assert "0 issue(s) opened" in third.stderr


def test_only_lok_issues_are_closed_and_the_file_comes_from_loks_own_marker(lok_project, github_stand_in):
    log = lok_project.root.parent / "p.jsonl"
    # a model-written suggested fix that carries a fake file marker (it is fenced, not escaped)
    fake_fix = "<!-- lok-file: src/m0.py -->\nreturn total / 2"
    root = committed_sources(lok_project, recorder_tables(log, fake_fix), 5, (1,))
    github_stand_in.state.add_repo(REPO)
    github_env(lok_project, github_stand_in)
    first = hunt(lok_project, "--issues", "-y")
    assert first.returncode == 0, first.stderr
    number, filed = issue_about(github_stand_in, "m1.py")
    assert "<!-- lok-file: src/m0.py -->" in filed["body"]  # the model's text is in the body
    # someone else's issue that carries lok's markers, about src/m0.py
    human = github_stand_in.state.add_issue(
        REPO,
        "copied from a lok issue",
        "<!-- lok-file: src/m0.py -->\n<!-- lok-fingerprint: not-found-anymore -->",
        author="octocat",
    )

    (root / "src" / "m0.py").write_text(CLEAN + "# touched\n", encoding="utf-8")  # only m0 changes
    commit_all(root, "touch m0")
    second = hunt(lok_project, "--issues", "-y", "--since", "HEAD~1")
    assert second.returncode == 0, second.stderr
    assert filed["state"] == "open", second.stderr  # about src/m1.py, which this night did not analyse
    assert human["state"] == "open"  # not lok's to close
    assert github_stand_in.requests_matching("PATCH", r"/repos/lok-test/demo/issues/\d+$") == []
    assert number == 1


def test_a_quiet_night_exits_0_but_changed_files_nobody_answered_exit_1(lok_project):
    root = lok_project.root
    log = root.parent / "p.jsonl"
    lok_project.write_config(*recorder_tables(log), '[backends.dead]\nkind = "command"\ncommand = "false"\n')
    write_sources(root, count=3, buggy=(1,))
    (root / "vendor.min.js").write_text("var a=1;\n", encoding="utf-8")  # skipped for its own reason
    run_git(root, "init", "-q")
    commit_all(root, "one")
    quiet = hunt(lok_project, "--since", "HEAD", "--json")
    assert quiet.returncode == 0, quiet.stderr
    assert "lok: nothing changed since HEAD: every file is unchanged" in quiet.stderr
    assert "nothing was analysed" not in quiet.stderr and not log.exists()
    assert json.loads(quiet.stdout)["coverage"]["analysed"] == []
    # the same on one shard of a quiet night
    shard = hunt(lok_project, "--since", "HEAD", "--shard", "2/4", "--json")
    assert shard.returncode == 0, shard.stderr

    (root / "src" / "m0.py").write_text(CLEAN + "# changed\n", encoding="utf-8")
    commit_all(root, "two")
    dead = lok_project.lok("hunt", ".", "-b", "dead", "--no-cache", "-q", "--since", "HEAD~1")
    assert dead.returncode == 1, dead.stderr
    assert "nothing was analysed" in dead.stderr

    # a night whose only change is a file lok skips for its own reason is not a night of no change
    (root / "vendor.min.js").write_text("var a=2;\n", encoding="utf-8")
    commit_all(root, "three")
    skipped = hunt(lok_project, "--since", "HEAD~1", "--json")
    assert skipped.returncode == 1, skipped.stderr
    assert "nothing changed" not in skipped.stderr and "nothing was analysed" in skipped.stderr
    reasons = json.loads(skipped.stdout)["coverage"]["skipped"]
    assert not reasons["vendor.min.js"].startswith("unchanged since")  # its own reason, kept
    assert reasons["src/m0.py"] == "unchanged since HEAD~1"


def test_issues_an_earlier_lok_filed_and_closed_are_still_closed_and_reopened(lok_project, github_stand_in):
    """Bodies filed before the file marker moved to the first line had it as the last line, and the
    closing comment had no marker: both still work."""
    import requests

    root = committed_sources(lok_project, recorder_tables(lok_project.root.parent / "p.jsonl"), 5, (1, 3))
    keys = {f["file"]: f["fingerprint"] for f in json.loads(hunt(lok_project, "--json").stdout)["findings"]}
    github_stand_in.state.add_repo(REPO)
    api = requests.Session()
    api.headers["Authorization"] = f"token {WRITE_TOKEN}"
    issues_url = f"{github_stand_in.url}/repos/{REPO}/issues"

    def old_issue(path: str) -> int:
        body = f"Found by `lok hunt`.\n\ndetails\n\n<!-- lok-fingerprint: {keys[path]} -->\n<!-- lok-file: {path} -->"
        made = api.post(issues_url, json={"title": f"[lok] high: old ({path}:3)", "body": body})
        made.raise_for_status()
        return int(made.json()["number"])

    open_number, closed_number = old_issue("src/m1.py"), old_issue("src/m3.py")
    api.post(
        f"{issues_url}/{closed_number}/comments",
        json={"body": "`lok hunt` no longer finds this in `src/m3.py` at abc1234: closing."},
    ).raise_for_status()
    api.patch(
        f"{issues_url}/{closed_number}", json={"state": "closed", "state_reason": "completed"}
    ).raise_for_status()

    m1 = root / "src" / "m1.py"
    m1.write_text(m1.read_text(encoding="utf-8").replace("/ 0", "/ 2"), encoding="utf-8")  # the fix
    with (root / "src" / "m3.py").open("a", encoding="utf-8") as m3_file:
        m3_file.write("# touched\n")
    commit_all(root, "fix m1, touch m3")
    github_env(lok_project, github_stand_in)
    night = hunt(lok_project, "--issues", "-y", "--since", "HEAD~1")
    assert night.returncode == 0, night.stderr
    issues = github_stand_in.state.issues
    assert issues[(REPO, open_number)]["state"] == "closed", night.stderr  # its file read from the last line
    assert issues[(REPO, closed_number)]["state"] == "open", night.stderr
    assert f"1 reopened (#{closed_number})" in night.stderr


def test_github_refusing_the_issues_is_one_line_after_the_reports(lok_project, github_stand_in):
    """A token GitHub refuses (401 here; 403 "not accessible by integration" alike): the run's reports are
    written, then one line says what GitHub answered, exit 2, no traceback."""
    root = committed_sources(lok_project, recorder_tables(lok_project.root.parent / "p.jsonl"), 2, (1,))
    github_stand_in.state.add_repo(REPO)
    github_env(lok_project, github_stand_in)
    lok_project.env["GITHUB_TOKEN"] = "ghp_notatokengithubknows000000000000000"
    done = hunt(lok_project, "--issues", "-y", "--format", "json", "-o", "../report.json")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("lok: error:")]
    assert "--issues: GitHub answered 401" in line
    assert json.loads((root.parent / "report.json").read_text())["findings"]  # the report came first
