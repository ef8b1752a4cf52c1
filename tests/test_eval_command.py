"""`lok eval`: the shipped corpus replayed from its recorded answers prints exactly the figures the
fake reviewers' rules imply (computed here from eval/fakes/reviewer.py's documented rules and the
corpus labels, never from the cassettes); a small corpus recorded live and replayed gives the same
figures; the gate, the summary, bad input; and the matching rule itself (lok_action.eval_score)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lok_action.eval_corpus import Case, ExpectedProblem, load_corpus
from lok_action.eval_score import Tally, match, tally
from lok_action.findings.model import Finding
from tests.fakes.project import LokProject

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "eval" / "corpus"
CASSETTES = ROOT / "eval" / "cassettes"
NAMES = ("alpha", "beta", "gamma")


# ---- the expected figures, from the fakes' rules (eval/fakes/reviewer.py's docstring)


def shown_files(case: Case) -> list[str]:
    """What the backends are given: every file of tree/, or for a diff case the changed files."""
    if not case.is_diff:
        return list(case.files)
    assert case.base is not None
    changed = []
    for name in case.files:
        before = case.base / name
        if not before.is_file() or before.read_bytes() != (case.tree / name).read_bytes():
            changed.append(name)
    return changed


def line_count(case: Case, name: str) -> int:
    return len((case.tree / name).read_text(encoding="utf-8").split("\n"))


def gamma_far(case: Case, problem: ExpectedProblem) -> bool:
    """gamma reports this problem 6 lines away (a false positive, and a miss)."""
    if problem.start_line % 3 or case.is_diff:
        return False
    return problem.end_line + 6 <= line_count(case, problem.file) or problem.start_line - 6 >= 1


def reporters(problem: ExpectedProblem) -> set[str]:
    """Who reports the problem within the tolerance (gamma 2 lines off, which still matches)."""
    who = set()
    if problem.file.endswith(".py"):
        who.add("alpha")
    if problem.file.endswith((".js", ".ts")):
        who.add("beta")
    if problem.start_line % 3 and problem.start_line % 2 == 0:
        who.add("gamma")
    return who


def decoy_reporters(name: str) -> set[str]:
    if name.endswith(".py"):
        return {"alpha", "gamma"}  # the same words at the same line: one merged finding
    if name.endswith((".go", ".ts")):
        return {"beta"}
    return set()


def after_challenge(reported_by: set[str], on_a_problem: bool) -> int | None:
    """A merged finding's agreement after the challenge round (None: refuted), by the fakes' verdict
    rules: it is put to every backend that did not report it; alpha and beta confirm a finding on a
    labelled problem (within 3 lines) and refute any other, gamma is unsure. The round's rule
    (findings.challenge): refuted by more than half of its verdicts, it is dropped; a confirmation
    counts toward the quorum."""
    verdicts = {
        name: ("unsure" if name == "gamma" else "confirm" if on_a_problem else "refute")
        for name in set(NAMES) - reported_by
    }
    refutes = sum(v == "refute" for v in verdicts.values())
    if verdicts and 2 * refutes > len(verdicts):
        return None
    return len(reported_by | {name for name, v in verdicts.items() if v == "confirm"})


@dataclass
class Expected:
    backends: dict[str, Tally]
    ensemble: dict[str, Tally]
    verify_calls: int  # the challenge round asks every backend that did not report a finding


def expected_figures(cases: list[Case]) -> Expected:
    backends = {name: Tally() for name in NAMES}
    ensemble = {f"k={k}{c}": Tally() for k in (1, 2, 3) for c in ("", " +challenge")}
    verify_calls = 0
    for case in cases:
        labelled = {p.file for p in case.problems}
        decoys = [decoy_reporters(name) for name in shown_files(case) if name not in labelled]
        decoys = [d for d in decoys if d]
        far = [p for p in case.problems if gamma_far(case, p)]
        for name in NAMES:
            tp = sum(name in reporters(p) for p in case.problems)
            fp = sum(name in d for d in decoys) + (len(far) if name == "gamma" else 0)
            backends[name].add(Tally(tp, fp, len(case.problems) - tp))
        # with the round: each merged finding's agreement after the verdicts (None: refuted)
        found = [after_challenge(reporters(p), True) for p in case.problems if reporters(p)]
        noise = [after_challenge(d, False) for d in decoys] + [after_challenge({"gamma"}, False) for _ in far]
        merged = [reporters(p) for p in case.problems if reporters(p)] + decoys + [{"gamma"} for _ in far]
        verify_calls += sum(len(NAMES) - len(reported_by) for reported_by in merged)
        for k in (1, 2, 3):
            tp = sum(len(reporters(p)) >= k for p in case.problems)
            fp = sum(len(d) >= k for d in decoys) + (len(far) if k == 1 else 0)
            ensemble[f"k={k}"].add(Tally(tp, fp, len(case.problems) - tp))
            tp = sum(agreement is not None and agreement >= k for agreement in found)
            fp = sum(agreement is not None and agreement >= k for agreement in noise)
            ensemble[f"k={k} +challenge"].add(Tally(tp, fp, len(case.problems) - tp))
    return Expected(backends, ensemble, verify_calls)


def figures(data: dict) -> dict[str, tuple[int, int, int]]:
    return {row["row"]: (row["tp"], row["fp"], row["fn"]) for row in data["rows"]}


def as_tuples(tallies: dict[str, Tally]) -> dict[str, tuple[int, int, int]]:
    return {label: (t.tp, t.fp, t.fn) for label, t in tallies.items()}


def recorder() -> Any:
    """eval/record.py, the recording script, as a module."""
    sys.path.insert(0, str(ROOT / "eval"))
    try:
        import record
    finally:
        sys.path.pop(0)
    return record


def unrunnable_config(path: Path) -> Path:
    """eval/fakes/lok.toml with programs that do not exist: a replay must not need them."""
    text = (ROOT / "eval" / "fakes" / "lok.toml").read_text()
    text = text.replace('command = "python3 ', 'command = "/nonexistent/python3 ')
    assert text.count("/nonexistent/") == len(NAMES)
    path.write_text(text)
    return path


def test_shipped_corpus_replayed_prints_the_figures_its_fakes_imply(lok_project: LokProject) -> None:
    cases = load_corpus(CORPUS)
    assert len(cases) >= 24
    expected = expected_figures(cases)
    config = unrunnable_config(lok_project.root / "lok.toml")
    run = lok_project.lok("eval", str(CORPUS), "--config", str(config), "--replay", str(CASSETTES), "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["backends"] == list(NAMES) and data["cases"] == len(cases)
    got = figures(data)
    assert {name: got[name] for name in NAMES} == as_tuples(expected.backends)
    assert {label: got[label] for label in expected.ensemble} == as_tuples(expected.ensemble)
    # the construction exercises every kind of figure: misses, duplicates' merge, decoys at k=2
    assert 0 < got["k=2"][0] < got["k=1"][0] and got["k=2"][1] > 0 and got["gamma"][1] > got["alpha"][1]
    # and the round: refutations drop noise, confirmations lift findings over the quorum, and a finding
    # refuted by one of its two verdicts (not more than half) stays
    assert got["k=1 +challenge"][1] < got["k=1"][1] and got["k=2 +challenge"][0] > got["k=2"][0]
    assert got["k=1 +challenge"][1] > 0 and got["k=2 +challenge"][1] == 0
    # calls and wall time come from the cassettes: each case's recorded run
    rows = {row["row"]: row for row in data["rows"]}
    assert rows["alpha"]["calls"] > 0 and rows["k=1"]["calls"] == sum(rows[n]["calls"] for n in NAMES)
    # the +challenge rows add the round's calls (and their tokens and cost); the others do not
    assert rows["k=1 +challenge"]["calls"] == rows["k=1"]["calls"] + expected.verify_calls
    assert rows["k=1 +challenge"]["tokens"] > rows["k=1"]["tokens"]
    assert rows["k=1 +challenge"]["cost_usd"] > rows["k=1"]["cost_usd"]
    assert rows["k=1"]["wall_time"] > 0
    # the fakes answer as claude's JSON does: tokens and a cost per call, summed per row
    assert all(rows[n]["tokens"] > 0 and rows[n]["cost_usd"] > 0 for n in NAMES)
    assert rows["k=1"]["tokens"] == sum(rows[n]["tokens"] for n in NAMES)
    assert not any("placeholder-not-a-key" in path.read_text() for path in CASSETTES.rglob("*.json*"))


def test_a_small_corpus_recorded_live_replays_to_the_same_figures(lok_project: LokProject) -> None:
    corpus = lok_project.root / "corpus"
    for name in ("py-sql-injection-sort", "py-clean-checked-optionals", "js-off-by-one-retry"):
        shutil.copytree(CORPUS / name, corpus / name)  # two diff cases and one files case
    (lok_project.root / "lok.toml").write_text(recorder().config_text())  # the fakes, run for real
    live = lok_project.lok("eval", "corpus", "-b", "alpha,beta,gamma", "--record", "tape", "--json")
    assert live.returncode == 0, live.stderr
    assert sorted(p.name for p in (lok_project.root / "tape").iterdir()) == sorted(
        p.name for p in corpus.iterdir()
    )  # one cassette per case
    expected = expected_figures(load_corpus(corpus))
    got = figures(json.loads(live.stdout))
    assert {name: got[name] for name in NAMES} == as_tuples(expected.backends)
    assert {label: got[label] for label in expected.ensemble} == as_tuples(expected.ensemble)
    unrunnable_config(lok_project.root / "lok.toml")
    replayed = lok_project.lok("eval", "corpus", "--replay", "tape", "--json")
    assert replayed.returncode == 0, replayed.stderr
    assert figures(json.loads(replayed.stdout)) == got
    # a case the recording does not hold: one line, exit 2
    shutil.copytree(CORPUS / "go-secret-dsn", corpus / "go-secret-dsn")
    missing = lok_project.lok("eval", "corpus", "--replay", "tape", "-q")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1, missing.stderr
    assert "go-secret-dsn" in missing.stderr


def test_min_f1_gates_and_the_summary_is_written(lok_project: LokProject, tmp_path: Path) -> None:
    config = unrunnable_config(lok_project.root / "lok.toml")
    base = ["eval", str(CORPUS), "--config", str(config), "--replay", str(CASSETTES), "-q"]
    data = json.loads(lok_project.lok(*base, "--json").stdout)
    f1 = next(row["f1"] for row in data["rows"] if row["row"] == "k=1 +challenge")
    summary = tmp_path / "summary.md"
    lok_project.env["GITHUB_STEP_SUMMARY"] = str(summary)
    passing = lok_project.lok(*base, "--min-f1", f"{f1 - 0.01:.4f}")
    assert passing.returncode == 0, passing.stderr
    assert "passes --min-f1" in passing.stdout
    failing = lok_project.lok(*base, "--min-f1", f"{f1 + 0.01:.4f}", "--quorum", "1")
    assert failing.returncode == 1
    assert "is below --min-f1" in failing.stdout
    written = summary.read_text()
    assert written.count("### lok eval") == 2 and "| k=2 +challenge |" in written
    assert "is below --min-f1" in written
    at_two = json.loads(lok_project.lok(*base, "--json", "--quorum", "2").stdout)["gate"]
    f1_at_two = next(row["f1"] for row in data["rows"] if row["row"] == "k=2 +challenge")
    assert at_two["row"] == "k=2 +challenge" and at_two["f1"] == f1_at_two != f1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--min-f1", "1.5"], "--min-f1"),
        (["--quorum", "0"], "--quorum"),
        (["-b", "alpha", "--quorum", "2"], "--quorum 2: more than the 1 backends"),
        (["--record", "a", "--replay", "b"], "exclude each other"),
        (["--summary", "/nonexistent/dir/s.md"], "--summary"),
    ],
)
def test_bad_options_are_one_line_errors(lok_project: LokProject, args: list[str], says: str) -> None:
    run = lok_project.lok("eval", str(CORPUS), "-q", *args)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert says in run.stderr


def test_a_malformed_corpus_is_one_line_naming_the_file(lok_project: LokProject) -> None:
    case = lok_project.root / "corpus" / "bad"
    shutil.copytree(CORPUS / "py-sql-injection-search", case)
    expected = case / "expected.toml"
    expected.write_text(expected.read_text().replace("end_line = 39", "end_line = 38"))
    run = lok_project.lok("eval", "corpus", "-q")
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "expected.toml" in run.stderr


# ---- the matching rule (eval/README.md)


def problem(file: str, start: int, end: int) -> ExpectedProblem:
    return ExpectedProblem(file, start, end, "bug", "high", "off-by-one", "d", "e")


def found(file: str, start: int, end: int, backend: str = "a") -> Finding:
    return Finding(
        rule_id="x", category="bug", severity="high", file=file, start_line=start, end_line=end, title="t",
        backends=[backend],
    )  # fmt: skip


def test_tolerance_is_three_lines_each_side() -> None:
    p = [problem("a.py", 10, 12)]
    assert tally(p, [found("a.py", 15, 15)]) == Tally(1, 0, 0)
    assert tally(p, [found("a.py", 16, 20)]) == Tally(0, 1, 1)
    assert tally(p, [found("a.py", 1, 7)]) == Tally(1, 0, 0)
    assert tally(p, [found("a.py", 1, 6)]) == Tally(0, 1, 1)
    assert tally(p, [found("b.py", 10, 12)]) == Tally(0, 1, 1)  # another file


def test_matching_is_one_to_one_closest_first_and_duplicates_are_false_positives() -> None:
    problems = [problem("a.py", 10, 10), problem("a.py", 14, 14)]
    # the finding at 12 is 2 from both; the one at 14 is 0 from the second: it takes it first, so 12
    # goes to the first problem
    assert match(problems, [found("a.py", 12, 12), found("a.py", 14, 14)]) == [(1, 1), (0, 0)]
    duplicates = [found("a.py", 10, 10), found("a.py", 10, 11), found("a.py", 9, 9)]
    assert tally([problem("a.py", 10, 10)], duplicates) == Tally(1, 2, 0)
    assert tally([], duplicates) == Tally(0, 3, 0)  # a clean case: every finding is noise
    t = Tally(3, 1, 2)
    assert (t.precision, t.recall, round(t.f1, 4)) == (0.75, 0.6, round(6 / 9, 4))
    assert Tally().precision is None and Tally().f1 == 0.0


def test_the_readme_table_is_what_the_replay_prints(lok_project: LokProject) -> None:
    """README's "Measuring your setup" table: printed by the command it names (eval/record.py writes it)."""
    record = recorder()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(record.TABLE_START) + len(record.TABLE_START)
    shown = readme[start : readme.index(record.TABLE_END)]
    assert "`lok " + " ".join(record.REPLAY[:-1]) + "`" in readme
    run = lok_project.lok(*record.REPLAY, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert shown == "```\n" + run.stdout + "```\n"


def test_a_progress_bar_on_a_terminal_only(lok_project: LokProject) -> None:
    import os
    import pty

    config = unrunnable_config(lok_project.root / "lok.toml")
    args = ["eval", str(CORPUS / "go-secret-dsn"), "--config", str(config)]
    args += ["--replay", str(lok_project.root / "tape")]
    shutil.copytree(CASSETTES / "go-secret-dsn", lok_project.root / "tape" / "go-secret-dsn")

    def stderr_on_a_terminal(*extra: str) -> str:
        controller, terminal = pty.openpty()
        try:
            done = lok_project.popen(*args, *extra, stdout=subprocess.PIPE, stderr=terminal)
            done.communicate(timeout=120)
            assert done.returncode == 0
        finally:
            os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the terminal's other end is closed and everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(controller)
        return b"".join(chunks).decode()

    assert "] 0/1 go-secret-dsn" in stderr_on_a_terminal() and "1/1 done" in stderr_on_a_terminal()
    assert "/1" not in stderr_on_a_terminal("-q")
    piped = lok_project.lok(*args)
    assert piped.returncode == 0 and piped.stderr == ""  # not a terminal: no bar


def test_an_eval_refused_before_any_call_leaves_the_recorded_cases_intact(lok_project: LokProject) -> None:
    corpus = lok_project.root / "corpus"
    shutil.copytree(CORPUS / "py-sql-injection-sort", corpus / "py-sql-injection-sort")
    (lok_project.root / "lok.toml").write_text(recorder().config_text())
    assert lok_project.lok("eval", "corpus", "-b", "alpha,beta", "--record", "tape", "-q").returncode == 0
    case = lok_project.root / "tape" / "py-sql-injection-sort"
    before = {path.name: path.read_bytes() for path in case.iterdir()}
    assert {"alpha.jsonl", "beta.jsonl", "meta.json"} <= set(before)
    refused = lok_project.lok("eval", "corpus", "-b", "alpha,typo", "--record", "tape", "-q")
    assert refused.returncode == 2 and "typo" in refused.stderr, refused.stderr
    assert {path.name: path.read_bytes() for path in case.iterdir()} == before
