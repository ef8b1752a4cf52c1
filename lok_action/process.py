"""Run a subprocess the one safe way: own process group, whole group killed on timeout,
stdin closed unless we write to it, output captured up to a cap."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

MIB = 1024 * 1024
DEFAULT_OUTPUT_MB = 16  # [defaults] max_output_mb: MiB kept per stream; the rest is dropped, and said
DEFAULT_OUTPUT_CAP = DEFAULT_OUTPUT_MB * MIB


def cut_note(cap: int) -> str:
    """How a step or reply says its output was cut."""
    return f"output cut at {cap / MIB:g} MiB (raise [defaults] max_output_mb to keep more)"


@dataclass(frozen=True)
class ProcessResult:
    argv: tuple[str, ...]
    returncode: int | None  # None when killed for the timeout
    stdout: str
    stderr: str
    duration: float
    timed_out: bool
    truncated: bool  # stdout was cut at the cap
    pid: int
    stderr_truncated: bool = False  # stderr was longer than the cap: its end is kept

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


class ChildGroups:
    """The process groups of the children running now, so an interrupt can end them all at once.

    Children run in sessions of their own (a timeout must kill a whole group), so a terminal's Ctrl-C
    never reaches them; without this, an interrupted `lok` would wait for every backend to finish.
    Signals are process-wide, so this one registry is too (CHILDREN below)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()
        self._stopping = threading.Event()

    def spawn(self, start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        with self._lock:  # no child may start between stop_all's snapshot and its kill
            if self._stopping.is_set():
                raise KeyboardInterrupt
            proc = start()
            self._groups.add(proc.pid)
            return proc

    def finished(self, pid: int) -> None:
        with self._lock:
            self._groups.discard(pid)

    def stop_all(self) -> None:
        """End every running child's group and refuse new children from now on."""
        with self._lock:
            self._stopping.set()  # also wakes every pause()
            groups = sorted(self._groups)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pgid in groups:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pgid, sig)
            if sig == signal.SIGTERM and groups:
                time.sleep(0.2)

    def pause(self, seconds: float) -> None:
        """Sleep ``seconds`` (a retry's back-off), but end it with KeyboardInterrupt the moment stop_all
        runs: an interrupted lok must not wait out a back-off before it can exit."""
        if self._stopping.wait(seconds):
            raise KeyboardInterrupt


CHILDREN = ChildGroups()


def _drain(stream: io.BufferedReader, sink: list[bytes], cap: int, flags: dict[str, bool], name: str) -> None:
    """Read the stream to its end, keeping its first ``cap`` bytes (stdout: the start of the answer) or,
    for stderr, its last ``cap`` bytes (the end of an error says what went wrong)."""
    kept = 0
    if name == "stderr":
        tail: deque[bytes] = deque()
        for chunk in iter(lambda: stream.read1(65536), b""):
            tail.append(chunk)
            kept += len(chunk)
            while kept - len(tail[0]) >= cap:
                kept -= len(tail.popleft())
                flags[name] = True
        if kept > cap:
            tail[0] = tail[0][kept - cap :]
            flags[name] = True
        sink.extend(tail)
    else:
        for chunk in iter(lambda: stream.read1(65536), b""):
            piece = chunk[: max(cap - kept, 0)]
            if piece:
                sink.append(piece)
                kept += len(piece)
            if len(piece) < len(chunk):
                flags[name] = True
    stream.close()


def _feed(stdin: IO[bytes], data: bytes) -> None:
    """Write the prompt and close stdin, so the program sees EOF."""
    try:
        stdin.write(data)
    except (BrokenPipeError, OSError):
        pass  # the program exited or was killed without reading it all; its exit status tells the rest
    finally:
        with contextlib.suppress(BrokenPipeError, OSError):
            stdin.close()


def kill_group(pid: int) -> None:
    """SIGTERM then SIGKILL the whole process group led by ``pid``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        if sig == signal.SIGTERM:
            time.sleep(0.2)


def run_process(
    argv: Sequence[str],
    *,
    input_text: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    output_cap: int = DEFAULT_OUTPUT_CAP,
) -> ProcessResult:
    """Run ``argv`` (never through a shell) and return what it did.

    Raises FileNotFoundError when the program does not exist, like subprocess does.
    """
    started = time.monotonic()
    proc = CHILDREN.spawn(
        lambda: subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,  # own session => own process group, killable as a whole
        )
    )
    out: list[bytes] = []
    err: list[bytes] = []
    flags = {"stdout": False, "stderr": False}
    readers = [
        threading.Thread(target=_drain, args=(proc.stdout, out, output_cap, flags, "stdout"), daemon=True),
        threading.Thread(target=_drain, args=(proc.stderr, err, output_cap, flags, "stderr"), daemon=True),
    ]
    for reader in readers:
        reader.start()
    # The timer starts before the prompt is written: a program that never reads its stdin would
    # otherwise block the write (beyond the pipe buffer) and so the timeout, forever. A timer thread
    # enforces it so this thread can block in waitpid: Popen.wait(timeout=) polls with up to 50 ms
    # sleeps, which would delay every dependant step by that much.
    fired = threading.Event()

    def on_timeout() -> None:
        fired.set()
        kill_group(proc.pid)

    timer = threading.Timer(timeout, on_timeout) if timeout is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    writer = None
    if input_text is not None:
        assert proc.stdin is not None
        writer = threading.Thread(target=_feed, args=(proc.stdin, input_text.encode()), daemon=True)
        writer.start()
    try:
        proc.wait()
    finally:
        if timer is not None:
            timer.cancel()
    if writer is not None:
        writer.join(timeout=5)
    timed_out = fired.is_set()
    # Children that outlived the leader would hold the pipes open and leak: end the whole group.
    kill_group(proc.pid)
    CHILDREN.finished(proc.pid)
    for reader in readers:
        reader.join(timeout=5)
    return ProcessResult(
        argv=tuple(argv),
        returncode=None if timed_out else proc.returncode,
        stdout=b"".join(out).decode(errors="replace"),
        stderr=b"".join(err).decode(errors="replace"),
        duration=time.monotonic() - started,
        timed_out=timed_out,
        truncated=flags["stdout"],
        pid=proc.pid,
        stderr_truncated=flags["stderr"],
    )
