"""The dashboard's overview worked out ahead of the page (issue 67: its first answer took 2.5 s
of a class of 1,000): when the server starts, and again once what it is read from has changed
and then stayed as it is; a request then finds it ready instead of working it out itself."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import logs
from grader.cli import main
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.gradebook.results import Gradebook, Row
from grader.web.overview_cache import OverviewCache
from grader.web.site import Site

AHEAD, ASKED = "worked out ahead of the page", "worked out for a request"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    folder = tmp_path / "course"
    assert main(["init", str(folder)]) == 0
    rows = [f"S{n:03d},Student {n},s{n:03d}@example.edu," for n in range(30)]
    (folder / "roster.csv").write_text("id,name,email,role\n" + "\n".join(rows) + "\n")
    out = folder / "graded"
    with Gradebook(out / "lstm_gates" / "gradebook.sqlite") as book:
        run = book.start_run("lstm_gates", {})
        for n in range(20):
            book.record(
                run,
                Row(f"S{n:03d}", "x.ipynb", f"h{n}", 1, "graded", None, 20, 20, False, {}),
            )
    with CourseBook(out / BOOK_NAME):  # made by `grader serve` as it starts (its regrade jobs)
        pass
    return Site(folder / "course.toml", out)


@pytest.fixture
def said() -> Iterator[Said]:
    """The grader's log at the info level, as a command configures it, kept in a ``Said``."""
    kept = Said()
    handler = logging.Handler()
    handler.emit = lambda record: kept.lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger(logs.LOGGER)
    before = logger.level, logger.handlers[:], logger.propagate
    logger.handlers[:], logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    yield kept
    logger.setLevel(before[0])
    logger.handlers[:], logger.propagate = before[1], before[2]


class Said:
    """What the cache has said in the grader's log so far (as `grader serve` configures it)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.text = ""

    def count(self, what: str) -> int:
        self.text = "\n".join(self.lines)
        return self.text.count(what)

    def wait_for(self, what: str, times: int) -> None:
        for _ in range(1200):  # two minutes on a busy machine; it takes a fraction of a second
            if self.count(what) >= times:
                return
            time.sleep(0.1)
        raise AssertionError(f"never said {what!r} {times} times: {self.text}")


def test_a_request_finds_the_overview_ready_and_a_change_is_worked_out_before_it_is_asked(
    site, said
):
    cache = OverviewCache()
    stop = cache.keep_ready(site, settle_s=0.2)
    try:
        said.wait_for(AHEAD, 1)  # as the server starts
        first = cache.get(site)
        assert said.count(ASKED) == 0  # the request found it ready
        [view] = [v for v in first.views if v.component.id == "lstm_gates"]
        assert len(view.fractions) == 20
        roster = Path(site.course_path).with_name("roster.csv")
        text = roster.read_text() + "S100,Student 100,s100@example.edu,\n"
        staged = roster.with_name("roster.csv.new")
        staged.write_text(text)
        staged.replace(roster)  # one change, whole
        said.wait_for(AHEAD, 2)
        again = cache.get(site)
        assert said.count(ASKED) == 0 and again is not first
        assert "the overview of 31 students" in said.text
    finally:
        stop()


def test_a_request_after_an_unseen_change_works_it_out_itself(site, said):
    """Never older than its files: a change the thread has not yet seen settle is worked out
    for the request that finds it."""
    cache = OverviewCache()
    stop = cache.keep_ready(site, settle_s=3600)  # it looks once, as the server starts
    try:
        said.wait_for(AHEAD, 1)
        with Gradebook(site.out / "lstm_gates" / "gradebook.sqlite") as book:
            run = book.start_run("lstm_gates", {})
            book.record(run, Row("S025", "x.ipynb", "late", 1, "graded", None, 20, 20, False, {}))
        overview = cache.get(site)
        assert said.count(ASKED) == 1
        [view] = [v for v in overview.views if v.component.id == "lstm_gates"]
        assert len(view.fractions) == 21
    finally:
        stop()


def test_files_it_cannot_be_worked_out_from_are_said_once_and_tried_again_when_mended(site, said):
    cache = OverviewCache()
    stop = cache.keep_ready(site, settle_s=0.05)
    try:
        said.wait_for(AHEAD, 1)
        course = Path(site.course_path)
        good = course.read_text()
        course.write_text(good + "\n[course]\ntitle = 'twice'\n")
        said.wait_for("could not be worked out ahead of the page", 1)
        time.sleep(1)  # some twenty looks at the same files
        assert said.count("could not be worked out") == 1
        assert "course.toml: not valid TOML" in said.text  # what is wrong, for the log
        course.write_text(good)  # mended: worked out again
        said.wait_for(AHEAD, 2)
    finally:
        stop()
