"""--max-cost on `lok debate` and `lok spawn` (and lok.toml's [defaults] max_cost): the budget admits each
call before it is made, a refused call is never made, and a run the budget stopped says so in one line
and exits 3; the real CLI with its backends as real `command` processes."""

from __future__ import annotations

import json

from tests.fakes.ensemble_fixtures import fake_backend
from tests.fakes.project import LokProject

PRICED = "price_in = 3.0\nprice_out = 15.0\n"  # USD per million tokens, as a vendor model's
TINY = "0.00000001"


def debaters() -> list[str]:
    return [
        fake_backend(name, "ensemble_debater.py", name, "--positions", positions, "--agree-from", "2")
        + PRICED
        for name, positions in (("alpha", "use async"), ("beta", "stay sync,use async"))
    ]


def test_a_debate_within_its_budget_runs_and_one_past_it_makes_no_call(lok_project: LokProject) -> None:
    lok_project.write_config_only(*debaters())
    args = ("debate", "Should we use async here?", "-b", "alpha,beta", "--json")
    within = lok_project.lok(*args, "--max-cost", "1")
    assert within.returncode == 0, within.stderr
    assert json.loads(within.stdout)["rounds"] and "cost budget" not in within.stderr
    calls = (lok_project.calls("alpha"), lok_project.calls("beta"))
    assert min(calls) >= 1

    past = lok_project.lok(*args, "--max-cost", TINY)
    assert past.returncode == 3, past.stderr
    assert (lok_project.calls("alpha"), lok_project.calls("beta")) == calls  # nobody was asked
    line = past.stderr.strip().splitlines()[-1]
    assert line.startswith("lok: the cost budget ($1e-08) stopped the run: ") and "not made" in line

    # lok.toml's [defaults] max_cost is the budget when no --max-cost is given
    lok_project.write_config_only(f"[defaults]\nmax_cost = {TINY}\n", *debaters())
    configured = lok_project.lok(*args)
    assert configured.returncode == 3 and "cost budget" in configured.stderr, configured.stderr
    assert (lok_project.calls("alpha"), lok_project.calls("beta")) == calls


def test_a_spawn_past_its_budget_starts_no_subtask(lok_project: LokProject) -> None:
    lok_project.write_config_only(fake_backend("w1", "ensemble_worker.py", "w1") + PRICED)
    args = ("spawn", "Build a REST API", "-a", "a:first part", "-a", "b:second part", "--json")
    past = lok_project.lok(*args, "--max-cost", TINY)
    assert past.returncode == 3, past.stderr
    assert lok_project.calls("w1") == 0
    assert "stopped the run: 2 calls not made; spent $0.0000" in past.stderr
    within = lok_project.lok(*args, "--max-cost", "1")
    assert within.returncode == 0, within.stderr
    assert lok_project.calls("w1") == 2


def test_a_bad_budget_is_a_one_line_usage_error(lok_project: LokProject) -> None:
    lok_project.write_config_only(*debaters())
    for command in (("debate", "Q?", "-b", "alpha,beta"), ("spawn", "T", "-a", "a:part")):
        bad = lok_project.lok(*command, "--max-cost", "lots")
        assert bad.returncode == 2 and "--max-cost" in bad.stderr and "Traceback" not in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_a_spawn_whose_planner_the_budget_refused_exits_3_not_1(lok_project: LokProject) -> None:
    lok_project.write_config_only(fake_backend("w1", "ensemble_worker.py", "w1") + PRICED)
    past = lok_project.lok("spawn", "Build a REST API", "-b", "w1", "--max-cost", TINY)
    assert past.returncode == 3, past.stderr
    assert lok_project.calls("w1") == 0
    assert past.stderr.strip().splitlines()[-1].startswith("lok: the cost budget ($1e-08) stopped the run")
    assert "Traceback" not in past.stderr
