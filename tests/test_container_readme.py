"""The README's configuration reference matches the code: lok.toml keys, workflow TOML keys, action inputs
and outputs. Rows are generated here from the code and must appear in README.md verbatim.

To refresh after changing the code: `python -m tests.test_container_readme` prints the generated rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from lok_action.config import BACKEND_KEYS, BUILTIN_DEFAULTS, CACHE_KEYS, DEFAULTS_KEYS
from lok_action.schema import Key
from lok_action.workflow.model import STEP_KEYS, WORKFLOW_KEYS

ROOT = Path(__file__).resolve().parents[1]
KEY_TABLES: dict[str, dict[str, Key]] = {
    "defaults": DEFAULTS_KEYS,
    "backends.NAME": BACKEND_KEYS,
    "cache": CACHE_KEYS,
    "workflow": WORKFLOW_KEYS,
    "step": STEP_KEYS,
}


def _default(section: str, key: str) -> str:
    value = BUILTIN_DEFAULTS.get(section, {}).get(key, "") if section != "backends" else ""
    if value == "":
        return ""
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def config_rows() -> dict[str, list[str]]:
    """| key | type | default | range | meaning |"""
    return {
        title: [
            f"| `{key}` | {spec.type_name()} | {_default(title, key)} | {spec.span()} | {spec.description} |"
            for key, spec in KEY_TABLES[title].items()
        ]
        for title in ("defaults", "backends.NAME", "cache")
    }


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return data


def action_rows() -> dict[str, list[str]]:
    action = _action()
    inputs = []
    for name, spec in action["inputs"].items():
        default = str(spec.get("default", ""))
        inputs.append(f"| `{name}` | {f'`{default}`' if default else ''} | {spec['description']} |")
    outputs = [f"| `{name}` | {spec['description']} |" for name, spec in action["outputs"].items()]
    return {"inputs": inputs, "outputs": outputs}


def workflow_rows() -> dict[str, list[str]]:
    """| key | type | range | meaning |"""
    return {
        title: [
            f"| `{key}` | {spec.type_name()} | {spec.span()} | {spec.description} |"
            for key, spec in KEY_TABLES[title].items()
        ]
        for title in ("workflow", "step")
    }


def _section(readme: str, heading: str) -> str:
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^##)", readme, re.S | re.M)
    assert match, f"README.md has no '### {heading}' section"
    return match.group(1)


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def _table_keys(text: str) -> list[str]:
    return re.findall(r"^\| `([^`]+)` \|", text, re.M)


def test_lok_toml_reference_matches_the_config_schema() -> None:
    section = _section(_readme(), "lok.toml")
    for title, rows in config_rows().items():
        assert f"`[{title}]`" in section
        table = section.split(f"`[{title}]`", 1)[1].split("\n\n`[", 1)[0]
        missing = [row for row in rows if row not in table.splitlines()]
        assert not missing, f"README lok.toml [{title}] rows differ from lok_action.config:\n" + "\n".join(
            missing
        )
        # and no key that the code no longer knows
        assert len(_table_keys(table)) == len(rows), f"README [{title}] lists keys the code does not have"


def test_workflow_toml_reference_lists_every_key() -> None:
    section = _section(_readme(), "Workflow TOML")
    top, steps = section.split("[[steps]]` keys:", 1)
    for text, rows in ((top, workflow_rows()["workflow"]), (steps, workflow_rows()["step"])):
        lines = text.splitlines()
        missing = [row for row in rows if row not in lines]
        assert not missing, "README workflow TOML rows differ from lok_action.workflow.model:\n" + "\n".join(
            missing
        )
        assert len(_table_keys(text)) == len(rows), "README lists workflow keys the code does not accept"


def test_every_number_has_a_documented_range() -> None:
    """A numeric key without a range would accept 1e300 (or -100) again."""
    unbounded = [
        f"{title}.{key}"
        for title, keys in KEY_TABLES.items()
        for key, spec in keys.items()
        if spec.is_number and spec.range is None
    ]
    assert not unbounded, f"numeric keys without a range: {unbounded}"
    # and the built-in defaults are inside them
    for section in ("defaults", "cache"):
        for key, value in BUILTIN_DEFAULTS[section].items():
            spec = KEY_TABLES[section][key]
            assert spec.range is None or spec.range.contains(value), (section, key, value)


def test_action_inputs_and_outputs_reference_matches_action_yml() -> None:
    section = _section(_readme(), "Action inputs and outputs")
    lines = section.splitlines()
    for kind, rows in action_rows().items():
        missing = [row for row in rows if row not in lines]
        assert not missing, f"README action {kind} differ from action.yml:\n" + "\n".join(missing)
    assert len(_table_keys(section)) == sum(len(rows) for rows in action_rows().values())


def test_readme_documents_every_example_workflow_and_its_permissions() -> None:
    readme = _readme()
    for path in sorted((ROOT / "examples" / "workflows").glob("*.yml")):
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{path.name}` |")), None)
        assert row, f"README's example table has no row for {path.name}"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        granted: dict[str, str] = {}
        for job in data["jobs"].values():
            granted.update(job.get("permissions") or {})
        granted.update(data.get("permissions") or {})
        for scope, level in granted.items():
            assert f"`{scope}: {level}`" in row, f"README row for {path.name} does not list {scope}: {level}"


def test_a_drifted_row_is_detected() -> None:
    """The check can fail: a key the code gains is missing from the README until documented."""
    rows = config_rows()["cache"] + ["| `no_such_key` | boolean |  |  | not a real key |"]
    table = _section(_readme(), "lok.toml").split("`[cache]`", 1)[1]
    assert [row for row in rows if row not in table.splitlines()] == [
        "| `no_such_key` | boolean |  |  | not a real key |"
    ]


if __name__ == "__main__":
    for title, rows in {**config_rows(), **workflow_rows()}.items():
        print(f"`[{title}]`", *rows, "", sep="\n")
    for kind, rows in action_rows().items():
        print(kind, *rows, "", sep="\n")
