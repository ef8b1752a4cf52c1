"""Evidence-checked locations (lok_action/findings/evidence.py): a finding's quoted code is looked up in
the analysed file; found at its lines it is kept, found elsewhere it moves there, not found it is dropped
and counted. End to end through the real `lok hunt` and, for a pull request, the real action against
the GitHub stand-in."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from lok_action.findings.evidence import check_evidence
from lok_action.findings.fingerprint import fingerprint
from lok_action.findings.model import Finding
from tests.fakes.git_repos import make_pr_repo
from tests.fakes.github_fixtures import REPO
from tests.fakes.github_server import GitHubStandIn
from tests.fakes.trust_fixtures import STATS_PY, hunt, trust_project
from tests.test_action_events import pr_payload, run_action
from tests.test_action_review_chunks import module_text

LINES = STATS_PY.split("\n")


def quoted(evidence: str, start: int, end: int | None = None) -> Finding:
    finding = Finding("lok/x", "bug", "high", "src/stats.py", start, end or start, "t", evidence=evidence)
    finding.fingerprint = fingerprint(finding, LINES)
    return finding


def test_quotes_are_matched_as_models_write_them():
    exact = "    return total / len(values)"
    assert check_evidence(quoted(exact, 6), LINES).state == "kept"
    assert check_evidence(quoted("return total/len( values )", 6), LINES).state == "kept"  # re-spaced
    assert check_evidence(quoted("len(values)", 6), LINES).state == "kept"  # part of the line
    assert check_evidence(quoted("    6| " + exact, 6), LINES).state == "kept"  # lok's numbering copied
    assert check_evidence(quoted("    6| +" + exact, 6), LINES).state == "kept"  # and a diff's "+"
    two = "def average(values):\n\n  total = sum(values)\n...\n"  # a blank line, an elision
    assert check_evidence(quoted(two, 4, 5), LINES).state == "kept"
    moved = check_evidence(quoted("total = sum(values)\nreturn total / len(values)", 12, 13), LINES)
    assert moved.state == "relocated" and moved.finding is not None
    assert (moved.finding.start_line, moved.finding.end_line) == (5, 6)
    assert check_evidence(quoted("os.system(values)", 6), LINES).state == "unverifiable"
    assert (
        check_evidence(quoted("total = sum(values)\nreturn max(values)", 5, 6), LINES).state == "unverifiable"
    )


def test_the_nearest_occurrence_wins_and_a_tie_goes_up():
    lines = ["x = 1", "pad", "y = compute()", "pad", "pad", "pad", "y = compute()", "pad"]
    assert check_evidence(quoted("y = compute()", 6), lines).finding.start_line == 7  # type: ignore[union-attr]
    assert check_evidence(quoted("y = compute()", 2), lines).finding.start_line == 3  # type: ignore[union-attr]
    assert check_evidence(quoted("y = compute()", 5), lines).finding.start_line == 3  # type: ignore[union-attr]


def test_an_empty_quote_is_unchecked_and_takes_the_files_text():
    result = check_evidence(quoted("", 6), LINES)
    assert result.state == "unchecked" and result.finding is not None
    assert result.finding.evidence == "    return total / len(values)"
    assert check_evidence(quoted("anything", 6), None).state == "unchecked"  # the file is unreadable


def test_lines_seven_off_are_relocated_and_keep_the_fingerprint(lok_project):
    trust_project(lok_project, {"right": "reporter", "off": "shifted"})
    right = by_title(hunt(lok_project, "-b", "right", out="right.json"))
    data = hunt(lok_project, "-b", "off", out="off.json")
    off = by_title(data)
    assert (off["start_line"], off["end_line"]) == (6, 6) == (right["start_line"], right["end_line"])
    assert off["fingerprint"] == right["fingerprint"]
    (status,) = data["backends"]
    assert (status["relocated"], status["unverifiable"]) == (1, 0)
    md = lok_project.lok("hunt", "src", "-b", "off", "--format", "md", timeout=120)
    assert "- off: 1 finding moved to the lines the quoted code stands on" in md.stdout


def test_a_quote_that_is_not_in_the_file_is_dropped_and_counted(lok_project):
    trust_project(lok_project, {"liar": "invented", "quiet": "quiet"})
    data = hunt(lok_project, "-b", "liar,quiet")
    assert data["findings"] == [] and data["below_consensus"] == []
    status = next(s for s in data["backends"] if s["name"] == "liar")
    assert status["unverifiable"] == 1 and status["findings"] == 0
    md = lok_project.lok("hunt", "src", "-b", "liar", "--format", "md", timeout=120)
    assert "- liar: 1 finding dropped as unverifiable (the quoted code is not in the file)" in md.stdout


def test_a_finding_quoting_nothing_is_kept_unchecked_and_counted(lok_project):
    trust_project(lok_project, {"lazy": "unquoted"})
    data = hunt(lok_project, "-b", "lazy")
    (finding,) = data["findings"]
    assert finding["start_line"] == 6 and finding["evidence"] == "    return total / len(values)"
    assert data["backends"][0]["unchecked"] == 1


def git(repo: Path, *args: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com")
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, check=True)


def by_title(data: dict) -> dict:
    return next(f for f in data["findings"] if "Division" in f["title"])


def test_a_pull_request_review_comments_on_the_lines_the_code_stands_on(
    github_stand_in: GitHubStandIn, tmp_path: Path
) -> None:
    repo = make_pr_repo(tmp_path, {}, {"mean.py": module_text("mean")}, "a mean")
    github_stand_in.state.add_repo(REPO)
    pull = github_stand_in.state.add_pull_request(REPO, repo.path, "main", "feature", "Mean", "Adds mean.")
    number = int(pull["number"])
    # line 5 holds the division; both backends say line 12, quoting line 5's code
    shifted = {
        "rule": "division-by-zero",
        "category": "bug",
        "severity": "high",
        "file": "mean.py",
        "start_line": 12,
        "end_line": 12,
        "title": "mean divides by zero on an empty list",
        "explanation": "len(items) is 0 for an empty list.",
        "evidence": "    return total / len(items)",
        "suggested_fix": None,
    }
    invented = dict(shifted, title="mean runs a shell", evidence="os.system(items)", start_line=3, end_line=3)
    run = run_action(
        github_stand_in,
        repo.path,
        tmp_path,
        "pull_request",
        pr_payload(number, repo),
        findings={"alpha": [shifted, invented], "beta": [shifted]},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    inline = [(c["path"], c["line"], c["body"]) for c in github_stand_in.state.review_comments.values()]
    assert [(path, line) for path, line, _ in inline] == [("mean.py", 5)]
    assert "agreement 2/2 (found by alpha, beta)" in inline[0][2]
    reported = json.loads(run.outputs["findings"])
    assert [(f["start_line"], f["title"]) for f in reported] == [(5, "mean divides by zero on an empty list")]
    assert "alpha: 1 finding dropped as unverifiable" in run.summary


def test_an_unconfirmed_critical_is_in_the_comment_and_the_summary_never_inline(
    github_stand_in: GitHubStandIn, tmp_path: Path
) -> None:
    repo = make_pr_repo(tmp_path, {}, {"mean.py": module_text("mean")}, "a mean")
    github_stand_in.state.add_repo(REPO)
    pull = github_stand_in.state.add_pull_request(REPO, repo.path, "main", "feature", "Mean", "Adds mean.")
    number = int(pull["number"])
    critical = {
        "rule": "memory-corruption",
        "category": "bug",
        "severity": "critical",
        "file": "mean.py",
        "start_line": 5,
        "end_line": 5,
        "title": "mean corrupts memory",
        "explanation": "it does.",
        "evidence": "return total / len(items)",
        "suggested_fix": None,
    }
    # min-consensus 2 (run_action's input); beta reports nothing and answers no verdict
    run = run_action(
        github_stand_in,
        repo.path,
        tmp_path,
        "pull_request",
        pr_payload(number, repo),
        findings={"alpha": [critical], "beta": []},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert github_stand_in.state.review_comments == {}
    (comment,) = github_stand_in.state.comments.values()
    for text in (comment["body"], run.summary):
        assert "Unconfirmed (under the quorum, not refuted; not posted inline): 1" in text
        assert "**[critical] mean corrupts memory**" in text and "found by alpha" in text
    assert (
        "Challenge round: 1 finding put to the other backends, 1 verification call (0 answered, cap 40)"
        in run.summary
    )


def test_a_diff_is_checked_against_the_revision_its_line_numbers_refer_to(lok_project):
    trust_project(lok_project, {"a": "reporter"})
    root = lok_project.root
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "lok.toml")
    git(root, "commit", "-q", "-m", "config")
    git(root, "add", "src")
    git(root, "commit", "-q", "-m", "stats")
    # lines inserted above in the working tree, not committed: the diff's line numbers are HEAD's
    stats = root / "src" / "stats.py"
    stats.write_text("# one\n# two\n# three\n" + stats.read_text())
    done = lok_project.lok(
        "diff", "HEAD~1..HEAD", "-b", "a", "--format", "json", "-o", "../diff.json", timeout=120
    )
    assert done.returncode == 0, done.stderr
    data = json.loads((root.parent / "diff.json").read_text())
    division = next(f for f in data["findings"] if "Division" in f["title"])
    assert division["start_line"] == 6 and data["backends"][0]["relocated"] == 0
