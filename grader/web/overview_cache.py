"""The overview's figures, worked out once for each state of what they are read from.

The overview reads every student's result and draws a histogram per component: a second or more
for a class of thousands. It is kept and shown again until a file it is read from changes (the
gradebooks, whose write comes with every ``results.json``; the course, the roster, the rubric),
so reloading the page, or several staff opening it, costs a look at a few files' dates."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.gradebook.course_book import BOOK_NAME
from grader.web import charts, classview
from grader.web.dashboard import Site

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


def stamp(site: Site) -> Stamp:
    """What the overview is read from, as it stands."""
    found: list[tuple[str, int, int] | None] = []
    for path in _sources(site):
        try:
            info = path.stat()
        except OSError:
            found.append(None)
            continue
        # An empty file is as good as none: SQLite leaves an empty -wal file, touched again by
        # every reader that opens the book (the page's own look at the mail watch included).
        found.append((str(path), info.st_size, info.st_mtime_ns) if info.st_size else None)
    return tuple(found)


class OverviewCache:
    """The last overview worked out, and the stamp of what it was read from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one thread works it out; the others wait for it
        self._kept: tuple[Stamp, Overview] | None = None

    def get(self, site: Site) -> Overview:
        with self._lock:
            now = stamp(site)
            if self._kept is None or self._kept[0] != now:
                self._kept = (now, _work_out(site))
            return self._kept[1]


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
