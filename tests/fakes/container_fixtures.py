"""Fixtures for the container tests: the image built with podman, and runs of it as GitHub's runner does.

No Docker engine runs here: scripts/container-base.sh imports a local Debian base under the official
python:3.11-slim name, then the unchanged Dockerfile builds with `podman build --pull=never`. Layers are
cached by podman between runs, so only what changed is rebuilt. Runs use runc (crun fails on this host's
hybrid cgroups), small ulimits, and the host network so the container reaches the test servers on
127.0.0.1. The tests are opt-in: LOK_CONTAINER_TESTS=1 (`.ci/run` sets it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.backend_fixtures import CliHomes, backend_tables, make_homes, toml_value
from tests.fakes.project import QUIET_BUILTINS

REPO = Path(__file__).resolve().parents[2]
IMAGE = "localhost/lok-action:test"
SIZE_LIMIT_BYTES = 1_200_000_000  # 1.2 GB
HOST_QUIRKS = ["--runtime", "runc"]
RUN_QUIRKS = [*HOST_QUIRKS, "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
# The same host quirks as a containers.conf (podman 4.3 reads the file named by CONTAINERS_CONF), so the README's plain `docker run` line works
# under `alias docker=podman` unchanged (netns=host: the container reaches the servers on 127.0.0.1).
CONTAINERS_CONF_TEXT = """[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "host"

[engine]
runtime = "runc"
"""
CLI_PROTOCOLS = {"claude": "anthropic", "codex": "responses", "gemini": "gemini"}


def container_tests_enabled() -> bool:
    return os.environ.get("LOK_CONTAINER_TESTS") == "1"


def podman() -> str:
    found = shutil.which("podman")
    assert found, "LOK_CONTAINER_TESTS=1 but podman is missing: apt-get install podman runc mmdebstrap"
    return found


@dataclass(frozen=True)
class BuiltImage:
    name: str
    size: int
    layers: list[tuple[int, str]]  # (bytes, what made the layer), newest first


def _report(config: pytest.Config, line: str) -> None:
    """Print past pytest's capture: the image size is a figure the run must show."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


def _human(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def build_image(config: pytest.Config) -> BuiltImage:
    base = subprocess.run(
        ["bash", str(REPO / "scripts" / "container-base.sh")], capture_output=True, text=True, timeout=900
    )
    assert base.returncode == 0, f"container-base.sh failed:\n{base.stdout}\n{base.stderr}"
    build = subprocess.run(
        [podman(), "build", "--pull=never", *HOST_QUIRKS, "--network", "host", "-t", IMAGE, str(REPO)],
        capture_output=True,
        text=True,
        timeout=3000,
        stdin=subprocess.DEVNULL,
    )
    assert build.returncode == 0, f"podman build failed:\n{build.stdout[-6000:]}\n{build.stderr[-4000:]}"
    size = int(
        subprocess.run(
            [podman(), "image", "inspect", "--format", "{{.Size}}", IMAGE],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    history = subprocess.run(
        [podman(), "history", "--no-trunc", "--format", "json", IMAGE],
        capture_output=True,
        text=True,
        check=True,
    )
    layers = [
        (int(entry.get("size", 0)), str(entry.get("CreatedBy", ""))) for entry in json.loads(history.stdout)
    ]
    _report(config, f"lok-action image {IMAGE}: {size} bytes ({_human(size)}); layers:")
    for layer_size, created_by in layers:
        if layer_size:
            what = " ".join(created_by.replace("/bin/sh -c #(nop) ", "").split())[:100]
            _report(config, f"  {_human(layer_size):>12}  {what}")
    return BuiltImage(IMAGE, size, layers)


@pytest.fixture(scope="session")
def lok_image(request: pytest.FixtureRequest) -> BuiltImage:
    """The image built from the repository's Dockerfile (podman layer cache makes rebuilds quick)."""
    if not container_tests_enabled():
        pytest.skip("container tests are opt-in: LOK_CONTAINER_TESTS=1 (.ci/run sets it)")
    return build_image(request.config)


@dataclass(frozen=True)
class ContainerRun:
    returncode: int
    stdout: str
    stderr: str


def run_container(
    image: str,
    args: list[str],
    env: Mapping[str, str],
    mounts: Mapping[Path, str],
    workdir: str,
    timeout: float = 600,
) -> ContainerRun:
    argv = [podman(), "run", "--rm", *RUN_QUIRKS, "--network", "host", "--workdir", workdir]
    for host, inside in mounts.items():
        argv += ["-v", f"{host}:{inside}"]
    for key, value in env.items():
        argv += ["-e", f"{key}={value}"]
    proc = subprocess.run(
        [*argv, image, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    return ContainerRun(proc.returncode, proc.stdout, proc.stderr)


def container_homes(host_root: Path, inside_root: str) -> CliHomes:
    """Config homes for the three CLIs, made on the host under a mounted folder, named as seen inside."""
    make_homes(host_root)
    return CliHomes(
        Path(inside_root) / "claude-home", Path(inside_root) / "codex-home", Path(inside_root) / "gemini-home"
    )


def write_cli_backends_config(path: Path, server_url: str, homes: CliHomes) -> None:
    """A lok.toml with the image's real claude, codex and gemini pointed at the test model server."""
    tables = backend_tables(server_url, homes)
    lines: list[str] = []
    for name in CLI_PROTOCOLS:
        lines.append(f"[backends.{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in tables[name].items()]
        lines.append("")
    lines.append(QUIET_BUILTINS)  # the HTTP and embedded built-ins off: only the CLIs answer
    lines += ["[cache]", "enabled = false", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def containers_conf(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "containers.conf"
    path.write_text(CONTAINERS_CONF_TEXT, encoding="utf-8")
    yield path
