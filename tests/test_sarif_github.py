"""SARIF as GitHub code scanning reads it: URIs per RFC 3986, security-severity only on security rules,
one category per analysed path (or the user's), the tool's informationUri, one notice per reason for
dropped results. Every document here also goes through the SARIF check (schema with formats, multitool)."""

from __future__ import annotations

import json
from pathlib import Path

from lok_action.findings.merge import merge_findings
from lok_action.outcome import Outcome
from lok_action.report.sarif import render_sarif
from tests.fakes.git_repos import PullRequestRepo
from tests.fakes.github_server import GitHubStandIn
from tests.fakes.refdata import multitool_runs_here
from tests.fakes.sarif_check import SarifChecker
from tests.test_action_events import REPO, run_action
from tests.test_report import finding, many, sample_result


def ids(document: dict) -> list[str]:
    return [run["automationDetails"]["id"] for run in document["runs"]]


def uris(document: dict) -> list[str]:
    return [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for run in document["runs"]
        for r in run["results"]
    ]


def test_uris_are_percent_encoded_per_rfc_3986(sarif_checker: SarifChecker) -> None:
    result = Outcome(
        workflow="hunt",
        target=".",
        findings=merge_findings([finding("Bad", "high", ["a"], file="données utiles é.py")]),
        path_prefix="lib/",
    )
    document = json.loads(render_sarif(result))
    assert uris(document) == ["lib/donn%C3%A9es%20utiles%20%C3%A9.py"]
    assert sarif_checker.check_documents([document]) == []  # uri-reference (schema) and SARIF1002 (multitool)


def test_characters_with_a_meaning_in_uris_are_encoded_too() -> None:
    result = Outcome(
        workflow="hunt",
        target=".",
        findings=merge_findings([finding("Bad", "high", ["a"], file="a:b/c#d?e%f [g].py")]),
    )
    # a ':' in the first segment would read as a scheme, '#' and '?' would end the path
    assert uris(json.loads(render_sarif(result))) == ["a%3Ab/c%23d%3Fe%25f%20%5Bg%5D.py"]


def test_security_severity_only_on_security_rules_and_results() -> None:
    document = json.loads(render_sarif(sample_result()))
    for run in document["runs"]:
        category = run["automationDetails"]["id"].split("/")[-2]
        for rule in run["tool"]["driver"]["rules"]:
            assert ("security-severity" in rule["properties"]) == (category == "security"), rule["id"]
            assert rule["properties"]["problem.severity"]  # non-security alerts keep their severity
        for res in run["results"]:
            assert ("security-severity" in res["properties"]) == (category == "security"), res["ruleId"]
    security = next(run for run in document["runs"] if run["automationDetails"]["id"] == "lok/hunt/security/")
    assert security["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == "9.5"


def test_the_category_names_the_analysed_path() -> None:
    root = sample_result()
    sub = sample_result()
    sub.path_prefix = "services/api/"
    root_ids, sub_ids = ids(json.loads(render_sarif(root))), ids(json.loads(render_sarif(sub)))
    assert "lok/hunt/bug/" in root_ids  # the repository root keeps the ids it always had
    assert "lok/hunt/services/api/bug/" in sub_ids
    assert not set(root_ids) & set(sub_ids)


def test_a_user_category_replaces_the_default_one() -> None:
    document = json.loads(render_sarif(sample_result(), category="lok-nightly-hunt"))
    assert ids(document) == [
        f"lok-nightly-hunt/{c}/" for c in ("bug", "security", "performance", "dead-code", "style")
    ]


def test_the_driver_names_its_information_uri() -> None:
    driver = json.loads(render_sarif(sample_result()))["runs"][0]["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")


def test_multitool_reports_no_warning_for_lok_sarif(sarif_checker: SarifChecker, tmp_path: Path) -> None:
    """Not only no error: SARIF2005 (informationUri) and the rest of the Sarif and Ghas warnings are clear."""
    if multitool_runs_here():
        return
    path = tmp_path / "lok.sarif"
    path.write_bytes(render_sarif(sample_result()))
    assert sarif_checker.multitool_errors([path], levels=("error", "warning")) == {}


def test_gzip_drops_say_their_reason_once_per_run() -> None:
    document = json.loads(render_sarif(many(400), max_gzip_bytes=20_000))
    run = document["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    dropped = 400 - len(run["results"])
    assert len(notes) == 1, [n["message"]["text"] for n in notes]  # several drop steps, one notice
    assert notes[0]["message"]["text"] == (
        f"{dropped} lowest-severity results dropped to respect GitHub's upload limit of 20,000 bytes gzipped"
    )
    assert run["properties"]["notes"] == [notes[0]["message"]["text"]]
    assert run["properties"]["dropped"] == dropped


def test_both_limits_give_one_notice_each() -> None:
    document = json.loads(render_sarif(many(400), max_results=300, max_gzip_bytes=10_000))
    run = document["runs"][0]
    texts = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert len(texts) == 2
    assert texts[0].startswith("100 lowest-severity results dropped to respect the 300-results-per-run limit")
    assert texts[1].endswith("dropped to respect GitHub's upload limit of 10,000 bytes gzipped")
    assert run["properties"]["dropped"] == 400 - len(run["results"])


# ---- the category through `lok hunt/merge --sarif-category` and the action's `sarif-category` input


def test_two_hunts_of_different_folders_do_not_share_a_category(analysis_repo, lok_project) -> None:
    (analysis_repo / "tools").mkdir()
    (analysis_repo / "tools" / "stats.py").write_text((analysis_repo / "src" / "stats.py").read_text())
    documents = {}
    for folder in ("src", "tools"):
        done = lok_project.lok("hunt", folder, "-b", "a", "--sarif", f"../{folder}.sarif", cwd=analysis_repo)
        assert done.returncode == 0, done.stderr
        documents[folder] = json.loads((analysis_repo.parent / f"{folder}.sarif").read_text())
    assert "lok/hunt/src/bug/" in ids(documents["src"]) and "lok/hunt/tools/bug/" in ids(documents["tools"])


def test_sarif_category_option_on_hunt_and_merge(analysis_repo, lok_project) -> None:
    done = lok_project.lok(
        "hunt", ".", "-b", "a", "--format", "json", "-o", "../a.json", "--sarif", "../a.sarif",
        "--sarif-category", "nightly", cwd=analysis_repo,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert ids(json.loads((analysis_repo.parent / "a.sarif").read_text()))[0] == "nightly/bug/"
    merged = lok_project.lok(
        "merge",
        "../a.json",
        "--sarif",
        "../m.sarif",
        "--sarif-category",
        "lok-nightly-hunt",
        cwd=analysis_repo,
    )
    assert merged.returncode == 0, merged.stderr
    assert ids(json.loads((analysis_repo.parent / "m.sarif").read_text()))[0] == "lok-nightly-hunt/bug/"


def test_a_bad_sarif_category_is_a_one_line_usage_error(analysis_repo, lok_project) -> None:
    for bad in ("", " ", "a\nb"):
        done = lok_project.lok(
            "hunt", ".", "-b", "a", "--sarif", "../x.sarif", "--sarif-category", bad, cwd=analysis_repo
        )
        assert done.returncode == 2, (bad, done.stderr)
        assert "--sarif-category" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
    alone = lok_project.lok("hunt", ".", "-b", "a", "--sarif-category", "nightly", cwd=analysis_repo)
    assert alone.returncode == 2 and "--sarif-category needs --sarif" in alone.stderr, alone.stderr


def test_action_input_sarif_category_reaches_the_upload(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    github_stand_in.state.add_repo(REPO)
    run = run_action(
        github_stand_in, pr_git_repo.path, tmp_path, "schedule", {"schedule": "0 3 * * *"},
        sarif_category="lok-nightly",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    (upload,) = github_stand_in.state.sarifs.values()
    assert ids(upload["document"])[0] == "lok-nightly/bug/"


def test_action_input_sarif_category_must_not_be_blank(
    github_stand_in: GitHubStandIn, pr_git_repo: PullRequestRepo, tmp_path: Path
) -> None:
    github_stand_in.state.add_repo(REPO)
    run = run_action(
        github_stand_in, pr_git_repo.path, tmp_path, "schedule", {"schedule": "0 3 * * *"},
        sarif_category="two\nlines",
    )  # fmt: skip
    assert run.returncode == 2 and "::error::lok: input sarif-category: " in run.stdout, (
        run.stdout + run.stderr
    )
    assert github_stand_in.write_requests() == []
