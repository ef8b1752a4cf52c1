"""Write files so a reader never sees half of one: temp file in the same folder, then rename."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _mode_for(path: Path) -> int:
    """An existing file keeps its mode; a new one gets what open() would give (0666 less the umask),
    not mkstemp's 0600, so a report written in a container stays readable by the next CI step."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    # Linux reports it without changing it; os.umask() can only read it by setting it, process-wide,
    # which would race with files other threads are creating.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def _is_special(path: Path) -> bool:
    """An existing target that is not a regular file: /dev/null, a FIFO, a terminal. Renaming over it
    would replace the device itself (as root, /dev/null becomes a file), so it is written in place."""
    try:
        return not stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def atomic_write_bytes(path: Path, data: bytes) -> None:
    if _is_special(path):
        with open(path, "wb") as handle:  # nothing to make atomic: a reader takes the stream as it comes
            handle.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
