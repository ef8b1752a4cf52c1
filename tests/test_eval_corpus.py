"""The shipped eval corpus (eval/corpus) and its loader (lok_action/eval_corpus.py).

The shipped corpus is checked twice: through load_corpus, and by reading the files directly, so a
loader bug cannot hide a bad label. Malformed cases must fail with one line naming the file and
the field."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lok_action.errors import LokError
from lok_action.eval_corpus import MATCH_TOLERANCE, CorpusError, ExpectedProblem, load_case, load_corpus

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "eval" / "corpus"
README = ROOT / "eval" / "README.md"
# What issue 13 asks the corpus to cover.
REQUIRED_KINDS = {
    "off-by-one",
    "null-dereference",
    "resource-leak",
    "unchecked-error",
    "race-condition",
    "sql-injection",
    "path-traversal",
    "command-injection",
    "hardcoded-secret",
    "n-plus-one-query",
    "quadratic-loop",
    "dead-branch",
}
SOURCE_SUFFIXES = (".py", ".js", ".ts", ".go")


def case_dirs() -> list[Path]:
    return sorted(path for path in CORPUS.iterdir() if path.is_dir())


def source_files(case: Path) -> list[Path]:
    return sorted(path for path in case.rglob("*") if path.is_file() and path.name != "expected.toml")


def file_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


# ---------------------------------------------------------------------------------------------
# The shipped corpus


def test_shipped_corpus_loads_and_covers_the_issue() -> None:
    cases = load_corpus(CORPUS)
    assert [case.name for case in cases] == [path.name for path in case_dirs()]
    assert len(cases) >= 24
    assert sum(case.is_clean for case in cases) >= 6
    assert sum(case.is_diff and not case.is_clean for case in cases) >= 4  # bugs brought by a change
    languages = set().union(*(case.languages for case in cases))
    assert {"python", "javascript", "typescript", "go"} <= languages
    kinds = {problem.kind for case in cases for problem in case.problems}
    assert kinds >= REQUIRED_KINDS, REQUIRED_KINDS - kinds
    assert {problem.category for case in cases for problem in case.problems} >= {
        "bug",
        "security",
        "performance",
        "dead-code",
    }
    for language in ("python", "go"):
        assert sum(not case.is_clean and language in case.languages for case in cases) >= 6, language
    assert (
        sum(not case.is_clean and bool(case.languages & {"javascript", "typescript"}) for case in cases) >= 6
    )


@pytest.mark.parametrize("case", case_dirs(), ids=lambda path: path.name)
def test_every_label_points_at_its_evidence(case: Path) -> None:
    """Read without the loader: the file exists, the range is inside it, the evidence is on it."""
    expected = tomllib.loads((case / "expected.toml").read_text(encoding="utf-8"))
    clean = "-clean-" in case.name
    assert (expected["problems"] == []) == clean, "a case is clean exactly when its name says so"
    for problem in expected["problems"]:
        path = case / "tree" / problem["file"]
        assert path.is_file(), problem["file"]
        lines = file_lines(path)
        assert 1 <= problem["start_line"] <= problem["end_line"] <= len(lines)
        flagged = lines[problem["start_line"] - 1 : problem["end_line"]]
        assert any(problem["evidence"] in line for line in flagged), (problem["evidence"], flagged)
        assert problem["end_line"] - problem["start_line"] < 10, "keep ranges tight"
        if (case / "base").is_dir():
            base = case / "base" / problem["file"]
            old = file_lines(base) if base.is_file() else []
            assert any(line not in old for line in flagged), "a diff case labels lines the change wrote"


@pytest.mark.parametrize("case", case_dirs(), ids=lambda path: path.name)
def test_case_files_are_small_realistic_modules(case: Path) -> None:
    files = source_files(case)
    assert files
    for path in files:
        assert path.suffix in SOURCE_SUFFIXES, path
        assert 15 <= len(file_lines(path)) <= 80, path
        assert "__pycache__" not in path.parts
        if path.suffix == ".py":
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_javascript_cases_parse() -> None:
    scripts = sorted(CORPUS.rglob("*.js"))
    assert scripts
    for script in scripts:
        result = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (script, result.stderr)


def test_readme_lists_every_case_as_it_is() -> None:
    rows = re.findall(r"^\| `([^`]+)` \| (\S+) \| (\S+) \| (\S+) \| (yes|no) \|$", README.read_text(), re.M)
    listed = {name: (language, kind, category, diff) for name, language, kind, category, diff in rows}
    actual = {}
    for case in load_corpus(CORPUS):
        problem = case.problems[0] if case.problems else None
        actual[case.name] = (
            "/".join(sorted(case.languages)),
            problem.kind if problem else "clean",
            problem.category if problem else "-",
            "yes" if case.is_diff else "no",
        )
    assert listed == actual


# ---------------------------------------------------------------------------------------------
# The loader on cases made here

GOOD_FILE = "".join(f"line {number}\n" for number in range(1, 20)).replace("line 7\n", "query(f'{name}')\n")
GOOD_PROBLEM = """
[[problems]]
file = "src/app.py"
start_line = 7
end_line = 7
category = "security"
severity = "high"
kind = "sql-injection"
description = "the name is put into the query"
evidence = "query(f'{name}')"
"""


def make_case(
    root: Path,
    expected: str,
    files: dict[str, str] | None = None,
    base: dict[str, str] | None = None,
    name: str = "case",
) -> Path:
    case = root / name
    for folder, content in (("tree", files or {"src/app.py": GOOD_FILE}), ("base", base)):
        for relative, text in (content or {}).items():
            path = case / folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    case.mkdir(parents=True, exist_ok=True)
    (case / "expected.toml").write_text(expected, encoding="utf-8")
    return case


def load_error(path: Path) -> str:
    with pytest.raises(CorpusError) as caught:
        load_corpus(path)
    message = str(caught.value)
    assert "\n" not in message and message.strip() == message
    return message


def test_a_case_loads_with_every_field(tmp_path: Path) -> None:
    case_dir = make_case(tmp_path, 'description = "demo"\n' + GOOD_PROBLEM)
    (case_dir / "tree" / "web").mkdir()
    (case_dir / "tree" / "web" / "page.ts").write_text("export {};\n")
    (case_dir / "tree" / "__pycache__").mkdir()
    (case_dir / "tree" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    [case] = load_corpus(tmp_path)
    assert case == load_case(case_dir)
    assert (case.name, case.description, case.is_clean, case.is_diff, case.base) == (
        "case",
        "demo",
        False,
        False,
        None,
    )
    assert case.files == ("src/app.py", "web/page.ts")
    assert case.languages == {"python", "typescript"}
    assert case.problems == (
        ExpectedProblem(
            "src/app.py",
            7,
            7,
            "security",
            "high",
            "sql-injection",
            "the name is put into the query",
            "query(f'{name}')",
        ),
    )
    assert load_corpus(case_dir) == [case]  # a single case folder is a corpus of one


def test_a_clean_case_and_a_diff_case(tmp_path: Path) -> None:
    make_case(tmp_path, "problems = []\n", name="clean")
    make_case(
        tmp_path,
        GOOD_PROBLEM,
        base={"src/app.py": GOOD_FILE.replace("query(f'{name}')", "query(name)")},
        name="diff",
    )
    make_case(tmp_path, GOOD_PROBLEM, base={"README.md": "before\n"}, name="new-file")  # app.py is all new
    clean, diff, new_file = load_corpus(tmp_path)
    assert clean.is_clean and not clean.is_diff and clean.description == ""
    assert diff.is_diff and diff.base == tmp_path / "diff" / "base" and diff.base_files == ("src/app.py",)
    assert new_file.is_diff and new_file.problems[0].start_line == 7


# (id, expected.toml, words the one-line error must contain besides the file name)
MALFORMED = [
    ("toml-syntax", "problems = [\n", ["invalid TOML"]),
    ("no-problems-key", 'description = "x"\n', ["problems: missing", "problems = []"]),
    ("unknown-top-key", "problem = []\n", ["problem: unknown key", "did you mean 'problems'"]),
    ("problems-not-a-list", 'problems = "none"\n', ["problems: expected a list, got str"]),
    ("problem-not-a-table", 'problems = ["x"]\n', ["problems[0]: expected an object, got str"]),
    ("unknown-problem-key", GOOD_PROBLEM.replace("evidence =", "evidance ="), ["problems[0].evidance: unknown key", "did you mean 'evidence'"]),
    ("missing-file", GOOD_PROBLEM.replace('file = "src/app.py"\n', ""), ["problems[0].file: missing"]),
    ("file-not-in-tree", GOOD_PROBLEM.replace("src/app.py", "src/ap.py"), ["problems[0].file", "'src/ap.py' is not a file of tree/"]),
    ("file-escapes", GOOD_PROBLEM.replace("src/app.py", "../expected.toml"), ["problems[0].file", "not a relative path inside tree/"]),
    ("file-absolute", GOOD_PROBLEM.replace("src/app.py", "/etc/passwd"), ["problems[0].file", "not a relative path"]),
    ("file-backslash", GOOD_PROBLEM.replace("src/app.py", "src\\\\app.py"), ["problems[0].file", "not a relative path"]),
    ("start-line-text", GOOD_PROBLEM.replace("start_line = 7", 'start_line = "7"'), ["problems[0].start_line: expected an integer, got str"]),
    ("start-line-bool", GOOD_PROBLEM.replace("start_line = 7", "start_line = true"), ["problems[0].start_line: expected an integer, got bool"]),
    ("start-line-zero", GOOD_PROBLEM.replace("start_line = 7", "start_line = 0"), ["problems[0].start_line: must be at least 1, got 0"]),
    ("end-before-start", GOOD_PROBLEM.replace("end_line = 7", "end_line = 6"), ["problems[0].end_line: must be at least 7, got 6"]),
    ("end-past-file", GOOD_PROBLEM.replace("end_line = 7", "end_line = 20"), ["problems[0].end_line: 20 is past the end of src/app.py (19 lines)"]),
    ("category", GOOD_PROBLEM.replace('"security"', '"securty"'), ["problems[0].category: 'securty' is not one of", "did you mean 'security'"]),
    ("severity", GOOD_PROBLEM.replace('"high"', '"major"'), ["problems[0].severity: 'major' is not one of critical, high"]),
    ("kind", GOOD_PROBLEM.replace('"sql-injection"', '"SQL injection"'), ["problems[0].kind", "not a lowercase-hyphenated slug"]),
    ("description-empty", GOOD_PROBLEM.replace('"the name is put into the query"', '" "'), ["problems[0].description: must not be empty"]),
    ("description-two-lines", GOOD_PROBLEM.replace('"the name is put into the query"', '"one\\ntwo"'), ["problems[0].description: must be one line"]),
    ("evidence-elsewhere", GOOD_PROBLEM.replace("start_line = 7\nend_line = 7", "start_line = 8\nend_line = 9"), ["problems[0].evidence", "is not on lines 8-9 of src/app.py"]),
    ("second-problem", GOOD_PROBLEM + GOOD_PROBLEM.replace('"high"', "3"), ["problems[1].severity: expected a string, got int"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("expected", "words"), [row[1:] for row in MALFORMED], ids=[row[0] for row in MALFORMED]
)
def test_malformed_expected_toml_is_one_line_naming_file_and_field(
    tmp_path: Path, expected: str, words: list[str]
) -> None:
    case = make_case(tmp_path, expected)
    message = load_error(tmp_path)
    assert message.startswith(f"{case / 'expected.toml'}: ")
    for word in words:
        assert word in message


def test_malformed_case_folders(tmp_path: Path) -> None:
    assert load_error(tmp_path / "nowhere") == f"{tmp_path / 'nowhere'}: not a directory"
    assert "no cases" in load_error(tmp_path)

    (tmp_path / "notes").mkdir()
    assert load_error(tmp_path) == f"{tmp_path / 'notes'}: not a case: it has no expected.toml"
    (tmp_path / "notes").rmdir()

    (tmp_path / "case").mkdir()
    (tmp_path / "case" / "expected.toml").write_text("problems = []\n")
    assert load_error(tmp_path) == f"{tmp_path / 'case'}: no tree/ folder (the code under review)"
    (tmp_path / "case" / "tree").mkdir()
    assert load_error(tmp_path) == f"{tmp_path / 'case' / 'tree'}: holds no files"


def test_case_trees_hold_plain_files_only(tmp_path: Path) -> None:
    case = make_case(tmp_path, "problems = []\n")
    os.symlink("/etc/hostname", case / "tree" / "link.py")
    assert "link.py: not a regular file" in load_error(tmp_path)


def test_a_labelled_file_must_be_utf8(tmp_path: Path) -> None:
    case = make_case(tmp_path, GOOD_PROBLEM)
    (case / "tree" / "src" / "app.py").write_bytes(b"\xff\xfe" + GOOD_FILE.encode())
    assert load_error(tmp_path) == f"{case / 'tree' / 'src' / 'app.py'}: not UTF-8 text"


def test_diff_cases_must_change_something_and_label_the_change(tmp_path: Path) -> None:
    same = make_case(tmp_path / "a", "problems = []\n", base={"src/app.py": GOOD_FILE})
    assert (
        load_error(tmp_path / "a")
        == f"{same}: tree/ and base/ are identical, so there is no change to review"
    )

    unchanged = GOOD_FILE.replace("line 2\n", "line two\n")  # the change is on line 2, the label on line 7
    case = make_case(tmp_path / "b", GOOD_PROBLEM, base={"src/app.py": unchanged})
    message = load_error(tmp_path / "b")
    assert message.startswith(f"{case / 'expected.toml'}: problems[0].start_line: lines 7-7 of src/app.py")
    assert "same in base/" in message

    (tmp_path / "c" / "case" / "base").mkdir(parents=True)
    make_case(tmp_path / "c", "problems = []\n")
    assert "base: holds no files" in load_error(tmp_path / "c")


def test_match_rule_is_same_file_and_overlap_within_the_tolerance() -> None:
    problem = ExpectedProblem("src/app.py", 10, 12, "bug", "high", "off-by-one", "d", "e")
    assert MATCH_TOLERANCE == 3
    assert problem.matches("src/app.py", 11, 11)
    assert problem.matches("src/app.py", 1, 30)  # a finding spanning the problem
    assert problem.matches("src/app.py", 15, 20) and problem.matches("src/app.py", 4, 7)  # 3 lines off
    assert not problem.matches("src/app.py", 16, 20) and not problem.matches(
        "src/app.py", 3, 6
    )  # 4 lines off
    assert not problem.matches("src/other.py", 10, 12)
    assert problem.matches("src/app.py", 16, 16, tolerance=4) and not problem.matches(
        "src/app.py", 13, 13, tolerance=0
    )


def test_corpus_errors_are_user_errors_exiting_2() -> None:
    assert issubclass(CorpusError, LokError) and CorpusError("x").exit_code == 2
