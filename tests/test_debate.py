"""`lok debate` end to end: the real CLI, scripted debaters as real `command` backend processes."""

from __future__ import annotations

import json

import pytest

from tests.fakes.ensemble_fixtures import fake_backend
from tests.fakes.project import LokProject


def debater(name: str, *args: str, timeout: float | None = None) -> str:
    return fake_backend(name, "ensemble_debater.py", name, *args, timeout=timeout)


def test_debate_ends_early_with_consensus_when_one_changes_its_mind(
    lok_project: LokProject,
) -> None:
    lok_project.write_config_only(
        debater("alpha", "--positions", "use async", "--agree-from", "2"),
        debater("beta", "--positions", "stay sync,use async", "--agree-from", "2"),
    )
    transcript = lok_project.root / "debate.md"
    result = lok_project.lok(
        "debate",
        "Should we use async here?",
        "--rounds",
        "4",
        "-b",
        "alpha,beta",
        "-o",
        str(transcript),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["consensus"] is True
    assert data["rounds_run"] == 2  # stopped early, out of 4 allowed
    assert lok_project.calls("alpha") == 2 and lok_project.calls("beta") == 2
    round2 = {p["backend"]: p for p in data["rounds"][1]}
    assert round2["beta"]["position"] == "use async"
    assert "stay sync" in round2["beta"]["changed"]
    assert round2["alpha"]["changed"] == ""
    assert data["synthesis"].startswith("Consensus after 2 rounds among alpha, beta")
    # round 2 showed each backend the other's round-1 position
    assert "### alpha\nuse async" in lok_project.prompts("beta").split("=== call 2")[1]
    assert "### beta\nstay sync" in lok_project.prompts("alpha").split("=== call 2")[1]
    text = transcript.read_text()
    assert "## Round 2" in text and "## Consensus" in text and "## Round 3" not in text
    assert "round 2: all 2 backends agree, stopping" in result.stderr  # progress as it went


def test_debate_that_never_agrees_reports_the_split(lok_project: LokProject) -> None:
    lok_project.write_config_only(
        debater("alpha", "--positions", "use async"),
        debater("beta", "--positions", "stay sync"),
        debater("gamma", "--positions", "use async", "--agree-from", "2"),
    )
    result = lok_project.lok("debate", "Async?", "--rounds", "3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["consensus"] is False
    assert data["rounds_run"] == 3
    assert data["participants"] == ["alpha", "beta", "gamma"]  # the ready backends, none named
    pairs = {(d["backend"], d["disagrees_with"]) for d in data["disagreements"]}
    assert pairs == {("alpha", "beta"), ("alpha", "gamma"), ("beta", "alpha"), ("beta", "gamma")}
    assert data["synthesis"].startswith("No consensus after 3 rounds")
    assert "- alpha: use async" in data["synthesis"] and "- beta: stay sync" in data["synthesis"]


def test_failing_backend_drops_out_and_is_named(lok_project: LokProject) -> None:
    lok_project.write_config_only(
        debater("alpha", "--positions", "A", "--agree-from", "2"),
        debater("beta", "--positions", "A", "--agree-from", "2"),
        debater("crashy", "--positions", "B", "--fail-round", "2"),
        debater("slow", "--positions", "C", "--sleep-round", "1:5", timeout=1),
    )
    result = lok_project.lok("debate", "Q?", "-b", "alpha,beta,crashy,slow", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["dropped"]) == {"crashy", "slow"}
    assert "round 1: timed out after 1s" in data["dropped"]["slow"]
    assert "round 2: exit 3" in data["dropped"]["crashy"]
    assert data["consensus"] is True and data["active"] == ["alpha", "beta"]
    assert "Dropped out: " in data["synthesis"] and "crashy" in data["synthesis"]
    assert "slow dropped out" in result.stderr


def test_unreadable_verdict_gets_one_repair_request_then_drops(lok_project: LokProject) -> None:
    lok_project.write_config_only(
        debater("alpha", "--positions", "A"),
        debater("beta", "--positions", "A"),
        debater("mumbler", "--positions", "A", "--garbage-round", "2"),
    )
    result = lok_project.lok("debate", "Q?", "--rounds", "2", "--json")
    data = json.loads(result.stdout)
    assert "no usable verdict" in data["dropped"]["mumbler"]
    assert lok_project.calls("mumbler") == 3  # opening, verdict, one repair
    assert "could not be used" in lok_project.prompts("mumbler").split("=== call 3")[1]


def test_synthesizer_backend_writes_the_final_word(lok_project: LokProject) -> None:
    lok_project.write_config_only(
        debater("alpha", "--positions", "A", "--agree-from", "2"),
        debater("beta", "--positions", "A", "--agree-from", "2"),
        debater("judge", "--positions", "x"),
    )
    result = lok_project.lok("debate", "Q?", "-b", "alpha,beta", "--synthesizer", "judge", "--json")
    data = json.loads(result.stdout)
    assert data["synthesized_by"] == "judge"
    assert data["synthesis"] == "SYNTHESIS by judge: the debate is settled."
    assert "Consensus after 2 rounds" in lok_project.prompts("judge")


def test_bad_input_is_one_line_exit_2(lok_project: LokProject) -> None:
    lok_project.write_config_only(debater("alpha", "--positions", "A"))
    unknown = lok_project.lok("debate", "Q?", "-b", "alpha,nosuch")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == [unknown.stderr.strip()]
    assert "unknown backend 'nosuch'" in unknown.stderr
    alone = lok_project.lok("debate", "Q?")
    assert alone.returncode == 2 and "at least 2 backends, got 1 (alpha)" in alone.stderr
    rounds = lok_project.lok("debate", "Q?", "--rounds", "0", "-b", "alpha,alpha")
    assert rounds.returncode == 2 and "--rounds must be an integer from 1 to 1000" in rounds.stderr


@pytest.mark.parametrize("form", ["bool", "word", "list"])
def test_plain_agreement_forms_count_as_verdicts(lok_project: LokProject, form: str) -> None:
    # real models often answer {"agree": true, ...} instead of one entry per participant
    lok_project.write_config_only(
        debater("alpha", "--positions", "A", "--agree-from", "2", "--agree-form", form),
        debater("beta", "--positions", "B,A", "--agree-from", "2"),
    )
    result = lok_project.lok("debate", "q", "--rounds", "3", "-b", "alpha,beta", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dropped"] == {} and data["active"] == ["alpha", "beta"]
    assert data["consensus"] is True and data["rounds_run"] == 2
    assert data["rounds"][1][0]["agree"] == {"beta": True}


@pytest.mark.parametrize("form", ["bool", "word", "list"])
def test_plain_disagreement_is_read_as_disagreement(lok_project: LokProject, form: str) -> None:
    lok_project.write_config_only(
        debater("alpha", "--positions", "A", "--agree-form", form),  # never agrees
        debater("beta", "--positions", "B", "--agree-from", "2"),
    )
    result = lok_project.lok("debate", "q", "--rounds", "2", "-b", "alpha,beta", "--json")
    data = json.loads(result.stdout)
    assert data["dropped"] == {} and data["consensus"] is False
    assert {"backend": "alpha", "disagrees_with": "beta"} in data["disagreements"]
