"""A hand-in's variant against the student it is attributed to: the notebook's metadata names
the variant it was released as, and the release record says whose that is. The record, never
the notebook, says which values are the student's.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.course.config import COURSE_FILE, load_course
from grader.limits import GRADING
from grader.outputs.quoting import cut, quoted
from grader.roster import Roster
from grader.variants.record import Record, read_record, record_path


def record_of(assignment_dir: Path, assignment: str) -> Record | None:
    """The release record of the course whose folder holds the assignment's (or the one
    :func:`place_record` put there), or None where the assignment is graded outside a course
    or was never released per student."""
    if _PLACED:  # only ever on a Dask worker
        placed = _PLACED.get(Path(assignment_dir).resolve())
        if placed is not None:
            return placed if placed.students else None
    path = record_file(assignment_dir, assignment)
    if path is None:
        return None
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    record = _read(path.parent.parent, assignment, (found.st_mtime_ns, found.st_size))
    return record if record.students else None


def record_file(assignment_dir: Path, assignment: str) -> Path | None:
    """Where the course that holds the assignment's folder keeps its release record (the file
    may not exist); None outside a course."""
    for folder in Path(assignment_dir).resolve().parents:
        if (folder / COURSE_FILE).is_file():
            return record_path(folder, assignment)
    return None


def release_roster(assignment_dir: Path, assignment: str) -> Roster | None:
    """The roster of the course that released the assignment per student (the course whose
    folder holds the assignment's), which names its hand-ins as ``--roster`` would: the files
    an LMS hands back are ``<id>_<assignment>.ipynb``, whose stem is no roster id. None outside
    a course, or where the course never released the assignment per student."""
    path = record_file(assignment_dir, assignment)
    if path is None or record_of(assignment_dir, assignment) is None:
        return None
    return load_course(path.parent.parent / COURSE_FILE).roster()


def place_record(assignment_dir: Path, record: Record) -> None:
    """Make ``record`` the release record of the assignment in ``assignment_dir``, which lies
    in no course folder: a Dask worker's copy of the assignment, sent the course's record."""
    _PLACED[Path(assignment_dir).resolve()] = record


_PLACED: dict[Path, Record] = {}  # by the assignment folder: see place_record


@functools.lru_cache(maxsize=4)
def _read(course_dir: Path, assignment: str, _version: tuple[int, int]) -> Record:
    """The record as of one version of its file: grading reads it once, not per hand-in."""
    return read_record(course_dir, assignment)


def said_values(values: Mapping[str, object]) -> str:
    """``W_rec = 0.773, activation = tanh``: each value cut short (a hand-in's may be any size)."""
    return ", ".join(
        f"{name} = {cut(value, GRADING.quoted_chars) if isinstance(value, str) else quoted(value)}"
        for name, value in values.items()
    )


@dataclass(frozen=True)
class Verdict:
    """A hand-in's variant against its student's own: ``flag`` says it in a few words for
    grades.csv, the dashboard and the similarity page ("" when it is their own); ``note`` in a
    sentence for the student's feedback."""

    flag: str
    note: str
    owner: str | None = None  # the student another student's notebook was released to


OWN = "own"
CLASS_WIDE = "class-wide notebook"


def verdict(record: Record, student: str, metadata: Mapping[str, object]) -> Verdict:
    """The hand-in's variant: the student's own, another student's (both named), the
    class-wide notebook, none, or a fingerprint the course never released."""
    own = record.of(student)
    if own is None:
        return Verdict(
            "not released",
            f"Variant: {student} was never released a notebook of their own; release it with"
            f" `grader assign --per-student`",
        )
    grader_metadata = metadata.get("grader")
    claimed = grader_metadata.get("variant") if isinstance(grader_metadata, Mapping) else None
    yours = f"{student}'s own values ({said_values(own.values)}) are the ones that count"
    if not isinstance(claimed, Mapping):
        return Verdict(
            "no variant",
            f"Variant: this notebook carries no variant (not a per-student release); {yours}",
        )
    if claimed.get("class_wide"):
        return Verdict(
            CLASS_WIDE,
            f"Variant: this is the class-wide notebook, not {student}'s own; {yours}",
        )
    fingerprint = str(claimed.get("fingerprint", ""))
    if fingerprint == own.fingerprint:
        return Verdict(OWN, "")
    owner = record.owner_of(fingerprint)
    if owner is None:
        return Verdict(
            "unknown fingerprint",
            f"Variant: the notebook's fingerprint {quoted(fingerprint)} is none the course released"
            f" (edited by hand?); {yours}",
        )
    return Verdict(
        f"another student's: released to {owner}, handed in by {student}",
        f"Variant of another student: this notebook was released to {owner}, and is handed in"
        f" by {student}; {yours}",
        owner,
    )


def variant_notes(record: Record, student: str, metadata: Mapping[str, object]) -> list[str]:
    """What the grades should say of the hand-in's variant: nothing when it is the student's
    own; else which notebook it is, whose it was, and that the student's own values count."""
    found = verdict(record, student, metadata)
    return [found.note] if found.note else []
