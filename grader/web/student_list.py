"""The students list of a class of any size: searched by name or id, shown a page at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from grader.limits import WEB
from grader.roster import Person


@dataclass(frozen=True)
class ListPage:
    """One page of the (searched) students list, with the counts the page states."""

    people: tuple[Person, ...]
    query: str
    page: int  # from 1
    pages: int
    matching: int  # students the search found (every student without one)
    total: int  # students on the roster

    @property
    def first(self) -> int:
        """The number (from 1) of the page's first student among those matching."""
        return (self.page - 1) * WEB.students_per_page + 1 if self.people else 0

    @property
    def last(self) -> int:
        return self.first + len(self.people) - 1 if self.people else 0


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def matches(person: Person, query: str) -> bool:
    """Whether a search finds ``person``: its words inside the id or the name, any case."""
    wanted = _words(query)
    return not wanted or wanted in person.id.casefold() or wanted in _words(person.name)


def list_page(students: Sequence[Person], query: str, page: str) -> ListPage:
    """The page ``page`` (as the address gives it: anything not a number is the first) of the
    students a search for ``query`` finds, in the roster's order; past the last page, the last."""
    query = query.strip()[: WEB.search_chars]
    found = [person for person in students if matches(person, query)]
    pages = max(1, math.ceil(len(found) / WEB.students_per_page))
    try:
        number = min(max(int(page), 1), pages)
    except ValueError:
        number = 1
    start = (number - 1) * WEB.students_per_page
    shown = tuple(found[start : start + WEB.students_per_page])
    return ListPage(shown, query, number, pages, len(found), len(students))
