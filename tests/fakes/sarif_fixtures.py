"""Every SARIF document a test writes is checked (tests/fakes/sarif_check.py): the files under the test's
tmp_path, the uploads the GitHub stand-in received, and whatever a test hands to `sarif_validator`.

The check runs at the end of each test that used tmp_path or the stand-in; a document already checked in
this session (same content) is not checked again, so a file that was also uploaded costs one multitool run.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.refdata import install_refdata, multitool_runs_here
from tests.fakes.sarif_check import SarifChecker

_checked: set[str] = set()
_spent = {"documents": 0, "seconds": 0.0}  # what the checks cost, said at the end of the run


def _digest(document: Any) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


@cache
def session_checker() -> SarifChecker:
    """Built on first use, so a test that writes no SARIF never waits for the reference data."""
    return SarifChecker(install_refdata())


@pytest.fixture(scope="session")
def sarif_checker() -> SarifChecker:
    return session_checker()


def _check_new(checker: SarifChecker, documents: list[Any], labels: list[str]) -> list[str]:
    fresh = [
        (doc, label) for doc, label in zip(documents, labels, strict=True) if _digest(doc) not in _checked
    ]
    if not fresh:
        return []
    started = time.monotonic()
    problems = checker.check_documents([doc for doc, _ in fresh], [label for _, label in fresh])
    _spent["documents"] += len(fresh)
    _spent["seconds"] += time.monotonic() - started
    if not problems:
        _checked.update(_digest(doc) for doc, _ in fresh)
    return problems


@pytest.fixture
def sarif_validator(sarif_checker: SarifChecker) -> Callable[[Any], None]:
    """Assert that one SARIF document passes the schema (with formats) and the multitool's Sarif+Ghas rules."""

    def validate(document: Any) -> None:
        problems = _check_new(sarif_checker, [document], ["document"])
        assert not problems, "\n".join(problems)

    return validate


@pytest.fixture(autouse=True)
def every_sarif_is_checked(request: pytest.FixtureRequest) -> Iterator[None]:
    tmp: Path | None = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    stand_in = (
        request.getfixturevalue("github_stand_in") if "github_stand_in" in request.fixturenames else None
    )
    yield
    documents: list[Any] = []
    labels: list[str] = []
    for path in sorted(tmp.rglob("*.sarif")) if tmp is not None else []:
        try:
            documents.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            pytest.fail(f"{path}: the test wrote a SARIF file that is not JSON: {error}")
        labels.append(str(path.relative_to(tmp)))  # type: ignore[arg-type]
    for sarif_id, upload in stand_in.state.sarifs.items() if stand_in is not None else []:
        documents.append(upload["document"])
        labels.append(f"upload {sarif_id}")
    if documents:
        problems = _check_new(session_checker(), documents, labels)
        assert not problems, "SARIF that GitHub or the SARIF standard would reject:\n" + "\n".join(problems)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _spent["documents"]:
        return
    missing = multitool_runs_here()
    what = f"schema only: {missing}" if missing else "schema + multitool"
    terminalreporter.write_line(
        f"SARIF checks ({what}): {_spent['documents']} documents in {_spent['seconds']:.1f} s"
    )
