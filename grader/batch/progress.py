"""Counts and an ETA for a long step, the same way in every command that walks a class.

On a terminal a tqdm bar (it shows its own ETA); otherwise, for a log or a pipe, one line per
item in the command's log (:mod:`grader.logs`, at the info level, so ``-q`` leaves them out and
``--log-file`` keeps them): ``collect 40/5000: Inbox.mbox#40 (about 12 min left)``. The ETA is
measured from the end of the first item, so a slow start (a connection, a warm cache) does not
inflate it.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO, TypeVar

from tqdm import tqdm  # an instructor package: the commands that walk a class are theirs

T = TypeVar("T")
_log = logging.getLogger(__name__)


def about(seconds: float) -> str:
    """A duration as a person says it: to 5 s under two minutes, to the minute above."""
    if seconds < 120:
        return f"about {max(5, 5 * round(seconds / 5))} s"
    return f"about {round(seconds / 60)} min"


class Eta:
    """What is left of ``total`` items, at the rate since the first one ended."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.first_done: float | None = None

    def one_more(self) -> str:
        """Count one item done; the ETA to print beside it."""
        self.done += 1
        now = time.monotonic()
        if self.first_done is None:
            self.first_done = now
        if self.done >= self.total:
            return "done"
        if self.done == 1:
            return "time left known after the next"
        rate = (now - self.first_done) / (self.done - 1)
        return f"{about(rate * (self.total - self.done))} left"


def counted(
    items: Sequence[T], step: str, name: Callable[[T], str], stream: TextIO | None = None
) -> Iterator[T]:
    """The items, with a tqdm bar on ``stream`` (stderr) when it is a terminal and a line in
    the log with counts and ETA per item otherwise (logged when the item is done); neither
    when the log is quieter than the info level (``-q``)."""
    stream = stream or sys.stderr
    if not _log.isEnabledFor(logging.INFO):
        yield from items
        return
    if stream.isatty():
        yield from tqdm(items, desc=step, unit="item", file=stream)
        return
    eta = Eta(len(items))
    for number, item in enumerate(items, 1):
        yield item
        _log.info(f"{step} {number}/{len(items)}: {name(item)} ({eta.one_more()})")
