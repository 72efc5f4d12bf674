"""Pure work over many items spread over processes once there are enough of them to pay for a
pool (about a second to start): similarity's fingerprints, the merged PDF's parts."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

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
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(function, items, chunksize=chunksize)
