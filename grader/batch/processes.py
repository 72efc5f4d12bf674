"""Pools of processes: pure work over many items spread over processes once there are enough of
them to pay for a pool (about a second to start), as similarity's fingerprints and the merged
PDF's parts; and every pool of the grader's, graders included, made by :func:`process_pool`."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, process
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_processes(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    most_workers: int,
    from_items: int,
    chunksize: int,
) -> Iterator[R]:
    """``function`` of each item, in order: in this process for fewer than ``from_items`` items
    or on one core, else over up to ``most_workers`` processes (a picklable ``function``)."""
    workers = min(os.cpu_count() or 1, most_workers)
    if len(items) < from_items or workers < 2:
        yield from map(function, items)
        return
    with process_pool(workers) as pool:
        yield from pool.map(function, items, chunksize=chunksize)


def process_pool(workers: int, **options: Any) -> ProcessPoolExecutor:
    """``ProcessPoolExecutor(workers, **options)``, which a worker's death breaks and never
    hangs (on Python 3.11.4 and earlier too: :func:`_mend_broken_pool_hang`)."""
    _mend_broken_pool_hang()
    return ProcessPoolExecutor(workers, **options)


@functools.cache  # once a process
def _mend_broken_pool_hang() -> None:
    """CPython's fix for a pool that hangs for ever when a worker dies, on the Pythons that lack
    it (3.11.0 to 3.11.4; Debian 12's python3 is 3.11.2): the queue's feeder thread, blocked
    writing a call to the pipe the dead worker read, is joined while the pipe's read end stays
    open here, so the write never fails. 3.11.5 closes that end once the workers are
    terminated (python/cpython#94777); this closes it first, which ends the write with EPIPE
    when the workers it then terminates are gone. A `grader grade --workers 2` whose worker
    was killed hung with it, where it now grades that worker's hand-ins again."""
    if sys.version_info >= (3, 11, 5):
        return
    lacking = process._ExecutorManagerThread

    class Mended(lacking):  # type: ignore[misc, valid-type]
        def terminate_broken(self, cause: object) -> None:
            self.call_queue._reader.close()
            super().terminate_broken(cause)

    process._ExecutorManagerThread = Mended  # type: ignore[misc]
