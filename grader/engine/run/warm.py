"""The warm processes: one per runtime in each grader process, started on first use inside the
sandbox, restarted when something harmed it; a grader process forked from one that has a warm
process (a pool's worker) shares its parent's instead of starting its own.

A warm process imports the runtime once and never runs student code; each submission is a
child it forks on request (see :mod:`grader.engine.gradersandbox.zygote`). The request carries
the descriptors of the submission's pipes and of its cgroup files, in one message: requests
from several grader processes on the one socket never mix.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import errno
import fcntl
import functools
import json
import multiprocessing.util
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from grader.engine.runtime import fontlist
from grader.engine.walls import bwrap, student_user
from grader.engine.walls.polling import ready
from grader.limits import ENGINE, SANDBOX


class WarmFailed(RuntimeError):
    """The warm process could not be started; the message says why (its last words)."""


@dataclass(frozen=True)
class Ahead:
    """What a warm process does once, ahead of every submission it forks: import ``modules``
    (besides numpy, IPython and matplotlib, which it always imports) and run ``cells``, the
    cells every submission shares (see :mod:`grader.engine.gradersandbox.shared`)."""

    cells: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()


PLAIN = Ahead()  # nothing ahead but what every notebook runs with


class Zygote:
    """One warm process and the socket that asks it to fork."""

    def __init__(
        self,
        runtime: Path | None,
        isolate: bool,
        ahead: Ahead = PLAIN,
        wait: bool = True,
    ):
        """Start the warm process; with ``wait``, return once it is warm (else its first
        :meth:`fork` waits)."""
        _remove_folders_of_killed_graders()
        self._folder = tempfile.TemporaryDirectory(prefix=_FOLDER_PREFIX)
        self._owner_lock = _own(Path(self._folder.name))
        self._socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command, arguments, environment = bwrap.warm_command(
            runtime, isolate, theirs.fileno(), Path(self._folder.name), SANDBOX.warm_disk_bytes
        )
        self.owner = os.getpid()  # the process that stops it; a forked grader only uses it
        self._stderr: deque[bytes] = deque(maxlen=64)
        err_r, err_w = os.pipe()
        passed = [theirs.fileno()]
        args_r = None
        if arguments:
            args_r, args_w = os.pipe()
            # Short enough for the pipe's buffer: written whole before bwrap starts.
            os.write(args_w, b"".join(a.encode() + b"\0" for a in arguments))
            os.close(args_w)
            command = [str(args_r) if part == "{args}" else part for part in command]
            passed.append(args_r)
            command[0] = _which_bwrap()
        else:
            environment = {**environment}
            command[0] = str(Path(environment["PATH"].split(":")[0]) / "python3")
        user = None if isolate else student_user.student_user()
        try:
            self.process = subprocess.Popen(
                command,
                env=environment,
                pass_fds=passed,
                stdin=subprocess.DEVNULL,
                stdout=err_w,
                stderr=err_w,
                cwd="/",
                start_new_session=True,
                user=None if user is None else user[0],
                group=None if user is None else user[1],
                extra_groups=None if user is None else [],
            )
        finally:
            theirs.close()
            os.close(err_w)
            if args_r is not None:
                os.close(args_r)
        if user is not None:
            student_user.first_to_go(self.process.pid)
        # How a forked grader sees it end: it is not their child, so they cannot wait for it.
        self._ended = _pidfd(self.process.pid)
        threading.Thread(target=self._keep_stderr, args=(err_r,), daemon=True).start()
        self._lock = threading.Lock()
        self._warm = False
        self._send_ahead(ahead, fontlist.font_list(runtime))
        if wait:
            self._wait_warm()

    def _send_ahead(self, ahead: Ahead, font_list: Path | None) -> None:
        """The warm process's first message: the modules it imports and the cells it runs
        once for every submission (no cells if they are too large for one message), and the
        font list made for its runtime (:mod:`grader.engine.runtime.fontlist`), if there is
        one, by name with an open descriptor: without namespaces the warm process runs as the
        student's user, who may not read the grader's cache."""
        fds, name = [], None
        if font_list is not None:
            with contextlib.suppress(OSError):  # unreadable: matplotlib lists the fonts itself
                fds.append(os.open(font_list, os.O_RDONLY | os.O_CLOEXEC))
                name = font_list.name
        given = {"modules": ahead.modules, "font_list": name}
        message = json.dumps({**given, "cells": ahead.cells}).encode()
        if len(message) > SANDBOX.shared_cells_bytes:
            message = json.dumps({**given, "cells": []}).encode()
        try:
            with contextlib.suppress(OSError):  # a warm process that died says why in _wait_warm
                self._socket.setsockopt(
                    socket.SOL_SOCKET, socket.SO_SNDBUF, 2 * SANDBOX.shared_cells_bytes
                )
                socket.send_fds(self._socket, [message], fds)
        finally:
            for fd in fds:
                os.close(fd)

    def _keep_stderr(self, fd: int) -> None:
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(4096):
                self._stderr.append(chunk)

    def last_words(self) -> str:
        text = b"".join(self._stderr).decode("utf-8", "replace").strip()
        return text.splitlines()[-1][-500:] if text else ""

    def _wait_warm(self) -> None:
        readable, _ = ready([self._socket], (), ENGINE.warm_start_s)
        try:  # left on the socket: every grader process that shares it reads it
            said = self._socket.recv(1, socket.MSG_PEEK) if readable else b""
        except OSError:  # it died: its last words say why
            said = b""
        if said != b"R":
            self.stop()
            if not self.owned():  # its last words are its owner's: start one here, which says
                raise OSError(errno.ECHILD, "the warm process shared with the parent failed")
            time.sleep(0.1)
            raise WarmFailed(self.last_words() or "it did not start in time")
        self._warm = True

    def owned(self) -> bool:
        """Whether this process started it (else it is a forked grader that shares it)."""
        return self.owner == os.getpid()

    def alive(self) -> bool:
        """Whether it runs, for this process to fork from: a forked grader without a pidfd of
        it cannot see it end, and takes it as ended (it starts its own)."""
        if self.owned():
            return self.process.poll() is None
        return self._ended >= 0 and not ready([self._ended], (), 0)[0]

    def ended(self, wait: float = 0.5) -> bool:
        """Whether the warm process has ended, waiting up to ``wait`` seconds for it to be
        seen: a submission that lost its processes may have lost them with it."""
        if not self.owned():
            return self._ended < 0 or bool(ready([self._ended], (), wait)[0])
        try:
            self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return False
        return True

    def fork(self, settings: dict, fds: list[int]) -> None:
        """Ask for a new submission child with these settings and descriptors. Raises OSError
        when the warm process is gone, or is shared and never became warm (start another), and
        :class:`WarmFailed`, saying why, when this process's own could not start."""
        message = json.dumps(settings).encode()
        with self._lock:
            if not self._warm:
                self._wait_warm()
            self._socket.sendmsg(
                [message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
            )

    def stop(self) -> None:
        """End the warm process: closing its socket lets it exit, and bubblewrap with it. A
        grader that shares it only lets go of it: its folder is the owner's."""
        with contextlib.suppress(OSError):
            self._socket.close()
        if self.owned():
            try:
                self.process.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self._folder.cleanup()
            if self._owner_lock >= 0:  # stopped once only: the number may be another file's now
                os.close(self._owner_lock)
                self._owner_lock = -1
        if self._ended >= 0:
            os.close(self._ended)
            self._ended = -1

    def inherited(self) -> None:
        """In a process forked from the owner: its folder is never removed from here (a
        TemporaryDirectory removes its folder when it is dropped: this copy may be, when this
        process starts a warm process of its own), and a fork from here waits on its own lock
        (another thread of the owner's may have held the owner's at the fork)."""
        self._folder._finalizer.detach()  # type: ignore[attr-defined]
        self._lock = threading.Lock()


_FOLDER_PREFIX = "grader-warm-"
_OWNER = ".owner"  # locked for as long as the grader process that made the folder lives


def _own(folder: Path) -> int:
    """Lock ``folder``'s owner file for the life of this process (closed on exec)."""
    fd = os.open(folder / _OWNER, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _pidfd(pid: int) -> int:
    """A descriptor that becomes readable when ``pid`` ends; -1 where the kernel has none
    (before Linux 5.3): forked graders then start warm processes of their own."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return -1


@functools.lru_cache(maxsize=1)
def _remove_folders_of_killed_graders() -> None:
    """Remove the warm folders whose grader was killed (its lock went with it), once per
    process; the folder of a grader that still runs, whatever its pid namespace, stays."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_FOLDER_PREFIX}*"):
        try:
            if time.time() - folder.stat().st_mtime < ENGINE.folder_claim_s:
                continue
            fd = os.open(folder / _OWNER, os.O_RDWR | os.O_CLOEXEC)
        except OSError:  # gone, or made by a grader that did not lock it: left alone
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its grader still runs
        finally:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


def _which_bwrap() -> str:
    import shutil

    return shutil.which("bwrap") or "bwrap"


_POOL: dict[tuple, Zygote] = {}
_POOL_LOCK = threading.Lock()


def zygote(
    runtime: Path | None, isolate: bool, fresh: bool = False, ahead: Ahead = PLAIN
) -> Zygote:
    """This process's warm process for ``runtime`` that did ``ahead`` (its parent's, if it was
    forked from a grader that has one): started if there is none, restarted (as this process's
    own) if it died or ``fresh`` is asked for (the previous one failed to fork)."""
    key = (runtime, isolate, bwrap.shown(runtime), ahead)
    with _POOL_LOCK:
        current = _POOL.get(key)
        if current is not None and (fresh or not current.alive()):
            current.stop()
            current = None
        if current is None:
            _stop_at_exit()
            current = _POOL[key] = Zygote(runtime, isolate, ahead)
        return current


def start_soon(runtime: Path | None, isolate: bool, ahead: Ahead = PLAIN) -> None:
    """Start this process's warm process for these arguments without waiting for it to be
    warm, so that its start (seconds of imports) overlaps the caller's work; its first fork
    waits. A failure to start is not reported here: the first run starts it again and says why.
    Call it from a thread that lives as long as the warm process should: bubblewrap ends with
    the thread that started it."""
    key = (runtime, isolate, bwrap.shown(runtime), ahead)
    with _POOL_LOCK:
        current = _POOL.get(key)
        if current is not None and current.alive():
            return
        if current is not None:
            current.stop()
        _stop_at_exit()
        with contextlib.suppress(Exception):
            _POOL[key] = Zygote(runtime, isolate, ahead, wait=False)


def _stop_at_exit() -> None:
    """Stop this process's warm processes when it ends: at interpreter exit, and also when it
    is a multiprocessing worker (a process pool's or Dask's), which ends without running
    ``atexit``; else their temporary folders would be left behind."""
    if _stop_registered.get("pid") != os.getpid():
        _stop_registered["pid"] = os.getpid()
        atexit.register(stop_all)
        multiprocessing.util.Finalize(None, stop_all, exitpriority=10)


_stop_registered: dict[str, int] = {}


def stop_all() -> None:
    """Stop every warm process of this grader process."""
    with _POOL_LOCK:
        for current in _POOL.values():
            if current.owned():
                current.stop()
        _POOL.clear()


def _after_fork_in_child() -> None:
    """A forked process starts with locks no thread of its own holds."""
    global _POOL_LOCK
    _POOL_LOCK = threading.Lock()
    for current in _POOL.values():
        current.inherited()


os.register_at_fork(after_in_child=_after_fork_in_child)
