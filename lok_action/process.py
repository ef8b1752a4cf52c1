"""Run a subprocess the one safe way: own process group, whole group killed on timeout,
stdin closed unless we write to it, output captured up to a cap."""

from __future__ import annotations

import contextlib
import os
import selectors
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
            bufsize=0,  # raw pipes: _Exchange reads and writes them itself
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,  # own session => own process group, killable as a whole
        )
    )
    exchange: _Exchange | None = None
    try:
        exchange = _Exchange(proc, input_text.encode() if input_text is not None else b"", output_cap)
        # The timeout runs from the start, prompt included: a program that never reads its stdin must
        # still be killed on time.
        exchange.run(None if timeout is None else started + timeout)
        proc.wait()
    finally:
        if exchange is None or not exchange.group_ended:  # an exception: nothing of this run may live on
            kill_group(proc.pid)
        CHILDREN.finished(proc.pid)
        if exchange is not None:
            exchange.close()
    return ProcessResult(
        argv=tuple(argv),
        returncode=None if exchange.timed_out else proc.returncode,
        stdout=b"".join(exchange.stdout).decode(errors="replace"),
        stderr=b"".join(exchange.stderr).decode(errors="replace"),
        duration=time.monotonic() - started,
        timed_out=exchange.timed_out,
        truncated=exchange.cut["stdout"],
        pid=proc.pid,
        stderr_truncated=exchange.cut["stderr"],
    )


LINGER_SECONDS = 2.0  # after the program and its group are gone, how long pipes held elsewhere are read
POLL_SECONDS = 0.05  # how often the exit is checked where no pidfd tells it at once
CHUNK = 65536


class _Exchange:
    """The prompt in, stdout and stderr out, the exit and the timeout: all in the calling thread.

    No helper thread, so nothing of a run outlives run_process, and every pipe is closed by the one
    piece of code that uses it, after its last use. (A reader or writer thread could outlive its
    process, for instance when a descendant in a session of its own keeps the pipes open; such a
    thread holding a descriptor that something else closed would go on using its number, by then
    another child's pipe, and hand one backend's prompt or answer to another.)"""

    def __init__(self, proc: subprocess.Popen[bytes], data: bytes, cap: int) -> None:
        self.proc = proc
        self.cap = cap
        self.data = memoryview(data)
        self.stdout: list[bytes] = []  # the first `cap` bytes: the start of the answer
        self.stderr: deque[bytes] = deque()  # the last `cap` bytes: the end of an error says what went wrong
        self.kept = {"stdout": 0, "stderr": 0}
        self.cut = {"stdout": False, "stderr": False}
        self.timed_out = False
        self.group_ended = False  # the program exited and its group was killed
        self.selector = selectors.DefaultSelector()
        self.streams: dict[int, tuple[str, IO[bytes]]] = {}
        for name, stream in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            assert stream is not None
            self._watch(name, stream, selectors.EVENT_READ)
        if proc.stdin is not None:
            if self.data:
                os.set_blocking(proc.stdin.fileno(), False)  # write what the pipe takes, never block
                self._watch("stdin", proc.stdin, selectors.EVENT_WRITE)
            else:
                proc.stdin.close()  # nothing to say: EOF at once
        self.exit_signal = self._pidfd()

    def _watch(self, name: str, stream: IO[bytes], events: int) -> None:
        self.streams[stream.fileno()] = (name, stream)
        self.selector.register(stream.fileno(), events)

    def _pidfd(self) -> int | None:
        """A descriptor that turns readable when the program exits (Linux 5.3+), else None: then the exit
        is polled every POLL_SECONDS."""
        try:
            pidfd = os.pidfd_open(self.proc.pid)  # type: ignore[attr-defined,unused-ignore]
        except (AttributeError, OSError):
            return None
        self.selector.register(pidfd, selectors.EVENT_READ)
        return int(pidfd)

    def run(self, deadline: float | None) -> None:
        """Until the program has exited and its pipes are drained (or only processes outside its group
        still hold them), or the deadline killed it."""
        linger_until: float | None = None
        while True:
            now = time.monotonic()
            if linger_until is None and self.proc.poll() is not None:
                self._program_ended()
                linger_until = now + LINGER_SECONDS
            if linger_until is not None and (not self.streams or now >= linger_until):
                return  # what is still open is held by processes outside the group: stop reading it
            if linger_until is None and not self.timed_out and deadline is not None and now >= deadline:
                self.timed_out = True
                kill_group(self.proc.pid)
                continue  # its exit shows next round
            end = linger_until if linger_until is not None else None if self.timed_out else deadline
            wait = None if end is None else max(end - now, 0.0)
            if self.exit_signal is None and linger_until is None:  # no pidfd: look at the exit regularly
                wait = POLL_SECONDS if wait is None else min(wait, POLL_SECONDS)
            for key, _events in self.selector.select(wait):
                if key.fd != self.exit_signal:
                    self._serve(key.fd)

    def _program_ended(self) -> None:
        # Children it left in its group would hold the pipes open: end them (a timeout did already),
        # then read what is left.
        if not self.timed_out:
            kill_group(self.proc.pid)
        self.group_ended = True
        self._forget_exit_signal()
        for fd, (name, _stream) in list(self.streams.items()):
            if name == "stdin":
                self._stop(fd)  # nobody is left to read the rest of the prompt

    def _forget_exit_signal(self) -> None:
        if self.exit_signal is not None:
            self.selector.unregister(self.exit_signal)
            os.close(self.exit_signal)
            self.exit_signal = None

    def _serve(self, fd: int) -> None:
        name, stream = self.streams[fd]
        if name == "stdin":
            try:
                written = os.write(fd, self.data[:CHUNK])
            except BlockingIOError:
                return
            except OSError:  # EPIPE: it exited or was killed without reading it all; its exit tells the rest
                self._stop(fd)
                return
            self.data = self.data[written:]
            if not self.data:
                self._stop(fd)  # all written: EOF
            return
        chunk = os.read(fd, CHUNK)
        if not chunk:
            self._stop(fd)
        elif name == "stdout":
            piece = chunk[: max(self.cap - self.kept[name], 0)]
            if piece:
                self.stdout.append(piece)
                self.kept[name] += len(piece)
            self.cut[name] = self.cut[name] or len(piece) < len(chunk)
        else:
            self.stderr.append(chunk)
            self.kept[name] += len(chunk)
            while self.kept[name] > self.cap:
                excess = self.kept[name] - self.cap
                if len(self.stderr[0]) <= excess:
                    self.kept[name] -= len(self.stderr.popleft())
                else:
                    self.stderr[0] = self.stderr[0][excess:]
                    self.kept[name] -= excess
                self.cut[name] = True

    def _stop(self, fd: int) -> None:
        _name, stream = self.streams.pop(fd)
        self.selector.unregister(fd)
        with contextlib.suppress(OSError):
            stream.close()

    def close(self) -> None:
        for fd in list(self.streams):
            self._stop(fd)
        self._forget_exit_signal()
        self.selector.close()


def exit_status(returncode: int | None, exited: str = "exit") -> str:
    """How a process ended, for people: "exit 3" (``exited`` is that word), "killed by SIGKILL"
    (subprocess's -9), "timed out"."""
    if returncode is None:
        return "timed out"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"{exited} {returncode}"
