"""Counts and the time left on a long step, as every command that walks a class shows them
(collect, the merged PDF, fetch, mail, the project checks): the time left is measured from the
end of the first item, so a slow start does not inflate it."""

from __future__ import annotations

import io
import logging

import pytest

from grader import logs
from grader.batch import progress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    return clock


def test_the_time_left_leaves_a_slow_first_item_out(clock):
    eta = progress.Eta(11)
    clock.now += 300  # a connection, a cold cache: the first item is slow
    assert eta.one_more() == "time left known after the next"
    said = []
    for _ in range(9):
        clock.now += 2
        said.append(eta.one_more())
    assert said[0] == "about 20 s left"  # 9 left at 2 s each, not at (300 + 2) / 2
    assert said[-1] == "about 5 s left"
    clock.now += 2
    assert eta.one_more() == "done"


def test_a_long_step_is_told_in_minutes(clock):
    eta = progress.Eta(5000)
    eta.one_more()
    clock.now += 0.9
    assert eta.one_more() == "about 75 min left"  # 4,998 hand-ins at 0.9 s


def test_each_item_is_counted_when_it_is_done_with_its_name(clock, log_lines):
    seen = []
    for item in progress.counted(["a.eml", "b.eml", "c.eml"], "collect", str.upper, io.StringIO()):
        seen.append((item, len(log_lines)))  # its line is not logged yet
        clock.now += 1
    assert seen == [("a.eml", 0), ("b.eml", 1), ("c.eml", 2)]
    assert log_lines == [
        "collect 1/3: A.EML (time left known after the next)",
        "collect 2/3: B.EML (about 5 s left)",
        "collect 3/3: C.EML (done)",
    ]


def test_quiet_counts_nothing_and_still_gives_every_item(clock, log_lines):
    logging.getLogger(logs.LOGGER).setLevel(logging.WARNING)  # what -q sets
    items = list(progress.counted(["a.eml", "b.eml"], "collect", str.upper, io.StringIO()))
    assert items == ["a.eml", "b.eml"] and log_lines == []


@pytest.fixture
def log_lines():
    """The lines the ``grader`` log gets at the info level, as a command configures it."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger(logs.LOGGER)
    kept = logger.level, logger.handlers[:], logger.propagate
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield lines
    logger.setLevel(kept[0])
    logger.handlers[:] = kept[1]
    logger.propagate = kept[2]
