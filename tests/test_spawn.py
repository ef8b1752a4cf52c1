"""`lok spawn` end to end: the real CLI, planner and workers as real `command` backend processes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.ensemble_fixtures import fake_backend
from tests.fakes.project import LokProject

PLAN = json.dumps(
    {
        "subtasks": [
            {"name": "Models", "description": "define the data models"},
            {"name": "Routes", "description": "write the HTTP routes"},
            {"name": "Tests", "description": "write the tests"},
        ]
    }
)


def worker(name: str, *args: str) -> str:
    return fake_backend(name, "ensemble_worker.py", name, *args)


def overlapping(spans: list[tuple[float, float]]) -> bool:
    """Every span started before every other one ended: they all ran at the same time."""
    return max(start for start, _ in spans) < min(end for _, end in spans)


def test_three_one_second_subtasks_run_concurrently(lok_project: LokProject) -> None:
    lok_project.write_config_only(worker("w1", "--sleep", "1"))
    result, wall = lok_project.timed_lok(
        "spawn",
        "Build a REST API",
        "-a",
        "a:first part",
        "-a",
        "b:second part",
        "-a",
        "c:third part",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    print(f"spawn wall {wall:.2f}s, subtask phase {data['subtasks_wall']:.2f}s")
    assert data["subtasks_wall"] < 1.5  # 3 x 1 s sequentially would be 3 s
    assert wall < 1.5 + 1.0  # whole CLI run, allowing for interpreter start-up on a busy machine
    spans = [line.split() for line in (lok_project.state / "w1.spans").read_text().splitlines()]
    assert sorted(name for name, _, _ in spans) == ["a", "b", "c"]
    times = [(float(start), float(end)) for _, start, end in spans]
    assert overlapping(times)
    # measured here from the workers' own clocks, independent of what lok reports
    assert max(end for _, end in times) - min(start for start, _ in times) < 1.5


def test_planner_splits_and_everything_is_saved(lok_project: LokProject) -> None:
    lok_project.write_config_only(worker("planner", "--plan", PLAN), worker("w1"))
    result = lok_project.lok("spawn", "Build a REST API", "-b", "planner", "--backends", "w1", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["planner"] == "planner"
    assert [s["name"] for s in data["subtasks"]] == ["models", "routes", "tests"]
    assert all(s["backend"] == "w1" and s["ok"] for s in data["subtasks"])
    assert [s["output"].strip() for s in data["subtasks"]] == [
        "w1 did models",
        "w1 did routes",
        "w1 did tests",
    ]
    # each worker saw the whole task, its own part, and what the others do
    prompts = lok_project.prompts("w1")
    assert "Overall task:\nBuild a REST API" in prompts and "- routes: write the HTTP routes" in prompts
    run_dir = Path(data["run_dir"])
    assert run_dir.parent == lok_project.root / ".lok" / "runs"
    assert run_dir.name == data["run_id"]
    plan = json.loads((run_dir / "plan.json").read_text())
    assert plan["planner_answer"].strip() == PLAN
    assert [s["description"] for s in plan["subtasks"]][1] == "write the HTTP routes"
    assert (run_dir / "subtasks" / "02-routes.md").read_text().strip() == "w1 did routes"
    merged = (run_dir / "merged.md").read_text()
    assert merged == data["merged"]
    assert merged.index("## models (w1)") < merged.index("w1 did models") < merged.index("## routes (w1)")
    assert json.loads((run_dir / "result.json").read_text())["run_id"] == data["run_id"]


def test_merger_backend_and_a_failed_subtask(lok_project: LokProject) -> None:
    lok_project.write_config_only(worker("w1"), worker("merger"), worker("broken", "--fail"))
    result = lok_project.lok(
        "spawn", "T", "-a", "x:do x", "-a", "y:do y", "--backends", "w1", "--merger", "merger", "--json"
    )
    data = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert data["merged_by"] == "merger"
    assert data["merged"].strip() == "MERGED BY merger: w1 did x | w1 did y"

    failing = lok_project.lok("spawn", "T", "-a", "x:do x", "--backends", "broken", "--json")
    assert failing.returncode == 1
    data = json.loads(failing.stdout)
    assert data["failed"] == ["x"] and "exit 4" in data["subtasks"][0]["error"]
    assert (Path(data["run_dir"]) / "subtasks" / "01-x.error.txt").is_file()


def test_each_subtask_runs_on_the_backend_suggest_picks(lok_project: LokProject) -> None:
    # real codex and claude backend kinds (their parsers), answered by the fake worker program
    lok_project.write_config_only(
        fake_backend("thinker", "ensemble_worker.py", "thinker", "--sleep", "0.5", kind="claude"),
        fake_backend("coder", "ensemble_worker.py", "coder", "--sleep", "0.5", kind="codex"),
    )
    result = lok_project.lok(
        "spawn", "Speed up the service", "-a", "arch:design the caching architecture",
        "-a", "scan:find N+1 queries and dead code", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    subtasks = {s["name"]: s for s in json.loads(result.stdout)["subtasks"]}
    assert subtasks["arch"]["backend"] == "thinker" and "design" in subtasks["arch"]["reason"]
    assert subtasks["scan"]["backend"] == "coder" and "n+1" in subtasks["scan"]["reason"]
    assert subtasks["arch"]["output"] == "thinker did arch"
    assert subtasks["scan"]["output"] == "coder did scan"
    assert "arch -> thinker (careful reasoning" in result.stderr  # progress shows the choice


def test_bad_plans_and_specs_are_one_line_errors(lok_project: LokProject) -> None:
    lok_project.write_config_only(worker("planner", "--plan", "no json here, sorry"), worker("w1"))
    bad_plan = lok_project.lok("spawn", "T", "-b", "planner", "--backends", "w1")
    assert bad_plan.returncode == 1
    assert (
        bad_plan.stderr.strip().splitlines()[-1].startswith("lok: error: planner planner: output is not JSON")
    )
    bad_spec = lok_project.lok("spawn", "T", "-a", "no-colon")
    assert bad_spec.returncode == 2 and "-a 'no-colon': expected NAME:DESCRIPTION" in bad_spec.stderr
    unknown = lok_project.lok("spawn", "T", "-a", "x:y", "--backends", "w2")
    assert unknown.returncode == 2 and "unknown backend 'w2'" in unknown.stderr
