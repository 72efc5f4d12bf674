"""The keys a course's TOML files may hold, declared once with their meaning.

The readers (``grader/course/config.py``, ``grader/assignment/config.py``, ...) accept exactly
the keys declared here, and the documentation's reference pages are generated from the same
declarations, so a key cannot be read without being documented, nor documented without being
read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One key of a table: its name, what it means, and its default when it may be left out
    (``required`` keys have none)."""

    name: str
    meaning: str
    required: bool = True
    default: str = ""  # as a reader would write it in the file, e.g. '100' or '"projects"'


@dataclass(frozen=True)
class TomlTable:
    """One table of a file: ``[name]``, or ``[[name]]`` when ``repeated`` (one per item). A
    ``free_form`` table's keys are the assignment's own: the framework passes them on unread."""

    name: str
    meaning: str
    keys: tuple[Key, ...] = ()
    repeated: bool = False
    required: bool = True
    free_form: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys)

    @property
    def heading(self) -> str:
        return f"[[{self.name}]]" if self.repeated else f"[{self.name}]"


@dataclass(frozen=True)
class TomlFile:
    """A file's tables, in the order the documentation lists them."""

    name: str  # e.g. "course.toml"
    meaning: str
    tables: tuple[TomlTable, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The top-level names the file may hold (its tables, outermost only)."""
        return tuple(dict.fromkeys(t.name.split(".")[0] for t in self.tables))

    def table(self, name: str) -> TomlTable:
        return next(t for t in self.tables if t.name == name)
