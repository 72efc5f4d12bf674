"""The grader's ends of one submission's pipes, read and written against deadlines.

Four pipes, all made here and passed into the sandbox as descriptors (the grader never opens a
path the sandbox can write or link): orders down to the runner, replies up from it, the
submission's output, and a pair to the submission's init (signals down, the runner's exit code
up). Everything that comes up is parsed by :mod:`wire` with a size limit, and the time it takes
counts against the deadline of the step that waits for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import time
from collections.abc import Callable

from grader.engine.gradersandbox import protocol, wire
from grader.engine.run.transcript import Transcript
from grader.engine.walls.polling import ready

_CHUNK = 1 << 16
_DRAIN_CHUNKS = 64
_LARGEST_READ = 1 << 20


def read_size(reader: wire.Reader) -> int:
    """How much to read for ``reader`` at once: at least a chunk, so that a small frame (its
    header and body written together) is taken in one read after one wait, not a read of its
    header, another wait and a read of its body; at most a MiB, however long the frame. What
    is read past the frame stays in the reader for the next one."""
    return min(max(reader.want(), _CHUNK), _LARGEST_READ)


def write_whole(fd: int, data: bytes, wait: Callable[[], bool]) -> bool:
    """Write ``data`` whole to the non-blocking ``fd``, calling ``wait`` whenever it is full;
    False as soon as ``wait`` gives up (past its deadline)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
            continue
        except BlockingIOError:
            pass
        if not wait():
            return False
    return True


class Gone(Exception):
    """The runner's end of the pipes is closed, or it sent what is not a frame."""


class Channel:
    """One submission's pipes, seen from the grader."""

    def __init__(self, transcript: Transcript, reply_limit: int):
        self.transcript = transcript
        # Orders go down a socket, so that a probe process's own pipes can go down with them.
        self._down_socket, down_socket = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._down = self._down_socket.fileno()
        down_r = down_socket.detach()
        self._up, up_w = os.pipe()
        self._out, out_w = os.pipe()
        orders_r, self._orders = os.pipe()
        self._reports, reports_w = os.pipe()
        self.far_ends = [down_r, up_w, out_w, orders_r, reports_w]
        for fd in (self._down, self._up, self._out, self._orders, self._reports):
            os.set_blocking(fd, False)
            fcntl.fcntl(fd, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
        self._replies = wire.Reader(reply_limit)
        self._report_reader = wire.Reader(64)
        self.exit_code: int | None = None  # the runner's, once init reported it
        self._open = True

    def close_far_ends(self) -> None:
        """Close the sandbox's ends here, once they were passed on."""
        for fd in self.far_ends:
            os.close(fd)
        self.far_ends = []

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        self.close_far_ends()
        self._down_socket.close()
        for fd in (self._up, self._out, self._orders, self._reports):
            os.close(fd)

    # -- orders

    def send(self, order: protocol.Order, deadline: float) -> None:
        """Write one order down, draining output meanwhile; raises :class:`Gone` if the runner
        closed its end, :class:`TimeoutError` past ``deadline`` (it stopped reading)."""

        def wait() -> bool:
            return self._wait([self._out, self._reports], [self._down], deadline)

        try:
            written = write_whole(self._down, protocol.frame(order), wait)
        except BrokenPipeError:
            raise Gone("the runner stopped reading") from None
        if not written:
            raise TimeoutError("the runner stopped reading its orders")

    def send_with_descriptors(
        self, order: protocol.ForkProbe, fds: list[int], deadline: float
    ) -> None:
        """One order down with ``fds`` attached (the runner takes them with the frame)."""
        data = protocol.frame(order)
        self._down_socket.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            sent = socket.send_fds(self._down_socket, [data], fds)
        except TimeoutError:
            raise
        except OSError:
            raise Gone("the runner stopped reading") from None
        finally:
            self._down_socket.setblocking(False)
        if sent != len(data):
            raise Gone("the runner stopped reading")

    def signal(self, pid: int, number: signal.Signals) -> None:
        """Ask the submission's init to send ``number`` to ``pid`` (in the submission's pid
        namespace)."""
        try:
            os.write(self._orders, protocol.frame(protocol.SignalRequest(int(pid), int(number))))
        except OSError:
            pass  # init is gone, and everything with it

    def init_pipe_inode(self) -> int:
        """The inode of the pipe the submission's init reads its signal requests from: how the
        grader finds that process among the warm process's children."""
        return os.fstat(self._orders).st_ino

    # -- replies

    def receive(self, deadline: float) -> wire.Frame | None:
        """The next frame up (read by :func:`.protocol.read_reply`); None past
        ``deadline``. Raises :class:`Gone` at end of file or for a malformed frame."""
        while True:
            try:
                got = self._replies.next()
            except wire.WireError as error:
                raise Gone(f"it sent what the grader cannot read ({error})") from None
            if got is not None:
                return got
            if not self._wait([self._up, self._out, self._reports], [], deadline):
                return None

    def _wait(self, reads: list[int], writes: list[int], deadline: float) -> bool:
        """Wait for a readable or writable pipe, taking in output and reports; False once past
        ``deadline``."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        readable, writable = ready(reads, writes, left)
        if self._out in readable:
            self._take_output()
        if self._reports in readable:
            self._take_report()
        if self._up in readable:
            try:
                chunk = os.read(self._up, read_size(self._replies))
            except BlockingIOError:
                chunk = b"?"
            if not chunk:
                raise Gone("its end of the pipe closed")
            if chunk != b"?":
                self._replies.feed(chunk)
        return True

    def wait(self, reads: list[int], writes: list[int], deadline: float) -> bool:
        """Wait until one of ``reads`` is readable or one of ``writes`` writable, taking in the
        submission's output meanwhile (a process that prints much must not block on a full
        pipe while the grader waits for it); False once past ``deadline``."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            readable, writable = ready([*reads, self._out], writes, left)
            if self._out in readable:
                self._take_output()
                readable.remove(self._out)
            if readable or writable:
                return True

    def drain_output(self) -> None:
        """Take in the output waiting now (after a reply, so notes follow it); at most what
        the pipe can hold a few times over, so a process printing all the while is no loop."""
        for _ in range(_DRAIN_CHUNKS):
            if not self._take_output():
                return

    def _take_output(self) -> bool:
        try:
            chunk = os.read(self._out, _CHUNK)
        except (BlockingIOError, OSError):
            return False
        if chunk:
            self.transcript.add_bytes(chunk)
        return bool(chunk)

    def _take_report(self) -> bool:
        """Read init's reports; False once init's end is closed."""
        try:
            chunk = os.read(self._reports, 64)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not chunk:
            return False
        self._report_reader.feed(chunk)
        try:
            while (report := self._report_reader.next()) is not None:
                with contextlib.suppress(wire.WireError):
                    self.exit_code = protocol.read_exit_code(report).code
        except wire.WireError:
            pass
        return True

    def wait_exit_code(self, seconds: float) -> int | None:
        """The runner's exit code, waiting up to ``seconds`` for init to report it."""
        deadline = time.monotonic() + seconds
        while self.exit_code is None and time.monotonic() < deadline:
            readable, _ = ready([self._reports], (), deadline - time.monotonic())
            if readable and not self._take_report():
                break
        return self.exit_code
