"""Each student's values: drawn from a keyed hash of the course's secret, the assignment and the
student's roster id, and kept once released.

The secret (``variants/secret.key`` in the course folder, readable by its owner only) makes the
values the same every time the instructor draws them and impossible for a student to work out
for another. Two students whose hashes land on the same set of values are told apart by drawing
again for the one later in roster-id order, so that no two students of the class share every
value while the definition has sets enough
(:func:`~grader.assignment.variant_definition.check_class_size`).
A student already released keeps the values recorded at release
(:mod:`grader.variants.record`), whatever ``[variants]`` says now.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.assignment.variant_definition import Definition, Value
from grader.course.owner_key import owner_only_key
from grader.errors import UserError
from grader.roster import Person
from grader.variants.record import FOLDER, Record, Released

KEY_NAME = "secret.key"
_FINGERPRINT_HEX = 16
_DRAWS = 64  # draws before taking the first free set: clashes this many times are rare


def course_key(course_dir: Path) -> bytes:
    return owner_only_key(Path(course_dir) / FOLDER / KEY_NAME)


@dataclass(frozen=True)
class StudentValues:
    """What one student is (or would be) released."""

    student: str
    values: dict[str, Value]
    definition: str  # the fingerprint of the definition the values were drawn from
    fingerprint: str  # names this student's variant in their notebook's metadata
    released_at: str  # when they were released, "" while they have not been


def keyed_digest(key: bytes, *parts: str) -> bytes:
    """HMAC-SHA256 of ``parts`` under the course's secret: what only the instructor computes
    (a student's values here, their hidden cases' seed in :mod:`grader.grading.seeds`)."""
    return hmac.new(key, "\0".join(parts).encode(), hashlib.sha256).digest()


def fingerprint(key: bytes, assignment: str, student: str, values: Mapping[str, Value]) -> str:
    """The variant fingerprint of a student's values: only the course's secret computes it."""
    shown = json.dumps(dict(values), sort_keys=True)
    digest = keyed_digest(key, "fingerprint", assignment, student.lower(), shown)
    return digest.hex()[:_FINGERPRINT_HEX]


def check_ids(students: Iterable[Person], roster: Path | None) -> None:
    """Values are keyed on the roster id: a student the roster gives none (only an address,
    which may change) cannot be given lasting ones."""
    for person in students:
        if not person.id_given:
            raise UserError(
                f"{roster}: student {person.name or person.emails[0]} has no roster id (only an"
                f" address); per-student variants are keyed on the id, so give every student"
                f" one in the roster's id column"
            )


def draw(
    key: bytes,
    assignment: str,
    definition: Definition,
    students: Iterable[Person],
    record: Record,
) -> list[StudentValues]:
    """Every student's values, in roster order: those released as recorded, the others drawn."""
    students = list(students)
    taken: set[int] = set()
    for released in record.students.values():
        number = definition.number(released.values)
        if number is not None:
            taken.add(number)
    drawn: dict[str, StudentValues] = {}
    for person in sorted(students, key=lambda p: p.id.lower()):
        kept = record.of(person.id)
        if kept is not None:
            drawn[person.id] = _kept(kept, person.id)
            continue
        number = _free_number(key, assignment, person.id, definition, taken)
        taken.add(number)
        values = definition.values(number)
        drawn[person.id] = StudentValues(
            person.id,
            values,
            definition.fingerprint,
            fingerprint(key, assignment, person.id, values),
            "",
        )
    return [drawn[p.id] for p in students]


def _kept(released: Released, student: str) -> StudentValues:
    return StudentValues(
        student,
        dict(released.values),
        released.definition,
        released.fingerprint,
        released.released_at,
    )


def _free_number(
    key: bytes, assignment: str, student: str, definition: Definition, taken: set[int]
) -> int:
    """The student's set of values: the hash's, or on a clash the next draw's; after many
    clashes the first free set, and when every set is taken (a class larger than the definition
    allows) the first draw's, shared."""

    def drawn(attempt: int) -> int:
        digest = keyed_digest(key, "values", assignment, student.lower(), str(attempt))
        return int.from_bytes(digest, "big") % definition.combinations

    for attempt in range(_DRAWS):
        if drawn(attempt) not in taken:
            return drawn(attempt)
    free = next((n for n in range(definition.combinations) if n not in taken), None)
    return drawn(0) if free is None else free
