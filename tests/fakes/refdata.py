"""The tests' reference data, from well-kept npm packages at pinned versions, installed into `.refdata/`.

- GitHub's own REST description, npm `@octokit/openapi` (generated/api.github.com.json: github/rest-api-
  description plus Octokit's `x-octokit` extensions), cut at load time to the operations a caller serves.
- Real webhook payloads, npm `@octokit/webhooks-examples` (api.github.com/index.json).
- Microsoft's SARIF validator, npm `@microsoft/sarif-multitool` (its platform package holds the native
  binary and the SARIF 2.1.0 JSON schema the validator itself checks against).
- GitHub's GraphQL schema, npm `@octokit/graphql-schema` (schema.json: the introspection result, which the
  package's own validator loads; its schema.graphql defines some fields twice, which graphql-core refuses).

`.refdata/` sits in the repository (ignored by git); LOK_REFDATA_DIR moves it. `python -m tests.fakes.refdata`
installs ahead of the tests, which scripts/test.sh does so that a failing install is said before pytest.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.fakes.npm_packages import npm_install

REPO_ROOT = Path(__file__).resolve().parents[2]
PINNED: dict[str, str] = {
    "@octokit/openapi": "23.0.2",
    "@octokit/webhooks-examples": "7.6.1",
    "@microsoft/sarif-multitool": "5.7.0",
    "@octokit/graphql-schema": "15.26.1",
}
OPENAPI_FILE = "api.github.com.json"  # the package also ships GHES/GHEC and dereferenced variants (370 MB)


def refdata_root() -> Path:
    return Path(os.environ.get("LOK_REFDATA_DIR") or REPO_ROOT / ".refdata")


def _node_platform() -> str:
    """Python's platform name as node spells it: the multitool's platform packages are named so."""
    return {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)


@dataclass(frozen=True)
class RefData:
    prefix: Path

    @property
    def modules(self) -> Path:
        return self.prefix / "node_modules"

    @property
    def openapi_path(self) -> Path:
        return self.modules / "@octokit" / "openapi" / "generated" / OPENAPI_FILE

    @property
    def webhooks_index(self) -> Path:
        return self.modules / "@octokit" / "webhooks-examples" / "api.github.com" / "index.json"

    @property
    def graphql_schema_path(self) -> Path:
        return self.modules / "@octokit" / "graphql-schema" / "schema.json"

    @property
    def multitool_dir(self) -> Path:
        return self.modules / "@microsoft" / f"sarif-multitool-{_node_platform()}"

    @property
    def sarif_schema_path(self) -> Path:
        return self.multitool_dir / "sarif-2.1.0.json"

    @property
    def multitool(self) -> Path:
        """The platform binary itself: the package's bin.js runs it through a shell, which cuts
        `--rule-kind Sarif;Ghas` at the `;`."""
        return self.multitool_dir / ("Sarif.Multitool.exe" if sys.platform == "win32" else "Sarif.Multitool")


def multitool_runs_here() -> str:
    """'' when the multitool's binary can run on this machine, else why not (its Linux build is x86-64 only)."""
    if sys.platform.startswith("linux") and platform.machine() not in ("x86_64", "AMD64"):
        return f"@microsoft/sarif-multitool ships an x86-64 Linux binary only (this machine: {platform.machine()})"
    return ""


def _complete(prefix: Path) -> bool:
    data = RefData(prefix)
    needed = (data.openapi_path, data.webhooks_index, data.sarif_schema_path, data.graphql_schema_path)
    return all(path.is_file() for path in needed)


def _prune(prefix: Path) -> None:
    """Keep the one description the stand-in reads; the other variants are 370 MB no test uses."""
    generated = RefData(prefix).openapi_path.parent
    for path in generated.iterdir():
        if path.name != OPENAPI_FILE and path.suffix == ".json":
            path.unlink()
    multitool = RefData(prefix).multitool
    if multitool.exists():  # npm runs the package's `chmod u+x` postinstall; make sure either way
        multitool.chmod(multitool.stat().st_mode | 0o111)


@cache
def install_refdata() -> RefData:
    return RefData(npm_install(refdata_root(), PINNED, _complete, finish=_prune))


# ---------------------------------------------------------------- GitHub's REST description


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def cut_openapi(spec: dict[str, Any], operation_ids: Iterable[str]) -> dict[str, Any]:
    """The description with only the named operations and every component they reach, unchanged.

    Unknown operation ids are an error: a renamed operation must not silently drop out of validation.
    """
    wanted = set(operation_ids)
    paths: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        kept = {
            key: value
            for key, value in item.items()
            if isinstance(value, dict) and value.get("operationId") in wanted
        }
        if kept:
            wanted -= {value["operationId"] for value in kept.values()}
            # path-level keys (parameters, summary) apply to every operation of the path
            extra = {
                key: value for key, value in item.items() if key in ("parameters", "summary", "description")
            }
            paths[path] = {**extra, **kept}
    if wanted:
        raise KeyError(f"operations not in GitHub's description: {sorted(wanted)}")
    components: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _hash, _components, kind, name = ref.split("/", 3)  # "#/components/<kind>/<name>"
        target = spec["components"][kind][name]
        components.setdefault(kind, {})[name] = target
        pending.extend(_refs(target))
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec.get("servers", []),
        "paths": paths,
        "components": components,
    }


def github_openapi(operation_ids: Iterable[str]) -> dict[str, Any]:
    spec = json.loads(install_refdata().openapi_path.read_text(encoding="utf-8"))
    return cut_openapi(spec, operation_ids)


# ---------------------------------------------------------------- GitHub's GraphQL schema


def github_graphql_introspection() -> dict[str, Any]:
    """The schema as GitHub's introspection answers it (`{"data": {"__schema": ...}}` or `{"__schema": ...}`)."""
    document: dict[str, Any] = json.loads(install_refdata().graphql_schema_path.read_text(encoding="utf-8"))
    return document.get("data", document)


# ---------------------------------------------------------------- webhook payloads


@cache
def _webhook_examples() -> dict[str, list[dict[str, Any]]]:
    index = json.loads(install_refdata().webhooks_index.read_text(encoding="utf-8"))
    return {entry["name"]: entry["examples"] for entry in index}


def webhook_payload(
    event: str, action: str | None = None, where: Callable[[dict[str, Any]], bool] | None = None
) -> dict[str, Any]:
    """A fresh copy of the first example of EVENT (with ACTION, and WHERE true) that names a repository."""
    for example in _webhook_examples().get(event, []):
        if example.get("action") != action or "repository" not in example:
            continue
        if where is None or where(example):
            return json.loads(json.dumps(example))
    raise LookupError(
        f"@octokit/webhooks-examples has no {event}{'.' + action if action else ''} example that fits"
    )


if __name__ == "__main__":
    data = install_refdata()
    print(data.prefix)
    reason = multitool_runs_here()
    if reason:
        print(f"warning: {reason}; SARIF is checked against the schema only", file=sys.stderr)
    elif shutil.which(str(data.multitool)) is None:
        sys.exit(f"{data.multitool} is not executable")
