"""Source lines are numbered the way git and editors number them (split on newline only), and a
diff's added line that happens to start with "++" is content, not a file header."""

from __future__ import annotations

from pathlib import Path

from lok_action.context.chunks import Budget, plan_chunks
from lok_action.context.diffs import plan_diff_chunks, split_diff
from lok_action.context.files import Coverage, collect_files, source_lines
from tests.fakes.git_repos import run_git

FORM_FEED_SOURCE = "line1\n\x0c\nline3 = 1\nline4 = 2\n"


def test_source_lines_splits_on_newline_only() -> None:
    assert source_lines(FORM_FEED_SOURCE) == ["line1", "\x0c", "line3 = 1", "line4 = 2"]
    assert source_lines("a\r\nb\u2028c\x1cd\x85e\rf") == ["a", "b\u2028c\x1cd\x85e\rf"]
    assert source_lines("no newline") == ["no newline"]
    assert source_lines("x\n\n") == ["x", ""]


def test_form_feed_file_is_numbered_like_git(tmp_path: Path) -> None:
    (tmp_path / "ff.py").write_text(FORM_FEED_SOURCE)
    coverage = collect_files(tmp_path)
    assert [(f.path, f.lines) for f in coverage.files] == [("ff.py", 4)]
    text = plan_chunks(coverage, 24_000).chunks[0].text
    assert "    3| line3 = 1" in text and "    4| line4 = 2" in text
    assert coverage.lines_of("ff.py") == ["line1", "\x0c", "line3 = 1", "line4 = 2"]


def test_split_file_of_a_form_feed_file_keeps_every_line(tmp_path: Path) -> None:
    body = "".join(f"v{n} = {n}\x0c\n" for n in range(1, 41))
    (tmp_path / "big.py").write_text(body)
    coverage = collect_files(tmp_path)
    chunks = plan_chunks(coverage, 200).chunks
    rendered = "\n".join(chunk.text for chunk in chunks)
    assert all(f"| v{n} = {n}" in rendered for n in range(1, 41))
    assert "   40| v40 = 40" in rendered


def test_added_line_starting_with_plus_plus_is_not_a_header(tmp_path: Path) -> None:
    (tmp_path / "a.c").write_text("int x;\n")
    run_git(tmp_path, "init", "-q", "-b", "main")
    run_git(tmp_path, "add", "a.c")
    run_git(tmp_path, "commit", "-q", "-m", "one")
    (tmp_path / "a.c").write_text("int x;\n++ counter;\nint y;\n")
    run_git(tmp_path, "add", "a.c")
    sections = split_diff(run_git(tmp_path, "diff", "--cached"))
    assert [section.path for section in sections] == ["a.c"]
    assert "    2| +++ counter;" in sections[0].text
    assert "    3| +int y;" in sections[0].text
    assert plan_diff_chunks(sections, Budget(24_000)).chunks[0].files == ["a.c"]


def test_lines_of_missing_file_is_none(tmp_path: Path) -> None:
    assert Coverage(root=tmp_path).lines_of("nope.py") is None
