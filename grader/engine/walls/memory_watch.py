"""Memory of one submission counted from outside, where no cgroup counts it (an ordinary user,
no delegation): the kernel's own figures for the submission's processes, read every
:data:`grader.limits.ENGINE`'s ``memory_sample_s``, and the submission ended (its pid
namespace's init killed) once they pass ``memory_bytes``.

What is counted is memory however it is held:

- each process's anonymous and shared memory (``Pss_Anon`` + ``Pss_Shmem`` of
  ``/proc/PID/smaps_rollup``: a page shared after a fork is counted once, split between the
  processes sharing it; pages of a library made writable and touched are anonymous copies;
  ``RssAnon`` + ``RssShmem`` of ``/proc/PID/status``, an upper bound, are read first),
  less what the submission's processes held when its kernel was ready (the warm process's
  imports, as the cgroup path charges them to the warm process);
- memory files (``memfd_create``) the processes hold open, mapped or not, once per file;
- the private tmpfs folders (``/tmp``, ``/dev/shm``, the notebook's folder): tmpfs is memory.

It is sampled, so a submission may pass the limit for up to a sample's time before it ends;
with cgroups the kernel enforces the limit exactly and this watch is not used.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from grader.engine.walls.bwrap import SCRATCH
from grader.engine.walls.polling import ready
from grader.limits import ENGINE

_PRIVATE_FOLDERS = ("tmp", "dev/shm", SCRATCH.lstrip("/"))
_COUNTED = (b"Pss_Anon:", b"Pss_Shmem:")
_COUNTED_WHOLE = (b"RssAnon:", b"RssShmem:")  # of /proc/PID/status: no walk of the page tables
_MEMFD = "/memfd:"


def submission_init(warm_pid: int, pipe_inode: int) -> int | None:
    """The grader-side pid of the submission's init: the descendant of the warm process
    ``warm_pid`` that holds the pipe ``pipe_inode`` and is the init (pid 1) of its own pid
    namespace; None if there is none (it ended, or the grader may not look)."""
    link = f"pipe:[{pipe_inode}]"
    for pid in descendants(warm_pid):
        if _own_pid(pid) != 1:
            continue
        with contextlib.suppress(OSError):
            folder = f"/proc/{pid}/fd"
            if any(_readlink(f"{folder}/{fd}") == link for fd in os.listdir(folder)):
                return pid
    return None


def watch_submission(
    warm_pid: int, pipe_inode: int, limit_bytes: int | None, over: Callable[[int], None]
) -> SubmissionWatch | None:
    """The watch of the submission whose init holds ``pipe_inode`` (see
    :class:`SubmissionWatch`), or None when its init cannot be found."""
    init = submission_init(warm_pid, pipe_inode)
    if init is None:
        return None
    return SubmissionWatch(init, limit_bytes, ENGINE.memory_sample_s, over)


def descendants(root: int) -> Iterator[int]:
    """``root`` and every process below it (a process reparented inside a pid namespace goes
    to that namespace's init, so all of a submission's processes are below its init)."""
    todo = [root]
    seen: set[int] = set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        yield pid
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(OSError):
                    children = Path(f"/proc/{pid}/task/{task}/children").read_bytes()
                    todo += [int(child) for child in children.split()]


def held_bytes(init: int, exact: bool = True) -> tuple[int, int]:
    """``(processes, files)``: the bytes the processes below ``init`` hold (anonymous and
    shared memory, a page shared by several split between them; not ``exact``: counted whole
    in each, an upper bound read in a fraction of the time), and the bytes of their memory
    files and private tmpfs folders."""
    processes = 0
    memory_files: dict[tuple[int, int], int] = {}
    for pid in descendants(init):
        processes += _process_bytes(pid, exact)
        _memory_files(pid, memory_files)
    return processes, sum(memory_files.values()) + _tmpfs_bytes(init)


def _process_bytes(pid: int, exact: bool) -> int:
    name, counted = ("smaps_rollup", _COUNTED) if exact else ("status", _COUNTED_WHOLE)
    try:
        figures = Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:  # ended meanwhile
        return 0
    total = 0
    for line in figures.splitlines():
        if line.startswith(counted):
            total += int(line.split()[1]) * 1024
    return total


def _memory_files(pid: int, found: dict[tuple[int, int], int]) -> None:
    """Add the memory files ``pid`` holds open to ``found`` (by device and inode)."""
    folder = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(folder)
    except OSError:
        return
    for fd in fds:
        if not _readlink(f"{folder}/{fd}").startswith(_MEMFD):
            continue
        with contextlib.suppress(OSError):
            status = os.stat(f"{folder}/{fd}")
            found[(status.st_dev, status.st_ino)] = status.st_blocks * 512


def _tmpfs_bytes(init: int) -> int:
    total = 0
    for folder in _PRIVATE_FOLDERS:
        with contextlib.suppress(OSError):
            usage = os.statvfs(f"/proc/{init}/root/{folder}")
            total += (usage.f_blocks - usage.f_bfree) * usage.f_frsize
    return total


def _own_pid(pid: int) -> int | None:
    """``pid``'s number in its own (innermost) pid namespace."""
    try:
        status = Path(f"/proc/{pid}/status").read_bytes()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith(b"NSpid:"):
            return int(line.split()[-1])
    return None


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


class SubmissionWatch:
    """One submission's init, held by a pidfd so that the grader can end every process of its
    pid namespace at the end of the run, whatever they did; with ``limit_bytes``, a thread that
    samples the submission's memory and, past it, kills the init and calls
    ``over(held_bytes)`` once."""

    def __init__(
        self, init: int, limit_bytes: int | None, every_s: float, over: Callable[[int], None]
    ) -> None:
        self.init, self.every_s, self._over = init, every_s, over
        self.limit_bytes = limit_bytes or 0
        self._pidfd = os.pidfd_open(init)
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        if limit_bytes is None:
            return
        self._baseline, _ = held_bytes(init)  # the kernel as it started: the warm process's
        self._thread = threading.Thread(target=self._watch, daemon=True, name="memory-watch")
        self._thread.start()

    def _watch(self) -> None:
        """Sample until stopped: first the upper bound (a page shared after a fork counted in
        each process), and only past the limit the exact figures, which take milliseconds a
        process; a slow sample spaces the next ones out, so the watch takes a third of a core
        at most (a fork bomb's hundreds of processes)."""
        wait = self.every_s
        while not self._stopped.wait(wait):
            began = time.monotonic()
            held = self._held(exact=False)
            if held > self.limit_bytes:
                held = self._held(exact=True)
            if held > self.limit_bytes and not self._stopped.is_set():
                self.kill()
                self._over(held)
                return
            wait = max(self.every_s, 2 * (time.monotonic() - began))

    def _held(self, exact: bool) -> int:
        processes, files = held_bytes(self.init, exact)
        return max(processes - self._baseline, 0) + files

    def kill(self) -> None:
        """End every process of the submission: its init, and with it its pid namespace."""
        with contextlib.suppress(OSError):
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def stop(self, wait_s: float) -> None:
        """Stop sampling, end the submission's processes, and wait up to ``wait_s`` for its
        init to be gone (the kernel ends the rest of its pid namespace first)."""
        self._stopped.set()
        self.kill()
        with contextlib.suppress(OSError, ValueError):
            ready([self._pidfd], (), wait_s)
        if self._thread is not None and threading.current_thread() is not self._thread:
            self._thread.join(wait_s)
        with contextlib.suppress(OSError):
            os.close(self._pidfd)
