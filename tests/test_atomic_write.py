"""Reports are written whole or not at all, with ordinary file permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lok_action.atomic import atomic_write_bytes, atomic_write_text


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "report.json", "{}")
    finally:
        os.umask(old)
    assert mode(tmp_path / "report.json") == 0o644
    assert (tmp_path / "report.json").read_text() == "{}"


def test_existing_file_keeps_its_mode_and_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and mode(target) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")

    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_report_to_a_fifo_or_device_is_written_into_it_not_renamed_over_it(lok_project) -> None:
    """`lok hunt -o /dev/null` (or a FIFO another step reads) must not replace the device with a file:
    as root, renaming over /dev/null turns it into a regular file for every process on the machine.
    A FIFO stands in for /dev/null here (making a device node needs root)."""
    import json
    import threading

    from tests.fakes.engine_fixtures import command_backend

    fifo = lok_project.root.parent / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    lok_project.write_config(command_backend("a", "--reply", '{"findings": []}'))
    (lok_project.root / "main.py").write_text("x = 1\n")
    done = lok_project.lok("hunt", ".", "-b", "a", "--format", "json", "-o", str(fifo))
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still the FIFO, not a file renamed over it
    assert json.loads(received[0])["format"].startswith("lok-analysis/")
