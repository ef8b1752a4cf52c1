"""The challenge round (lok_action/findings/challenge.py, lok_action/verification.py) end to end: the real
`lok hunt` as a subprocess, `command` backends (tests/fakes/verdict_backend.py) that report findings and
judge other backends' findings by what the prompt says."""

from __future__ import annotations

import json

from tests.fakes.trust_fixtures import hunt, prompts, trust_project

MAX_PROMPT = 8000


def by_title(findings: list[dict], word: str) -> dict:
    return next(f for f in findings if word in f["title"])


def test_confirmations_count_toward_the_quorum_and_the_refuted_are_listed(lok_project):
    log = trust_project(lok_project, {"a": "reporter", "b": "judge", "c": "judge"})
    data = hunt(lok_project, "-b", "a,b,c", "--min-consensus", "2")

    true = by_title(data["findings"], "Division")
    # agreement = distinct backends that reported it or confirmed it, blind: 1 found + 2 confirmed
    assert (true["backends"], true["confirmed_by"], true["refuted_by"]) == (["a"], ["b", "c"], [])
    assert true["agreement"] == 3 and true["start_line"] == 6
    assert [f["title"] for f in data["refuted"]] == ["Bogus: spread() leaks a file handle"]
    assert data["refuted"][0]["refuted_by"] == ["b", "c"] and data["refuted"][0]["agreement"] == 1
    assert not any("Bogus" in f["title"] for f in data["findings"] + data["below_consensus"])
    assert data["summary"]["refuted"] == 1

    # the bar's figures: verification calls <= (below-quorum findings + critical/high) x (backends - 1)
    verify = [p for p in prompts(log) if p["kind"] == "verify"]
    due = 2  # both findings are below the quorum (agreement 1 < 2); the true one is also high
    assert len(verify) == data["verification"]["calls"] == 4 <= due * (3 - 1)
    assert {p["role"] for p in verify} == {"judge"}  # the reporter is never asked about its own finding
    longest = max(p["chars"] for p in verify)
    assert longest == data["verification"]["max_prompt_chars"] < MAX_PROMPT
    print(
        f"\nchallenge figures: {len(verify)} verification calls <= {due * 2}; longest prompt {longest} chars"
    )

    off = hunt(lok_project, "-b", "a,b,c", "--min-consensus", "2", "--verify", "off", out="off.json")
    assert off["findings"] == [] and off["refuted"] == [] and off["verification"] is None
    assert sorted((f["title"][:5], f["agreement"]) for f in off["below_consensus"]) == [
        ("Bogus", 1),
        ("Divis", 1),
    ]


def test_one_confirmation_makes_agreement_two(lok_project):
    trust_project(lok_project, {"a": "reporter", "b": "judge", "c": "quiet"})
    data = hunt(lok_project, "-b", "a,b,c", "--min-consensus", "2")
    true = by_title(data["findings"], "Division")
    assert (true["agreement"], true["backends"], true["confirmed_by"], true["unsure_by"]) == (
        2,
        ["a"],
        ["b"],
        ["c"],
    )
    # one refutation out of two verdicts is no majority: kept, below the quorum
    bogus = by_title(data["below_consensus"], "Bogus")
    assert (bogus["refuted_by"], bogus["unsure_by"]) == (["b"], ["c"])


def test_reports_show_found_confirmed_and_refuted_by(lok_project):
    trust_project(lok_project, {"a": "reporter", "b": "judge", "c": "judge"})
    done = lok_project.lok(
        "hunt", "src", "-b", "a,b,c", "--min-consensus", "2", "--format", "md", timeout=120
    )
    assert done.returncode == 0, done.stderr
    md = done.stdout
    assert "| 2/3 |" not in md and "| 3/3 | a | b, c | — | — |" in md
    assert "agreement 3 (found by a, confirmed by b, c)" in md
    assert "### Refuted by the challenge round (not posted): 1" in md
    assert "found by a, refuted by b, c" in md
    assert (
        "Challenge round: 2 findings put to the other backends, 4 verification calls (4 answered, cap 40)"
        in md
    )
    text = lok_project.lok(
        "hunt", "src", "-b", "a,b,c", "--min-consensus", "2", "--sarif", "../s.sarif", timeout=120
    )
    assert text.returncode == 0, text.stderr
    assert "agreement 3/3: found by a, confirmed by b, c" in text.stdout
    assert "REFUTED (not posted): 1" in text.stdout
    import json

    sarif = json.loads((lok_project.root.parent / "s.sarif").read_text())
    results = [r for run in sarif["runs"] for r in run["results"]]
    assert [(r["properties"]["precision"], r["properties"]["confirmedBy"]) for r in results] == [
        ("very-high", ["b", "c"])
    ]


def test_the_same_answers_give_byte_identical_reports_whatever_the_parallelism(lok_project):
    def report(parallel: int) -> str:
        trust_project(
            lok_project, {"a": "reporter", "b": "judge", "c": "quiet"}, defaults=f"max_parallel = {parallel}"
        )
        done = lok_project.lok(
            "hunt", "src", "-b", "a,b,c", "--min-consensus", "2", "--format", "md", timeout=120
        )
        assert done.returncode == 0, done.stderr
        # call times are measured, not answered: the only part a replay does not reproduce
        timed = tuple(f"| {name} | ok" for name in "abc")  # the backends table's call-time column
        return "\n".join(line for line in done.stdout.splitlines() if not line.startswith(timed))

    one = report(1)
    assert report(8) == one and report(8) == one


def test_a_critical_singleton_nobody_refutes_is_listed_unconfirmed(lok_project):
    trust_project(lok_project, {"a": "critical", "b": "quiet"})
    done = lok_project.lok("hunt", "src", "-b", "a,b", "--min-consensus", "2", "--format", "md", timeout=120)
    assert done.returncode == 0, done.stderr
    assert "### Unconfirmed (under the quorum, not refuted; not posted inline): 1" in done.stdout
    assert "**[critical] Critical: spread() corrupts memory**" in done.stdout
    data = hunt(lok_project, "-b", "a,b", "--min-consensus", "2")
    assert data["summary"]["unconfirmed"] == 1 and data["findings"] == []
    assert data["unconfirmed"] == [data["below_consensus"][0]["fingerprint"]]
    # the floor is a setting: --unconfirmed none lists nothing
    quiet = lok_project.lok(
        "hunt", "src", "-b", "a,b", "--min-consensus", "2", "--format", "md", "--unconfirmed", "none"
    )
    assert quiet.returncode == 0 and "Unconfirmed" not in quiet.stdout


def test_a_refuted_critical_singleton_is_not_listed_unconfirmed(lok_project):
    trust_project(lok_project, {"a": "critical", "b": "refute-all"})
    done = lok_project.lok("hunt", "src", "-b", "a,b", "--min-consensus", "2", "--format", "md", timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Unconfirmed" not in done.stdout
    assert "### Refuted by the challenge round (not posted): 1" in done.stdout


def test_the_cap_leaves_findings_unverified_and_says_so(lok_project):
    log = trust_project(lok_project, {"a": "reporter", "b": "judge", "c": "judge"})
    data = hunt(lok_project, "-b", "a,b,c", "--min-consensus", "2", "--max-verify-calls", "1")
    assert data["verification"]["calls"] == 1 == len([p for p in prompts(log) if p["kind"] == "verify"])
    assert data["verification"]["unverified"] == 2  # each finding missed at least one of its calls
    every = data["findings"] + data["below_consensus"] + data["refuted"]
    assert all(f["unverified"] for f in every)


def test_only_critical_and_high_are_challenged_at_quorum_one_and_verify_all_asks_every_one(lok_project):
    log = trust_project(lok_project, {"a": "reporter", "b": "judge"})
    data = hunt(lok_project, "-b", "a,b")
    assert data["verification"]["findings"] == 1  # the high one; the medium one already meets quorum 1
    assert [f["title"][:5] for f in data["findings"]] == ["Divis", "Bogus"]
    everything = hunt(lok_project, "-b", "a,b", "--verify", "all", out="all.json")
    assert everything["verification"]["findings"] == 2 and everything["refuted"][0]["title"].startswith(
        "Bogus"
    )
    assert len([p for p in prompts(log) if p["kind"] == "verify"]) == 3


def test_a_workflow_step_chooses_its_challenge_and_verify_overrides_it(lok_project):
    log = trust_project(lok_project, {"a": "reporter", "b": "judge"})
    lok_project.write_workflow(
        "explain",  # a project override of a workflow the round is off in by default
        '[[steps]]\nname = "errors"\nbackends = ["*"]\nfor_each = "chunk"\noutput_format = "json"\n'
        'findings = true\nchallenge = "all"\nprompt = "You are reviewing source code for bugs.\\n{{ chunk.text }}"\n',
    )
    done = lok_project.lok("explain", "src", "-b", "a,b", "--json", timeout=120)
    assert done.returncode == 0, done.stderr
    assert len([p for p in prompts(log) if p["kind"] == "verify"]) == 2  # "all": both findings
    done = lok_project.lok("explain", "src", "-b", "a,b", "--json", "--verify", "off", timeout=120)
    assert done.returncode == 0, done.stderr
    assert len([p for p in prompts(log) if p["kind"] == "verify"]) == 2  # none more


def test_bad_settings_are_one_line_errors(lok_project):
    trust_project(lok_project, {"a": "reporter"})
    for args, expected in (
        (("--verify", "sometimes"), "--verify"),
        (("--max-verify-calls", "5000"), "--max-verify-calls"),
        (("--unconfirmed", "urgent"), "--unconfirmed"),
    ):
        done = lok_project.lok("hunt", "src", "-b", "a", *args)
        assert done.returncode == 2 and expected in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    lok_project.write_workflow(
        "bad",
        '[[steps]]\nname = "x"\nprompt = "p"\nfindings = true\noutput_format = "json"\nchallenge = "sometimes"\n',
    )
    done = lok_project.lok("run", "bad", "-b", "a")
    assert (
        done.returncode == 2 and "step 'x': 'challenge' must be one of below-quorum, all, off" in done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_prompt_stays_under_the_limit_whatever_the_finding_and_the_file():
    from lok_action.findings.challenge import MAX_PROMPT_CHARS, challenge_prompt
    from lok_action.findings.model import Finding

    lines = [f"value_{n} = compute({'x' * 300})  # a long line" for n in range(1, 400)]
    finding = Finding("lok/x", "bug", "critical", "big.py", 200, 204, "t " * 150, explanation="why " * 5000)
    prompt = challenge_prompt(finding, lines)
    assert len(prompt) < MAX_PROMPT_CHARS == MAX_PROMPT
    assert " 200| value_200" in prompt and " 204| value_204" in prompt  # the flagged lines stay in
    assert "who" not in prompt.lower() and "reported by" not in prompt.lower()  # blind


def test_verification_calls_are_on_the_backends_status(lok_project):
    trust_project(lok_project, {"a": "reporter", "b": "judge", "c": "judge"})
    data = hunt(lok_project, "-b", "a,b,c", "--min-consensus", "2")
    calls = {s["name"]: (s["calls"], s["verify_calls"]) for s in data["backends"]}
    assert calls == {"a": (1, 0), "b": (1, 2), "c": (1, 2)}  # hunt's one findings pass; 2 verdicts each


def test_action_inputs_reach_the_request_and_bad_ones_are_refused():
    import pytest

    from lok_action.errors import UsageError
    from lok_action.github.context import ActionInputs

    inputs = ActionInputs.from_env(
        {"INPUT_VERIFY": "all", "INPUT_MAX-VERIFY-CALLS": "7", "INPUT_UNCONFIRMED": "high"}
    )
    assert (inputs.verify, inputs.max_verify_calls, inputs.unconfirmed_floor) == ("all", 7, "high")
    defaults = ActionInputs.from_env({})
    assert (defaults.verify, defaults.max_verify_calls, defaults.unconfirmed_floor) == (None, 40, "critical")
    assert ActionInputs.from_env({"INPUT_UNCONFIRMED": "none"}).unconfirmed_floor is None
    for name, value in (("VERIFY", "sometimes"), ("MAX-VERIFY-CALLS", "-1"), ("UNCONFIRMED", "urgent")):
        with pytest.raises(UsageError, match=f"input {name.lower()}"):
            ActionInputs.from_env({f"INPUT_{name}": value})


def test_merge_keeps_the_challenge_rounds_figures_and_verdicts(lok_project):
    trust_project(lok_project, {"a": "reporter", "b": "judge", "c": "judge", "d": "doubter"})
    capped = hunt(
        lok_project, "-b", "a,b,c", "--min-consensus", "2", "--max-verify-calls", "1", out="one.json"
    )
    doubted = hunt(lok_project, "-b", "a,d", "--min-consensus", "2", out="two.json")
    one, two = capped["verification"], doubted["verification"]
    assert one["calls"] == 1 and one["unverified"] == 2 and two["calls"] >= 1 and two["cap"] == 40
    parent = lok_project.root.parent
    merged_json = lok_project.lok(
        "merge", "../one.json", "../two.json", "--format", "json", "-o", "../m.json"
    )
    assert merged_json.returncode == 0, merged_json.stderr
    merged = json.loads((parent / "m.json").read_text())
    # each run's cap bounded its own calls, so the merged calls are bounded by the caps' sum
    assert merged["verification"] == {
        "calls": one["calls"] + two["calls"],
        "answered": one["answered"] + two["answered"],
        "cap": one["cap"] + two["cap"],
        "findings": one["findings"] + two["findings"],
        "unverified": one["unverified"] + two["unverified"],
        "max_prompt_chars": max(one["max_prompt_chars"], two["max_prompt_chars"]),
    }
    # the verdicts of both runs survive the re-merge: d was unsure, the cap left some unverified
    every = merged["findings"] + merged["below_consensus"] + merged["refuted"]
    division = next(f for f in every if "Division" in f["title"])
    assert division["unsure_by"] == ["d"] and division["unverified"] is True
    markdown = lok_project.lok("merge", "../one.json", "../two.json", "--format", "md", "-o", "../m.md")
    assert markdown.returncode == 0, markdown.stderr
    text = (parent / "m.md").read_text()
    calls = one["calls"] + two["calls"]
    assert f"{calls} verification calls ({one['answered'] + two['answered']} answered, cap 41)" in text
    assert "unsure: d" in text


def test_the_plan_bounds_what_the_round_then_sends(lok_project):
    log = trust_project(lok_project, {"a": "reporter", "b": "judge", "c": "judge"})
    args = ("-b", "a,b,c", "--min-consensus", "2", "--max-verify-calls", "3")
    planned = lok_project.lok("hunt", "src", "--plan", "--json", *args)
    assert planned.returncode == 0, planned.stderr
    bound = json.loads(planned.stdout)["verification"]
    assert bound["max_calls"] == 3 and bound["prompt_chars_per_call"] == MAX_PROMPT
    assert prompts(log) == []
    data = hunt(lok_project, *args)
    verify = [p for p in prompts(log) if p["kind"] == "verify"]
    assert 0 < len(verify) == data["verification"]["calls"] <= bound["max_calls"]
    assert max(p["chars"] for p in verify) <= bound["prompt_chars_per_call"]
