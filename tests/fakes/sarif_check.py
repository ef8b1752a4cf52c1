"""One check for every SARIF document the tests write: the SARIF 2.1.0 JSON schema *with* format checks
(uri-reference, date-time, uuid), then Microsoft's SARIF multitool with GitHub's ingestion rules
(`validate --rule-kind "Sarif;Ghas"`). A document passes when both report no error.

The schema is the one the multitool's platform package ships (sarif-2.1.0.json, draft 2020-12). The
multitool is called as its platform binary, once per batch of files (it costs about a second to start).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from tests.fakes.refdata import RefData, multitool_runs_here

# Format checks that must really run: jsonschema skips a format whose checker library is missing
# (uri-reference needs rfc3986-validator, date-time rfc3339-validator), which would make the check blind.
REQUIRED_FORMATS = ("uri", "uri-reference", "date-time", "uuid")


@dataclass
class SarifChecker:
    refdata: RefData
    validator: Any = field(init=False)

    def __post_init__(self) -> None:
        schema = json.loads(self.refdata.sarif_schema_path.read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        checker = cls.FORMAT_CHECKER
        missing = [name for name in REQUIRED_FORMATS if name not in checker.checkers]
        if missing:
            raise RuntimeError(f"jsonschema cannot check the formats {missing}: install the [test] extra")
        self.validator = cls(schema, format_checker=checker)

    def schema_errors(self, document: Any) -> list[str]:
        errors = sorted(self.validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]

    def multitool_errors(
        self, paths: list[Path], levels: tuple[str, ...] = ("error",)
    ) -> dict[Path, list[str]]:
        """What the multitool reports per file at LEVELS (its exit code is 0 even when it finds errors)."""
        if not paths or multitool_runs_here():
            return {}
        with tempfile.TemporaryDirectory(prefix="lok-sarif-check-") as scratch:
            log = Path(scratch) / "validation.sarif"
            done = subprocess.run(
                [str(self.refdata.multitool), "validate", *map(str, paths), "--rule-kind", "Sarif;Ghas"]
                + ["--output", str(log), "--quiet"],
                capture_output=True,
                text=True,
                timeout=300,
                stdin=subprocess.DEVNULL,
            )
            if not log.is_file():
                raise RuntimeError(
                    f"the SARIF multitool wrote no log (exit {done.returncode}): {done.stdout[-2000:]}"
                )
            report = json.loads(log.read_text(encoding="utf-8-sig"))
        found: dict[Path, list[str]] = {}
        by_name = {path.resolve().as_uri(): path for path in paths}
        for run in report.get("runs", []):
            # a file the multitool could not even read or parse is a tool notification, not a result
            for invocation in run.get("invocations", []):
                for note in invocation.get("toolExecutionNotifications", []):
                    if note.get("level") == "error":
                        where = note.get("locations", [{}])[0].get("physicalLocation", {})
                        uri = where.get("artifactLocation", {}).get("uri", "")
                        found.setdefault(by_name.get(uri, Path(uri)), []).append(note["message"]["text"])
            for result in run.get("results", []):
                if result.get("level", "warning") not in levels:
                    continue
                uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                text = _message(run, result)
                found.setdefault(by_name.get(uri, Path(uri)), []).append(f"{result['ruleId']}: {text}")
        return found

    def check(self, paths: list[Path], labels: dict[Path, str] | None = None) -> list[str]:
        """Every problem in PATHS, each line naming its file (or its label); [] when all pass."""
        named = labels or {}
        problems: list[str] = []
        for path in paths:
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                problems.append(f"{named.get(path, path)}: not JSON: {error}")
                continue
            problems += [f"{named.get(path, path)}: schema: {line}" for line in self.schema_errors(document)]
        for path, lines in self.multitool_errors(paths).items():
            problems += [f"{named.get(path, path)}: multitool {line}" for line in lines]
        return problems

    def check_documents(self, documents: list[Any], labels: list[str] | None = None) -> list[str]:
        with tempfile.TemporaryDirectory(prefix="lok-sarif-doc-") as scratch:
            named: dict[Path, str] = {}
            for number, document in enumerate(documents):
                path = Path(scratch) / f"document-{number}.sarif"
                path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
                named[path] = labels[number] if labels else f"document {number}"
            return self.check(list(named), named)


def _message(run: dict[str, Any], result: dict[str, Any]) -> str:
    """The result's text: the multitool writes a message id plus arguments into the rule's messageStrings."""
    message = result.get("message", {})
    if "text" in message:
        return str(message["text"])
    rules = run.get("tool", {}).get("driver", {}).get("rules", [])
    rule = next((r for r in rules if r.get("id") == result.get("ruleId")), {})
    template = (
        rule.get("messageStrings", {}).get(message.get("id", ""), {}).get("text", message.get("id", ""))
    )
    for number, argument in enumerate(message.get("arguments", [])):
        template = template.replace("{" + str(number) + "}", str(argument))
    return str(template)
