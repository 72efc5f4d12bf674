"""The overview's figures, worked out once for each state of what they are read from.

The overview reads every student's result and draws a histogram per component: a second or more
for a class of thousands. It is kept and shown again until a file it is read from changes (the
gradebooks, whose write comes with every ``results.json``; the course, the roster, the rubric),
so reloading the page, or several staff opening it, costs a look at a few files' dates.

While ``grader serve`` runs, a thread works it out ahead of the page: when the server starts,
and again once what it is read from has changed and then stayed as it is for a moment (a grading
run writes every second or so; working the figures out after each write would take a core from
it). A request then finds it ready; one that comes before waits for the same work, never a
second one. The page is never older than its files: a request that finds them changed works it
out itself."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.gradebook.course_book import BOOK_NAME
from grader.web import charts, classview
from grader.web.site import Site

_log = logging.getLogger(__name__)

# A file's state as its stamp: path, size and time of last change, or None when it is absent.
Stamp = tuple[tuple[str, int, int] | None, ...]


@dataclass(frozen=True)
class Overview:
    views: list[classview.ComponentView]
    histograms: dict[str, tuple[str, str]]  # component id -> (SVG, its figures in words)


def _sources(site: Site) -> Iterator[Path]:
    course = site.course()
    books = [site.out / BOOK_NAME] + [site.out / c.id / BOOK_NAME for c in course.components]
    yield from (course.path, course.roster_path, course.projects_dir / "projects.toml")
    yield course.projects_dir / "rubric.toml"
    for book in books:  # SQLite writes to the -wal file first, the database at checkpoints
        yield from (book, book.with_name(book.name + "-wal"))


def _stamps(paths: Iterator[Path]) -> Stamp:
    found: list[tuple[str, int, int] | None] = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            found.append(None)
            continue
        # An empty file is as good as none: SQLite leaves an empty -wal file, touched again by
        # every reader that opens the book (the page's own look at the mail watch included).
        found.append((str(path), info.st_size, info.st_mtime_ns) if info.st_size else None)
    return tuple(found)


def stamp(site: Site) -> Stamp:
    """What the overview is read from, as it stands."""
    return _stamps(_sources(site))


def _stamp_or_course_file(site: Site) -> Stamp:
    """The stamp; or, where the course's own file cannot be read (it names the others), that
    file's."""
    try:
        return stamp(site)
    except Exception:  # a broken course.toml: the page says why, when it is asked for
        return _stamps(iter([Path(site.course_path)]))


class OverviewCache:
    """The last overview worked out, and the stamp of what it was read from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one thread works it out; the others wait for it
        self._kept: tuple[Stamp, Overview] | None = None

    def get(self, site: Site, why: str = "for a request") -> Overview:
        with self._lock:
            now = stamp(site)
            if self._kept is None or self._kept[0] != now:
                started = time.monotonic()
                self._kept = (now, _work_out(site))
                students = len(site.course().roster().students)
                _log.info(
                    f"the overview of {students:,} students worked out {why} "
                    f"in {time.monotonic() - started:.1f} s"
                )
            return self._kept[1]

    def keep_ready(self, site: Site, settle_s: float) -> Callable[[], None]:
        """Work the overview out now and whenever its files have changed and then not changed
        for ``settle_s``, on a thread of its own; the function returned stops it."""
        stopped = threading.Event()

        def work() -> None:
            seen: Stamp | None = None
            failed: Stamp | None = None  # files it could not be worked out from, not tried again
            while not stopped.is_set():
                now = _stamp_or_course_file(site)
                kept = self._kept
                settled = seen is None or now == seen
                if settled and now != failed and (kept is None or kept[0] != now):
                    try:
                        self.get(site, "ahead of the page")
                    except Exception as error:  # a request works it out again and says why
                        failed = now
                        _log.warning(
                            "the overview could not be worked out ahead of the page "
                            f"({type(error).__name__}: {error}); the page will say why"
                        )
                seen = now
                stopped.wait(settle_s)

        thread = threading.Thread(target=work, name="overview", daemon=True)
        thread.start()

        def stop() -> None:
            stopped.set()
            thread.join()

        return stop


def _work_out(site: Site) -> Overview:
    views = classview.class_view(site.course(), site.out, site.projects())
    histograms = {
        view.component.id: (
            charts.score_histogram(view.fractions),
            charts.histogram_text(view.fractions),
        )
        for view in views
    }
    return Overview(views, histograms)
