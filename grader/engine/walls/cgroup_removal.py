"""Removing run cgroups: killing what is left in them, waiting for the kernel to tear it
down (in the background while the next run goes on), and claiming them, so that the cgroups of
a grader that was killed are removed by the next run.

A grader holds an exclusive ``flock`` on the folders of each run cgroup it made until it has
removed them; the kernel lets go of it when that grader ends, however it ends (SIGKILL, a pool
worker's parent-death signal). A run cgroup nobody holds was left behind: its grader is gone,
and the next run removes it once its processes are.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
import threading
import time
from collections import deque
from pathlib import Path

from grader.limits import ENGINE

RUN_CGROUP_PREFIX = "grader-run-"


def stop_starts(folders: list[Path]) -> None:
    """Let no new process start in these cgroups, so that killing the members cannot be
    outrun (only a pids cgroup has the file)."""
    for folder in folders:
        with contextlib.suppress(OSError):
            (folder / "pids.max").write_text("0")


# Claims held by this process; a process forked from it lets go of its copies.
_CLAIMED: set[int] = set()


def claim(folder: Path, wait: bool) -> int:
    """A descriptor of ``folder`` holding an exclusive lock on it; raises :class:`OSError`
    (BlockingIOError when ``wait`` is false and another process holds it)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        os.close(fd)
        raise
    _CLAIMED.add(fd)
    return fd


def unclaim(claims: list[int]) -> None:
    for fd in claims:
        _CLAIMED.discard(fd)
        os.close(fd)
    claims.clear()


def _unclaimed_in_child() -> None:
    """A forked grader worker closes its copies of the parent's claims: the lock is the open
    file's, and a copy kept open would keep a killed parent's cgroups from being removed."""
    for fd in _CLAIMED:
        with contextlib.suppress(OSError):
            os.close(fd)
    _CLAIMED.clear()


os.register_at_fork(after_in_child=_unclaimed_in_child)


def remove_once(folders: list[Path]) -> list[Path]:
    """Kill the members of these cgroups and remove each; the ones still busy."""
    left = []
    for folder in folders:
        _kill_members(folder)
        try:
            folder.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            left.append(folder)  # members still dying
    return left


def remove_folders(left: list[Path]) -> None:
    """Kill the members of these cgroups until each can be removed, or warn after a while."""
    deadline = time.monotonic() + ENGINE.cgroup_remove_s
    pause = 0.002
    while left:
        left = remove_once(left)
        if left and time.monotonic() > deadline:
            print(
                f"grader: warning: processes still run in {', '.join(map(str, left))}; "
                "the cgroup was left in place",
                file=sys.stderr,
            )
            return
        if left:
            time.sleep(pause)
            pause = min(pause * 2, 0.05)


class _Remover:
    """Removes the cgroups of ended runs while the next run goes on: tearing down a run's
    processes takes milliseconds the grader need not wait for. Its thread ends when there is
    nothing left to remove, and is not a daemon: a grader process waits for it to end."""

    def __init__(self) -> None:
        self.owner = os.getpid()  # a forked grader worker starts its own
        self._waiting: deque[tuple[list[Path], list[int]]] = deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, folders: list[Path], claims: list[int]) -> None:
        """Remove ``folders``, then let go of their ``claims``."""
        with self._lock:
            self._waiting.append((folders, list(claims)))
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="cgroup-remover")
                self._thread.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._thread = None
                    return
                folders, claims = self._waiting.popleft()
            remove_folders(folders)
            unclaim(claims)

    def finish(self) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()


_REMOVER: _Remover | None = None
_REMOVER_LOCK = threading.Lock()


def remover() -> _Remover:
    global _REMOVER
    with _REMOVER_LOCK:
        if _REMOVER is None or _REMOVER.owner != os.getpid():
            _REMOVER = _Remover()
        return _REMOVER


def wait_removed() -> None:
    """Return once every run cgroup this process left to the background is removed (or given
    up with a warning)."""
    with _REMOVER_LOCK:
        remover = _REMOVER
    if remover is not None and remover.owner == os.getpid():
        remover.finish()


def _kill_members(folder: Path) -> None:
    """Send SIGKILL to every process in the cgroup ``folder``."""
    try:
        listed = (folder / "cgroup.procs").read_text().split()
    except OSError:
        return
    pinned = {}
    for pid in map(int, listed):
        with contextlib.suppress(OSError):  # already gone
            pinned[pid] = os.pidfd_open(pid)
    try:
        # A pid read above may have been reused since; a pidfd pins one process, and one still
        # listed after it was pinned is the member.
        still = set((folder / "cgroup.procs").read_text().split())
        for pid, pidfd in pinned.items():
            if str(pid) in still:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        pass
    finally:
        for pidfd in pinned.values():
            os.close(pidfd)


def remove_abandoned(parents: list[Path]) -> None:
    """Remove the run cgroups no grader holds (their grader was killed) once their processes
    are gone: a killed grader's sandbox ends with it, and a process still in its cgroup is
    left alone, its cgroup removed by a later run."""
    for parent in parents:
        for folder in parent.glob(f"{RUN_CGROUP_PREFIX}*"):
            try:
                held = claim(folder, wait=False)
            except OSError:  # its grader runs on, or it is gone
                continue
            with contextlib.suppress(OSError):  # rmdir spares a cgroup with processes in it
                folder.rmdir()
            unclaim([held])
