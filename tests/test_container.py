"""The image, built with podman from the unchanged Dockerfile, run as GitHub's runner runs a docker action.

Inside the container the real Claude Code, Codex and Gemini CLIs of the image answer through the test
model server (tests/fakes/llm_server.py) and lok posts to the GitHub stand-in (tests/fakes/github_server.py),
both on the host's 127.0.0.1. Opt-in: LOK_CONTAINER_TESTS=1 (`.ci/run` sets it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.container_fixtures import (
    CLI_PROTOCOLS,
    SIZE_LIMIT_BYTES,
    BuiltImage,
    ContainerRun,
    container_homes,
    podman,
    run_container,
    write_cli_backends_config,
)
from tests.fakes.git_repos import PullRequestRepo, run_git
from tests.fakes.github_fixtures import REPO, WRITE_TOKEN
from tests.fakes.github_server import GitHubStandIn
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.refdata import webhook_payload

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[1]
# What every model answers: the bug the PR introduces (app.py lines 13-14 of the feature branch).
FINDING = {
    "rule": "index-error",
    "category": "bug",
    "severity": "high",
    "file": "app.py",
    "start_line": 13,
    "end_line": 14,
    "title": "first_item fails on an empty list",
    "explanation": "items[0] raises IndexError when items is empty.",
    "suggested_fix": "def first_item(items):\n    return items[0] if items else None",
}


def test_image_size_is_under_the_limit(lok_image: BuiltImage) -> None:
    assert lok_image.size < SIZE_LIMIT_BYTES, f"image is {lok_image.size} bytes, limit {SIZE_LIMIT_BYTES}"
    # the three CLIs, node and git are in it, at the pinned versions
    probe = _shell(lok_image, "claude --version; codex --version; gemini --version; node --version")
    assert probe.returncode == 0, probe.stderr
    assert "2.1.197 (Claude Code)" in probe.stdout
    assert "codex-cli 0.169.0" in probe.stdout
    assert "0.61.0" in probe.stdout
    assert re.search(r"^v20\.", probe.stdout, re.M)


def _shell(image: BuiltImage, script: str) -> ContainerRun:
    proc = subprocess.run(
        [
            podman(),
            "run",
            "--rm",
            "--runtime",
            "runc",
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
            "--entrypoint",
            "sh",
            image.name,
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    return ContainerRun(proc.returncode, proc.stdout, proc.stderr)


def test_telemetry_and_update_checks_are_off_in_the_image(lok_image: BuiltImage) -> None:
    probe = _shell(
        lok_image,
        "env; echo ---; cat /etc/codex/config.toml /etc/gemini-cli/settings.json",
    )
    assert probe.returncode == 0, probe.stderr
    env_part, files = probe.stdout.split("---", 1)
    for assignment in (
        "DISABLE_AUTOUPDATER=1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
        "DISABLE_TELEMETRY=1",
    ):
        assert assignment in env_part.splitlines()
    assert "check_for_update_on_startup = false" in files
    gemini = json.loads(files[files.index("{") :])
    assert gemini["telemetry"]["enabled"] is False and gemini["privacy"]["usageStatisticsEnabled"] is False
    assert gemini["general"]["enableAutoUpdate"] is False


# ---- as GitHub's runner runs a docker action --------------------------------------------------------


def _event(name: str, edit: Any) -> dict[str, Any]:
    event, _, action = name.partition(".")
    data = webhook_payload(event, action or None)
    data["repository"]["full_name"] = REPO
    data["repository"]["name"] = REPO.split("/")[1]
    data["repository"]["owner"]["login"] = REPO.split("/")[0]
    edit(data)
    return data


def _parse_outputs(text: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, delimiter = line.split("<<", 1)
        outputs[name] = "\n".join(iter(lambda: next(lines), delimiter))
    return outputs


class Runner:
    """The folders and environment a GitHub runner gives a docker action, on the host under tmp."""

    def __init__(
        self, image: str, tmp: Path, checkout: Path, llm: FakeLLMServer, github: GitHubStandIn
    ) -> None:
        self.image, self.tmp, self.checkout, self.llm, self.github = image, tmp, checkout, llm, github
        self.home = tmp / "_github_home"
        self.workflow = tmp / "_github_workflow"
        self.file_commands = tmp / "_runner_file_commands"
        for folder in (self.home, self.workflow, self.file_commands):
            folder.mkdir(exist_ok=True)
        homes = container_homes(self.home, "/github/home")
        write_cli_backends_config(checkout / ".github" / "lok.toml", llm.url, homes)

    def run(
        self, event_name: str, event: dict[str, Any], **inputs: str
    ) -> tuple[ContainerRun, str, dict[str, str]]:
        (self.workflow / "event.json").write_text(json.dumps(event))
        summary = self.file_commands / "step_summary_1"
        output = self.file_commands / "set_output_1"
        summary.write_text("")
        output.write_text("")
        env = {
            "HOME": "/github/home",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": "/github/workflow/event.json",
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_REPOSITORY_OWNER": REPO.split("/")[0],
            "GITHUB_SHA": run_git(self.checkout, "rev-parse", "HEAD").strip(),
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_WORKSPACE": "/github/workspace",
            "GITHUB_API_URL": self.github.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_STEP_SUMMARY": "/github/file_commands/step_summary_1",
            "GITHUB_OUTPUT": "/github/file_commands/set_output_1",
            "RUNNER_TEMP": "/github/home",
            "INPUT_GITHUB-TOKEN": WRITE_TOKEN,
            "INPUT_CONFIG": ".github/lok.toml",
            "INPUT_BACKENDS": "claude,codex,gemini",
            "INPUT_MIN-CONSENSUS": "2",
            "INPUT_UPLOAD-SARIF": "true",
            "INPUT_COMMENT": "update",
            "INPUT_REVIEW": "inline",
        }
        env.update({f"INPUT_{key.replace('_', '-').upper()}": value for key, value in inputs.items()})
        mounts = {
            self.home: "/github/home",
            self.workflow: "/github/workflow",
            self.file_commands: "/github/file_commands",
            self.checkout: "/github/workspace",
        }
        result = run_container(self.image, [], env, mounts, "/github/workspace", timeout=900)
        return result, summary.read_text(), _parse_outputs(output.read_text())

    def assert_every_cli_answered(self) -> None:
        for name, protocol in CLI_PROTOCOLS.items():
            assert self.llm.requests(protocol), f"{name} in the image never reached the model server"


@pytest.fixture
def runner(
    lok_image: BuiltImage,
    llm_server: FakeLLMServer,
    github_stand_in: GitHubStandIn,
    pr_git_repo: PullRequestRepo,
    tmp_path: Path,
) -> Runner:
    # .github/ (the lok.toml) is the test's, not the code under review
    (pr_git_repo.path / ".git" / "info" / "exclude").write_text(".github/\n")
    for protocol in CLI_PROTOCOLS.values():
        llm_server.script(protocol, text=json.dumps({"findings": [FINDING]}))
    return Runner(lok_image.name, tmp_path, pr_git_repo.path, llm_server, github_stand_in)


def test_pull_request_review_end_to_end_in_the_container(
    runner: Runner, pr_git_repo: PullRequestRepo
) -> None:
    github = runner.github
    github.state.add_repo(REPO, labels=("lok",))
    number = int(
        github.state.add_pull_request(
            REPO, pr_git_repo.path, "main", "feature", "Add first_item", "Adds a helper."
        )["number"]
    )

    def edit(data: dict[str, Any]) -> None:
        data["number"] = number
        pr = data["pull_request"]
        pr["number"] = number
        pr["head"]["sha"], pr["base"]["sha"] = pr_git_repo.head_sha, pr_git_repo.base_sha
        pr["base"]["repo"]["full_name"] = REPO
        pr["head"]["repo"]["full_name"] = REPO

    run, summary, outputs = runner.run("pull_request", _event("pull_request.opened", edit))

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    runner.assert_every_cli_answered()
    (review_comment,) = github.state.review_comments.values()
    assert (review_comment["path"], review_comment["line"], review_comment["side"]) == ("app.py", 14, "RIGHT")
    (lok_comment,) = github.state.comments.values()
    assert "first_item fails on an empty list" in lok_comment["body"]
    assert "first_item fails on an empty list" in summary
    assert outputs["verdict"] == "fail"
    assert json.loads(outputs["findings"])[0]["agreement"] == 3  # claude, codex and gemini agreed
    (upload,) = github.state.sarifs.values()
    assert upload["commit_sha"] == pr_git_repo.head_sha
    assert (pr_git_repo.path / "lok.sarif").is_file()
    assert WRITE_TOKEN not in run.stdout.replace(f"::add-mask::{WRITE_TOKEN}", "")


def test_nightly_hunt_end_to_end_in_the_container(runner: Runner, pr_git_repo: PullRequestRepo) -> None:
    github = runner.github
    github.state.add_repo(REPO)

    run, summary, outputs = runner.run("schedule", {"schedule": "23 2 * * *"})

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    runner.assert_every_cli_answered()
    assert "first_item fails on an empty list" in summary
    sarif = json.loads((pr_git_repo.path / "lok.sarif").read_text())
    assert sarif["version"] == "2.1.0" and any(r["results"] for r in sarif["runs"])
    (upload,) = github.state.sarifs.values()
    assert upload["ref"] == "refs/heads/main"
    assert github.state.comments == {} and github.state.reviews == {}
    assert outputs["verdict"] == "fail"


# ---- `docker run ... hunt .` exactly as the README gives it, with the podman alias -----------------


def _readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", text, re.S):
        if marker in block:
            return block
    raise AssertionError(f"README.md has no shell block containing {marker!r}")


def test_readme_docker_run_hunt_works_with_the_podman_alias(
    lok_image: BuiltImage,
    llm_server: FakeLLMServer,
    pr_git_repo: PullRequestRepo,
    containers_conf: Path,
    tmp_path: Path,
) -> None:
    block = _readme_block("alias docker=podman")
    assert 'docker run --rm -v "$PWD:/work" -w /work' in block and " hunt ." in block
    # the README names the published image; here the local build stands in for it under that name
    published = re.search(r"(ghcr\.io/\S+/lok-action:v1)", block)
    assert published, "the README's docker run line names no ghcr.io image"
    subprocess.run([podman(), "tag", lok_image.name, published.group(1)], check=True)
    try:
        _run_readme_block(block, llm_server, pr_git_repo, containers_conf, tmp_path)
    finally:
        subprocess.run([podman(), "untag", lok_image.name, published.group(1)], check=False)


def _run_readme_block(
    block: str, llm_server: FakeLLMServer, pr_git_repo: PullRequestRepo, containers_conf: Path, tmp_path: Path
) -> None:
    for protocol in CLI_PROTOCOLS.values():
        llm_server.script(protocol, text=json.dumps({"findings": [FINDING]}))
    checkout = pr_git_repo.path
    (checkout / ".git" / "info" / "exclude").write_text(".lok-homes/\nlok.toml\n")
    homes = container_homes(checkout / ".lok-homes", "/work/.lok-homes")
    write_cli_backends_config(checkout / "lok.toml", llm_server.url, homes)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CONTAINERS_CONF": str(containers_conf),
        "ANTHROPIC_API_KEY": "fake-anthropic-key-123",
        "OPENAI_API_KEY": "fake-openai-key-123",
        "GEMINI_API_KEY": "fake-gemini-key-123",
    }
    script = "set -e\nshopt -s expand_aliases\n" + block
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "first_item fails on an empty list" in proc.stdout
    for name, protocol in CLI_PROTOCOLS.items():
        assert llm_server.requests(protocol), f"{name} never answered"
