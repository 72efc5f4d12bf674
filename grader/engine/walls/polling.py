"""Descriptors waited on, of any number: the one wait that the pipes of a run
(:mod:`grader.engine.run.channel`), the warm process's socket and the memory watch's pidfd share.
Here, below both the walls and the run, since the memory watch (a wall) waits too."""

from __future__ import annotations

import errno
import math
import select

_READABLE = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR
_WRITABLE = select.POLLOUT | select.POLLERR


def ready(reads, writes=(), timeout: float | None = None) -> tuple[list, list]:
    """What select() would say of ``reads`` and ``writes`` (readable, writable) within
    ``timeout`` seconds, for descriptors of any number: select() refuses those of 1024 and above,
    which a grader that has run long (a dashboard's regrades, a test run) reaches. An end or an
    error counts as readable, as with select(); a descriptor that is not open raises OSError."""
    poller = select.poll()
    masks: dict[int, int] = {}
    named: dict[int, object] = {}
    wanted = [(r, select.POLLIN | select.POLLPRI) for r in reads]
    wanted += [(w, select.POLLOUT) for w in writes]
    for each, mask in wanted:
        number = each if isinstance(each, int) else each.fileno()
        masks[number] = masks.get(number, 0) | mask
        named[number] = each
    for number, mask in masks.items():
        poller.register(number, mask)
    wait_ms = None if timeout is None else max(0, math.ceil(timeout * 1000))
    readable, writable = [], []
    for number, events in poller.poll(wait_ms):
        if events & select.POLLNVAL:
            raise OSError(errno.EBADF, f"descriptor {number} is not open")
        if events & _READABLE and masks[number] & select.POLLIN:
            readable.append(named[number])
        if events & _WRITABLE and masks[number] & select.POLLOUT:
            writable.append(named[number])
    return readable, writable
