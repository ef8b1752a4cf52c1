"""`lok debate` and `lok spawn` over the real codex, claude and gemini CLIs (npm, pinned versions),
each talking its vendor's protocol to the local model server, which answers per prompt."""

from __future__ import annotations

import json

import pytest

from tests.fakes.backend_fixtures import CliHomes, backend_tables, lok_toml
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.npm_clis import InstalledClis
from tests.fakes.project import LokProject

pytestmark = pytest.mark.realcli

CLIS = ("codex", "claude", "gemini")
PROTOCOL = {"codex": "responses", "claude": "anthropic", "gemini": "gemini"}


def configure(runner: LokProject, server: FakeLLMServer, homes: CliHomes, clis: InstalledClis) -> None:
    """lok.toml with the three CLI backends (by absolute path) pointed at ``server``."""
    tables = backend_tables(server.url, homes, {name: str(clis.path(name)) for name in CLIS})
    runner.write_toml(lok_toml({name: tables[name] for name in CLIS}))


def verdict(position: str, changed: str, agree: dict[str, bool]) -> str:
    return json.dumps({"position": position, "changed": changed, "agree": agree})


def test_debate_over_three_real_clis_ends_early_when_gemini_changes_its_mind(
    lok_project: LokProject, llm_server: FakeLLMServer, cli_homes: CliHomes, real_clis: InstalledClis
) -> None:
    round2 = "This is round 2."  # only the verdict prompt of round 2 says this
    llm_server.script(
        "responses",
        text=json.dumps({"position": "use async: the handler waits on I/O"}),
        replies=[
            (round2, verdict("use async: the handler waits on I/O", "", {"claude": True, "gemini": True}))
        ],
    )
    llm_server.script(
        "anthropic",
        text=json.dumps({"position": "use async, with a bounded pool"}),
        replies=[(round2, verdict("use async, with a bounded pool", "", {"codex": True, "gemini": True}))],
    )
    llm_server.script(
        "gemini",
        text=json.dumps({"position": "stay sync: simpler to debug"}),
        replies=[
            (
                round2,
                verdict(
                    "use async after all",
                    "was 'stay sync'; the I/O-bound argument convinced me",
                    {"codex": True, "claude": True},
                ),
            )
        ],
    )
    configure(lok_project, llm_server, cli_homes, real_clis)

    result = lok_project.lok(
        "debate", "Should the handler use async?", "-b", "codex,claude,gemini", "--rounds", "3",
        "--no-cache", "--json",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dropped"] == {}, data["dropped"]
    assert data["consensus"] is True
    assert data["rounds_run"] == 2  # stopped early, out of 3 allowed
    round1 = {p["backend"]: p["position"] for p in data["rounds"][0]}
    assert round1 == {
        "codex": "use async: the handler waits on I/O",
        "claude": "use async, with a bounded pool",
        "gemini": "stay sync: simpler to debug",
    }
    round2_positions = {p["backend"]: p for p in data["rounds"][1]}
    assert round2_positions["gemini"]["position"] == "use async after all"
    assert "stay sync" in round2_positions["gemini"]["changed"]
    assert round2_positions["codex"]["changed"] == "" and round2_positions["claude"]["changed"] == ""
    assert data["synthesis"].startswith("Consensus after 2 rounds among codex, claude, gemini")
    assert "round 2: all 3 backends agree, stopping" in result.stderr
    # each CLI asked its vendor's endpoint exactly once per round, and round 2 showed it the others'
    # round-1 positions (what went over the wire, not what lok says it sent)
    for name in CLIS:
        prompts = llm_server.prompts(PROTOCOL[name])
        assert len(prompts) == 2, f"{name}: {len(prompts)} model requests"
        assert "Should the handler use async?" in prompts[0] and round2 not in prompts[0]
        assert round2 in prompts[1] and f"You are '{name}'" in prompts[1]
    gemini_round2 = llm_server.prompts("gemini")[1]
    assert "### codex\nuse async: the handler waits on I/O" in gemini_round2
    assert "### claude\nuse async, with a bounded pool" in gemini_round2
    assert "### gemini\nstay sync" in llm_server.prompts("anthropic")[1]


def test_spawn_routes_each_subtask_to_the_vendor_suggest_picks_and_runs_them_at_once(
    lok_project: LokProject, llm_server: FakeLLMServer, cli_homes: CliHomes, real_clis: InstalledClis
) -> None:
    for name in CLIS:
        # every subtask prompt names its part; the answer says which vendor endpoint answered which part
        llm_server.script(
            PROTOCOL[name],
            text=f"{name}: no part named",
            delay=1.0,  # each model call takes a second, so overlap is measurable
            replies=[
                (f"Your part ({part}):", f"{name} endpoint did {part}") for part in ("arch", "scan", "sec")
            ],
        )
    configure(lok_project, llm_server, cli_homes, real_clis)

    result = lok_project.lok(
        "spawn", "Harden and speed up the service",
        "-a", "arch:design the caching architecture",
        "-a", "scan:find N+1 queries and dead code",
        "-a", "sec:audit the auth code for injection",
        "--backends", "codex,claude,gemini", "--no-cache", "--json",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    subtasks = {s["name"]: s for s in data["subtasks"]}
    expected = {"arch": "claude", "scan": "codex", "sec": "gemini"}
    assert {name: s["backend"] for name, s in subtasks.items()} == expected
    for part, backend in expected.items():
        assert subtasks[part]["ok"], subtasks[part]["error"]
        assert subtasks[part]["output"] == f"{backend} endpoint did {part}"
        # exactly one model request reached this vendor's protocol, and it carried this part only
        prompts = llm_server.prompts(PROTOCOL[backend])
        assert len(prompts) == 1, f"{backend}: {len(prompts)} model requests"
        assert f"Your part ({part}):" in prompts[0]
        others = [other for other in expected if other != part]
        assert all(f"Your part ({other}):" not in prompts[0] for other in others)
    # all three ran at the same time: each started before any of them finished
    spans = [(s["started"], s["finished"]) for s in data["subtasks"]]
    assert max(start for start, _ in spans) < min(end for _, end in spans), spans
    merged = data["merged"]
    assert merged.index("## arch (claude)") < merged.index("claude endpoint did arch")
    assert "codex endpoint did scan" in merged and "gemini endpoint did sec" in merged


def test_debate_that_never_agrees_reports_the_split_and_names_the_backend_that_failed(
    lok_project: LokProject, llm_server: FakeLLMServer, cli_homes: CliHomes, real_clis: InstalledClis
) -> None:
    round2 = "This is round 2."
    llm_server.script(
        "responses",
        text=json.dumps({"position": "tabs"}),
        replies=[(round2, verdict("tabs", "", {"claude": False}))],
    )
    llm_server.script(
        "anthropic",
        text=json.dumps({"position": "spaces"}),
        replies=[(round2, verdict("spaces", "", {"codex": False}))],
    )
    llm_server.script("gemini", status=401)  # gemini's key is refused: it drops out in round 1
    configure(lok_project, llm_server, cli_homes, real_clis)
    transcript = lok_project.root / "debate.md"

    result = lok_project.lok(
        "debate", "Tabs or spaces?", "-b", "codex,claude,gemini", "--rounds", "2", "--no-cache",
        "-o", str(transcript), "--json",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["consensus"] is False and data["rounds_run"] == 2
    assert list(data["dropped"]) == ["gemini"]
    assert data["dropped"]["gemini"].startswith("round 1: ") and "GEMINI_API_KEY" in data["dropped"]["gemini"]
    assert data["active"] == ["codex", "claude"]
    assert sorted(map(tuple, (d.values() for d in data["disagreements"]))) == [
        ("claude", "codex"),
        ("codex", "claude"),
    ]
    assert "No consensus after 2 rounds" in data["synthesis"]
    assert "- codex: tabs" in data["synthesis"] and "- claude: spaces" in data["synthesis"]
    assert "Dropped out: gemini (round 1: " in data["synthesis"]
    assert len(llm_server.prompts("gemini")) == 1  # not asked again after dropping out
    assert "### claude\nspaces" in llm_server.prompts("responses")[1]
    text = transcript.read_text()
    assert "## Round 2" in text and "## Outcome" in text and "*gemini dropped out (round 1: " in text
