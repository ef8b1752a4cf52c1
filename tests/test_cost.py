"""Issue 14, paying once: the one-pass hunt, --plan (from the real prompts, calling no one), the cost
budget (--max-cost / [defaults] max_cost), --since REF, .lokignore, and the finding lifecycle of a
nightly pair of runs against the OpenAPI-validating GitHub stand-in.

The backends are real processes (tests/fakes/recording_backend.py): each records the size and the
files of every prompt it is sent and reports a finding for every line dividing by a literal zero.
"""

from __future__ import annotations

import json
import shlex
import sys
import threading
from pathlib import Path

from lok_action.budget import Spend
from lok_action.costs import ANSWER_TOKENS, CHARS_PER_TOKEN, Price
from lok_action.reply import Reply
from tests.fakes.git_repos import run_git
from tests.fakes.github_fixtures import REPO, WRITE_TOKEN

RECORDER = Path(__file__).parent / "fakes" / "recording_backend.py"
NAMES = ("rec_a", "rec_b", "rec_c")
BUGGY = "def ratio(total):\n    return total / 0\n"
CLEAN = "def ratio(total):\n    return total / 2\n"


def recorders(log: Path, *, price_in: float = 3.0, budget_chars: int | None = None) -> list[str]:
    tables = []
    for name in NAMES:
        command = " ".join(shlex.quote(part) for part in (sys.executable, str(RECORDER), str(log), name))
        table = (
            f'[backends.{name}]\nkind = "command"\ncommand = {json.dumps(command)}\nprice_in = {price_in}\n'
        )
        if budget_chars is not None:
            table += f"budget_chars = {budget_chars}\n"
        tables.append(table)
    return tables


def sent(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def write_sources(root: Path, count: int = 5, buggy: tuple[int, ...] = ()) -> None:
    src = root / "src"
    src.mkdir(exist_ok=True)
    for index in range(count):
        body = BUGGY if index in buggy else CLEAN
        (src / f"m{index}.py").write_text(f"# module {index}\n" + body + "x = 1\n" * 20, encoding="utf-8")


def hunt(project, *args: str):
    return project.lok("hunt", ".", "-b", ",".join(NAMES), "--no-cache", "-q", *args)


def test_default_hunt_asks_once_per_chunk_and_thorough_keeps_three_passes(lok_project):
    log = lok_project.root.parent / "prompts.jsonl"
    lok_project.write_config(*recorders(log))
    write_sources(lok_project.root)
    quick = hunt(lok_project, "--json")
    assert quick.returncode == 0, quick.stderr
    assert len(sent(log)) == 3  # one chunk, one prompt, per backend
    assert {b["name"]: b["calls"] for b in json.loads(quick.stdout)["backends"]} == dict.fromkeys(NAMES, 1)
    log.unlink()
    thorough = hunt(lok_project, "--json", "--depth", "thorough")
    assert thorough.returncode == 0, thorough.stderr
    assert len(sent(log)) == 9
    bad = hunt(lok_project, "--depth", "deep")
    assert bad.returncode == 2 and "invalid choice: 'deep'" in bad.stderr


def test_plan_calls_no_one_and_matches_what_the_run_then_sends(lok_project):
    log = lok_project.root.parent / "prompts.jsonl"
    lok_project.write_config(*recorders(log, budget_chars=1_000))
    write_sources(lok_project.root, count=8)
    planned = hunt(lok_project, "--plan", "--json")
    assert planned.returncode == 0, planned.stderr
    assert sent(log) == []  # nothing was called
    plan = json.loads(planned.stdout)
    assert plan["format"] == "lok-plan/1" and plan["steps"] == ["all"]
    assert plan["skipped_steps"] == ["errors", "performance", "dead_code"]
    assert plan["chars_per_token"] == CHARS_PER_TOKEN
    ran = hunt(lok_project, "--json")
    assert ran.returncode == 0, ran.stderr
    records = sent(log)
    for row in plan["backends"]:
        mine = [record["chars"] for record in records if record["backend"] == row["name"]]
        assert row["calls"] == len(mine) > 1
        assert row["prompt_chars"] == sum(mine)  # exact: the real prompts were rendered
        assert row["estimated_tokens_in"] == sum(-(-chars // CHARS_PER_TOKEN) for chars in mine)
        assert row["estimated_tokens_out"] == row["calls"] * ANSWER_TOKENS
        # price_out is 0 for a command backend: the estimate is the prompt's, and so is the spend
        assert row["estimated_cost_usd"] == round(row["estimated_tokens_in"] * 3.0 / 1e6, 6)
    spend = {b["name"]: b["cost_usd"] for b in json.loads(ran.stdout)["backends"]}
    assert spend == {row["name"]: row["estimated_cost_usd"] for row in plan["backends"]}
    text = hunt(lok_project, "--plan")
    assert text.returncode == 0 and "Plan: hunt on . (nothing was called)" in text.stdout
    assert "rec_a:" in text.stdout and "estimated $" in text.stdout


def test_max_cost_at_half_the_plan_stops_under_budget_lists_the_rest_and_exits_3(lok_project):
    log = lok_project.root.parent / "prompts.jsonl"
    lok_project.write_config(*recorders(log, budget_chars=1_000))
    write_sources(lok_project.root, count=8)
    plan = json.loads(hunt(lok_project, "--plan", "--json").stdout)
    budget = plan["estimated_cost_usd"] / 2
    done = hunt(lok_project, "--json", "--max-cost", f"{budget:.8f}")
    assert done.returncode == 3, done.stderr
    assert "the cost budget" in done.stderr and "stopped the run" in done.stderr
    report = json.loads(done.stdout)
    spent = sum(b["cost_usd"] for b in report["backends"])
    assert 0 < spent <= budget
    assert report["summary"]["cost_usd"] == round(spent, 6)
    assert "stopped the run" in report["summary"]["stop_reason"]
    assert len(sent(log)) < plan["calls"]
    unanalysed = [
        p for p, why in report["coverage"]["skipped"].items() if why == "not analysed: cost budget reached"
    ]
    assert unanalysed and not set(unanalysed) & set(report["coverage"]["analysed"])
    # every file is analysed or listed; the ones listed were in no prompt any backend was sent
    assert set(unanalysed) | set(report["coverage"]["analysed"]) == {f"src/m{i}.py" for i in range(8)} | {
        "lok.toml"
    }
    prompted = {path for record in sent(log) for path in record["files"]}
    assert not prompted & set(unanalysed)
    assert "not analysed: cost budget reached" in report["summary"]["coverage"]
    markdown = hunt(lok_project, "--format", "md", "--max-cost", f"{budget:.8f}")
    assert (
        markdown.returncode == 3
        and "**Spend:** $" in markdown.stdout
        and "stopped the run" in markdown.stdout
    )


def test_max_cost_from_lok_toml_and_bad_values(lok_project):
    log = lok_project.root.parent / "prompts.jsonl"
    write_sources(lok_project.root, count=8)
    lok_project.write_config(*recorders(log, budget_chars=1_000), defaults="max_cost = 0.000001\n")
    done = hunt(lok_project, "--json")
    assert done.returncode == 3 and sent(log) == []  # not even one call fits
    for option, value in (("--max-cost", "0"), ("--max-cost", "lots")):
        bad = hunt(lok_project, option, value)
        assert bad.returncode == 2 and "--max-cost" in bad.stderr and "Traceback" not in bad.stderr
    lok_project.write_config(*recorders(log, price_in=-1))
    bad = hunt(lok_project)
    assert bad.returncode == 2 and "price_in" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_spend_guard_is_safe_across_threads():
    spend = Spend(limit=0.01)
    price = Price(1.0, 0.0)  # 4,000 chars = 1,000 tokens = $0.001 a call

    def worker() -> None:
        for _ in range(50):
            spend.call("x", price, 4_000, lambda: Reply("x", text=""))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert spend.total <= 0.01 + 1e-12 and spend.stopped
    assert spend.refused + round(spend.total / 0.001) == 400


def test_since_analyses_only_what_changed_and_reports_the_rest_unchanged(lok_project):
    root = lok_project.root
    log = root.parent / "prompts.jsonl"
    lok_project.write_config(*recorders(log))
    write_sources(root)
    (root / "old_name.py").write_text("y = 2\n", encoding="utf-8")
    (root / "doomed.py").write_text("z = 3\n", encoding="utf-8")
    run_git(root, "init", "-q")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-qm", "one")
    base = run_git(root, "rev-parse", "HEAD").strip()
    (root / "src" / "m1.py").write_text(BUGGY, encoding="utf-8")  # uncommitted
    run_git(root, "mv", "old_name.py", "new_name.py")
    run_git(root, "rm", "-q", "doomed.py")
    (root / "untracked.py").write_text("w = 4\n", encoding="utf-8")
    done = hunt(lok_project, "--json", "--since", base)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["coverage"]["analysed"] == ["new_name.py", "src/m1.py", "untracked.py"]
    assert report["coverage"]["skipped"]["src/m0.py"] == f"unchanged since {base}"
    assert {path for record in sent(log) for path in record["files"]} == {
        "new_name.py",
        "src/m1.py",
        "untracked.py",
    }
    bad = hunt(lok_project, "--since", "no-such-ref")
    assert bad.returncode == 2 and bad.stderr.strip().startswith(
        "lok: error: --since no-such-ref: not a commit"
    )


def test_lokignore_skips_what_it_names(lok_project):
    log = lok_project.root.parent / "prompts.jsonl"
    lok_project.write_config(*recorders(log))
    write_sources(lok_project.root)
    (lok_project.root / ".lokignore").write_text("# planted bugs\nsrc/m[12].py\n", encoding="utf-8")
    done = hunt(lok_project, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["coverage"]["skipped"]["src/m1.py"] == "lokignore"
    assert report["coverage"]["skipped"]["src/m2.py"] == "lokignore"
    assert "src/m0.py" in report["coverage"]["analysed"]
    assert not {"src/m1.py", "src/m2.py"} & {p for record in sent(log) for p in record["files"]}


def test_this_repository_ships_a_lokignore_that_leaves_out_the_eval_corpus():
    from lok_action.context.files import collect_files

    repo = Path(__file__).resolve().parents[1]
    coverage = collect_files(repo)
    corpus = [path for path in coverage.skipped if path.startswith("eval/corpus/")]
    assert corpus and all(coverage.skipped[path] == "lokignore" for path in corpus)
    assert not [source.path for source in coverage.files if source.path.startswith("eval/corpus/")]


def test_a_nightly_pair_sends_only_the_changed_file_and_closes_only_the_fixed_issue(
    lok_project, github_stand_in
):
    root = lok_project.root
    log = root.parent / "prompts.jsonl"
    lok_project.write_config(*recorders(log))
    write_sources(root, count=5, buggy=(1, 3))
    run_git(root, "init", "-q")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-qm", "one")
    first_sha = run_git(root, "rev-parse", "HEAD").strip()
    github_stand_in.state.add_repo(REPO)
    # an issue someone else filed, and one lok filed about a file this pair never analyses again
    github_stand_in.state.add_issue(REPO, "a human's", "no markers here")
    lok_project.env.update(
        GITHUB_TOKEN=WRITE_TOKEN, GITHUB_API_URL=github_stand_in.url, GITHUB_REPOSITORY=REPO
    )

    first = hunt(lok_project, "--issues", "-y")
    assert first.returncode == 0, first.stderr
    assert "2 issue(s) opened (#2, #3)" in first.stderr
    issues = github_stand_in.state.issues
    by_file = {
        ("src/m1.py" if "m1.py" in issue["title"] else "src/m3.py"): number
        for (_, number), issue in issues.items()
        if number > 1
    }
    assert "<!-- lok-file: src/m1.py -->" in issues[(REPO, by_file["src/m1.py"])]["body"]

    (root / "src" / "m1.py").write_text(CLEAN, encoding="utf-8")  # the fix
    run_git(root, "commit", "-qam", "fix m1")
    second_sha = run_git(root, "rev-parse", "HEAD").strip()
    log.unlink()
    second = hunt(lok_project, "--issues", "-y", "--since", first_sha)
    assert second.returncode == 0, second.stderr
    records = sent(log)
    assert {path for record in records for path in record["files"]} == {"src/m1.py"}
    expected_chars = json.loads(hunt(lok_project, "--since", first_sha, "--plan", "--json").stdout)[
        "prompt_chars"
    ]
    assert sum(record["chars"] for record in records) == expected_chars
    fixed, still = issues[(REPO, by_file["src/m1.py"])], issues[(REPO, by_file["src/m3.py"])]
    assert fixed["state"] == "closed" and still["state"] == "open"
    assert issues[(REPO, 1)]["state"] == "open"
    comments = [c for c in github_stand_in.state.comments.values() if c["issue_url"] == fixed["url"]]
    assert len(comments) == 1 and second_sha in comments[0]["body"]
    assert f"1 issue(s) closed, no longer found (#{by_file['src/m1.py']})" in second.stderr
    assert len(github_stand_in.requests_matching("PATCH", r"/repos/lok-test/demo/issues/\d+$")) == 1


def test_the_nightly_example_hunts_since_the_cached_commit_and_sweeps_weekly(tmp_path):
    import datetime
    import os
    import re
    import subprocess

    import yaml

    example = Path(__file__).resolve().parents[1] / "examples" / "workflows" / "nightly-hunt.yml"
    jobs = yaml.safe_load(example.read_text(encoding="utf-8"))["jobs"]
    steps = {name: job["steps"] for name, job in jobs.items()}
    uses = [step["uses"] for job in steps.values() for step in job if "uses" in step]
    assert all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", use) for use in uses), uses  # pinned by SHA
    restore = next(s for s in steps["decide"] if "cache/restore" in s.get("uses", ""))
    save = next(s for s in steps["remember"] if "cache/save" in s.get("uses", ""))
    assert restore["with"]["restore-keys"] == "lok-last-hunted-" and save["with"]["key"].startswith(
        "lok-last-hunted-"
    )
    assert set(jobs["remember"]["needs"]) == {"hunt", "merge"}  # remembered only when the hunt succeeded
    hunt_run = " ".join(step.get("run", "") for step in steps["hunt"])
    assert '${SINCE:+--since "$SINCE"}' in hunt_run and "--issues -y" in hunt_run
    upload = next(s for s in steps["merge"] if "upload-sarif" in s.get("uses", ""))
    # only a full sweep whose every shard's hunt succeeded and reported is uploaded
    assert upload["if"] == (
        "${{ needs.decide.outputs.since == '' && needs.hunt.result == 'success'"
        " && steps.shards.outputs.complete == 'true' }}"
    )

    # the decision itself, run as the runner runs it (bash -e), in a real repository
    script = next(s for s in steps["decide"] if s.get("id") == "mode")["run"]
    repo = tmp_path / "repo"
    repo.mkdir()
    run_git(repo, "init", "-q")
    (repo / "a.py").write_text("x = 1\n", encoding="utf-8")
    run_git(repo, "add", "a.py")
    run_git(repo, "commit", "-qm", "one")
    head = run_git(repo, "rev-parse", "HEAD").strip()
    sunday = datetime.datetime.now(datetime.timezone.utc).isoweekday() == 7

    def decide(last: str | None, full: str = "false") -> str:
        out = tmp_path / "out"
        out.write_text("", encoding="utf-8")
        if last is None:
            (repo / ".lok-last-hunted").unlink(missing_ok=True)
        else:
            (repo / ".lok-last-hunted").write_text(last + "\n", encoding="utf-8")
        env = dict(os.environ, GITHUB_OUTPUT=str(out), FULL=full)
        subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, check=True, capture_output=True)
        return out.read_text(encoding="utf-8").strip()

    assert decide(None) == "since="
    assert decide("0" * 40) == "since="  # the commit is gone (a force-push): full sweep
    assert decide(head, full="true") == "since="
    assert decide(head) == ("since=" if sunday else f"since={head}")


def test_the_nightly_merge_gets_a_budget_stopped_shard_and_names_a_missing_one(lok_project):
    import os
    import subprocess

    import yaml

    example = Path(__file__).resolve().parents[1] / "examples" / "workflows" / "nightly-hunt.yml"
    jobs = yaml.safe_load(example.read_text(encoding="utf-8"))["jobs"]
    upload = next(s for s in jobs["hunt"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "${{ !cancelled() }}"  # a shard that exits 1 or 3 still hands on its report
    steps = {step.get("name", ""): step for step in jobs["merge"]["steps"]}
    check, merge = steps["Check every shard reported"], steps["Merge shards into one report"]
    assert check["id"] == "shards"

    log = lok_project.root.parent / "prompts.jsonl"
    lok_project.write_config(*recorders(log, budget_chars=1_000))
    write_sources(lok_project.root, count=8)
    work = lok_project.root.parent / "runner"
    (work / "shards").mkdir(parents=True)
    for shard in (1, 2, 3, 4):
        out = work / "shards" / f"lok-shard-{shard}.json"
        extra = ("--max-cost", "0.00000001") if shard == 1 else ()
        done = hunt(lok_project, "--shard", f"{shard}/4", "--json", "-o", str(out), *extra)
        assert done.returncode == (3 if extra else 0), done.stderr
    # the steps' scripts as the runner runs them, with the real lok on PATH
    bin_dir = work / "bin"
    bin_dir.mkdir()
    (bin_dir / "lok").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m lok_action "$@"\n')
    (bin_dir / "lok").chmod(0o755)
    env = dict(lok_project.run_env(), PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def step(script: str) -> tuple[int, str, str]:
        output, summary = work / "output", work / "summary"
        output.write_text("", encoding="utf-8")
        summary.write_text("", encoding="utf-8")
        run_env = dict(env, GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
        done = subprocess.run(
            ["bash", "-e", "-c", script], cwd=work, env=run_env, capture_output=True, text=True
        )
        return done.returncode, output.read_text(encoding="utf-8"), done.stdout + summary.read_text()

    assert step(check["run"])[1].strip() == "complete=true"
    status, _, summary = step(merge["run"])
    assert status == 3 and "stopped the run" in summary  # the budget stop is kept, the summary written
    (work / "shards" / "lok-shard-3.json").unlink()
    status, output, said = step(check["run"])
    assert status == 0 and output.strip() == "complete=false" and "shard(s) 3" in said


def _action(github_stand_in, checkout: Path, tmp_path: Path, **inputs: str):
    from tests.test_action_events import run_action

    log = tmp_path / "prompts.jsonl"
    (checkout / "lok-rec.toml").write_text("\n".join(recorders(log, budget_chars=1_000)), encoding="utf-8")
    run = run_action(
        github_stand_in,
        checkout,
        tmp_path,
        "schedule",
        {"schedule": "0 3 * * *"},
        config="lok-rec.toml",
        **inputs,
    )
    return run, sent(log)


def test_the_action_plans_without_calling_or_posting(github_stand_in, pr_git_repo, tmp_path):
    github_stand_in.state.add_repo(REPO)
    run, prompts = _action(github_stand_in, pr_git_repo.path, tmp_path, plan="true", backends="rec_a,rec_b")
    assert run.returncode == 0, run.stdout + run.stderr
    assert prompts == [] and github_stand_in.write_requests() == []
    assert "Plan: hunt on" in run.stdout and "rec_a:" in run.stdout
    assert "## lok plan" in run.summary and "estimated $" in run.summary


def test_the_action_budget_warns_and_bad_cost_inputs_are_one_line(github_stand_in, pr_git_repo, tmp_path):
    github_stand_in.state.add_repo(REPO)
    run, prompts = _action(
        github_stand_in, pr_git_repo.path, tmp_path, max_cost="0.0000001", backends="rec_a"
    )
    assert run.returncode == 0, run.stdout + run.stderr  # a capped nightly run is no failure...
    assert "::warning::lok: the cost budget ($1e-07) stopped the run" in run.stdout  # ...but says so
    assert prompts == [] and "stopped the run" in run.summary
    for name, value in (("max_cost", "lots"), ("depth", "deep"), ("plan", "maybe")):
        bad, _ = _action(github_stand_in, pr_git_repo.path, tmp_path, **{name: value})
        assert bad.returncode == 2 and f"::error::lok: input {name.replace('_', '-')}" in bad.stdout
        assert "Traceback" not in bad.stderr


def test_merge_keeps_a_shards_budget_stop(lok_project):
    log = lok_project.root.parent / "prompts.jsonl"
    lok_project.write_config(*recorders(log, budget_chars=1_000))
    write_sources(lok_project.root, count=8)
    reports = []
    for index, extra in ((1, ("--max-cost", "0.00000001")), (2, ())):
        out = lok_project.root.parent / f"shard{index}.json"
        done = hunt(lok_project, "--shard", f"{index}/2", "--json", "-o", str(out), *extra)
        assert done.returncode == (3 if extra else 0), done.stderr
        reports.append(str(out))
    merged = lok_project.lok("merge", *reports, "--json")
    assert merged.returncode == 3, merged.stderr
    data = json.loads(merged.stdout)
    assert "stopped the run" in data["summary"]["stop_reason"] and data["notes"] == [
        data["summary"]["stop_reason"]
    ]
    assert "not analysed: cost budget reached" in data["summary"]["coverage"]


def test_a_budget_stop_stops_the_static_analyzers_too(lok_project):
    log = lok_project.root.parent / "prompts.jsonl"
    lok_project.write_config(*recorders(log, budget_chars=1_000))
    write_sources(lok_project.root, count=8)
    (lok_project.root / "src" / "m0.py").write_text("import os\n", encoding="utf-8")  # ruff: F401
    free = lok_project.lok("hunt", ".", "-b", "rec_a,ruff", "--no-cache", "--json")
    assert free.returncode == 0, free.stderr
    assert any("ruff" in f["backends"] for f in json.loads(free.stdout)["findings"])
    stopped = lok_project.lok(
        "hunt", ".", "-b", "rec_a,ruff", "--no-cache", "--json", "--max-cost", "0.00000001"
    )
    assert stopped.returncode == 3, stopped.stderr
    report = json.loads(stopped.stdout)
    assert report["findings"] == [] and report["coverage"]["analysed"] == []
    assert set(report["coverage"]["skipped"].values()) == {"not analysed: cost budget reached"}


def test_plan_bounds_the_challenge_round_it_cannot_count(lok_project):
    log = lok_project.root.parent / "prompts.jsonl"
    lok_project.write_config(*recorders(log))
    write_sources(lok_project.root)
    plan = json.loads(hunt(lok_project, "--plan", "--json").stdout)
    # 40 calls (the default cap), each prompt at most 8,000 chars, priced as the dearest (all cost $3/M in)
    assert plan["verification"] == {
        "max_calls": 40,
        "prompt_chars_per_call": 8000,
        "max_prompt_chars": 320_000,
        "max_tokens_in": 80_000,
        "max_tokens_out": 40 * ANSWER_TOKENS,
        "priced_as": "rec_a",
        "max_cost_usd": 0.24,
    }
    assert plan["max_cost_usd"] == round(plan["estimated_cost_usd"] + 0.24, 6)
    assert any("leave out the challenge round" in note for note in plan["notes"])
    text = hunt(lok_project, "--plan", "--max-verify-calls", "5").stdout
    assert "Challenge round: up to 5 verification calls (how many depends on the findings)" in text, text
    assert "at most 40,000 prompt chars (~10,000 tokens in" in text and "~$0.0300 (priced as rec_a" in text
    assert "Note: the calls, prompt chars and cost above leave out the challenge round" in text
    off = json.loads(hunt(lok_project, "--plan", "--json", "--verify", "off").stdout)
    assert off["verification"] is None and off["max_cost_usd"] == off["estimated_cost_usd"]
    assert not any("challenge" in note for note in off["notes"])
    alone = json.loads(lok_project.lok("hunt", ".", "-b", "rec_a", "--plan", "--json").stdout)
    assert alone["verification"] is None  # one backend: nobody else to put a finding to
    assert sent(log) == []


def test_the_actions_verify_and_depth_inputs_are_read_whatever_their_case(
    github_stand_in, pr_git_repo, tmp_path
):
    github_stand_in.state.add_repo(REPO)
    checkout = pr_git_repo.path
    run, prompts = _action(github_stand_in, checkout, tmp_path, plan="TRUE", backends="rec_a,rec_b")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Steps asking backends: all " in run.stdout and "Challenge round: up to 40" in run.stdout
    run, prompts = _action(
        github_stand_in,
        checkout,
        tmp_path,
        plan="True",
        backends="rec_a,rec_b",
        verify="Off",
        depth="Thorough",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert prompts == [] and "Steps asking backends: errors, performance, dead_code" in run.stdout
    assert "Challenge round" not in run.stdout  # verify: Off reached the plan
