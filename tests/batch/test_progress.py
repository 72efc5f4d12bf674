"""Counts and the time left on a long step, as every command that walks a class shows them
(collect, the merged PDF, fetch, mail, the project checks): the time left is measured from the
end of the first item, so a slow start does not inflate it."""

from __future__ import annotations

import io

import pytest

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


def test_each_item_is_counted_when_it_is_done_with_its_name(clock):
    stream = io.StringIO()
    seen = []
    for item in progress.counted(["a.eml", "b.eml", "c.eml"], "collect", str.upper, stream):
        seen.append((item, stream.getvalue().count("\n")))  # its line is not printed yet
        clock.now += 1
    assert seen == [("a.eml", 0), ("b.eml", 1), ("c.eml", 2)]
    assert stream.getvalue().splitlines() == [
        "collect 1/3: A.EML (time left known after the next)",
        "collect 2/3: B.EML (about 5 s left)",
        "collect 3/3: C.EML (done)",
    ]
