"""What each student was released, recorded at release in the course folder
(``variants/<assignment>.json``): the values, the definition they came from and the variant
fingerprint. Grading and ``grader variants`` read the values from here, never again from an
edited ``[variants]``, so a student's released numbers are the ones they are graded on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignment.variant_definition import Definition, Value
from grader.errors import UserError
from grader.gradebook import schema

FOLDER = "variants"  # in the course folder: the secret and one release record per assignment
# The record's layout: 1 names it (0.1.0's records had no "schema" and are read as it); a newer
# one is refused, never read as this one.
SCHEMA = 1


@dataclass(frozen=True)
class Released:
    """One student's release."""

    values: dict[str, Value]
    definition: str
    fingerprint: str
    released_at: str
    # [[pools]]: each pool's name -> the graded functions the student was drawn
    questions: dict[str, list[str]] = field(default_factory=dict)
    # role -> checksum of the grader-owned cells of the student's notebook (their self-check)
    owned: dict[str, str] = field(default_factory=dict)
    grader_version: str = ""  # the grader build that released it ('' before 0.2)


@dataclass
class Record:
    """An assignment's release record: every definition released, every student released."""

    path: Path
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    students: dict[str, Released] = field(default_factory=dict)

    def of(self, student: str) -> Released | None:
        """The student's release (roster ids in any case), or None."""
        wanted = student.lower()
        return next((r for s, r in self.students.items() if s.lower() == wanted), None)

    def owner_of(self, fingerprint: str) -> str | None:
        """The student released the variant with this fingerprint, or None."""
        return next((s for s, r in self.students.items() if r.fingerprint == fingerprint), None)

    def add(self, student: str, released: Released, definition: Definition) -> None:
        self.definitions.setdefault(
            definition.fingerprint, {p.name: dict(p.spec) for p in definition.parameters}
        )
        self.students[student] = released

    def save(self) -> None:
        data = {
            "schema": SCHEMA,
            "definitions": self.definitions,
            "students": {
                student: {
                    "values": r.values,
                    "definition": r.definition,
                    "fingerprint": r.fingerprint,
                    "released_at": r.released_at,
                    **({"questions": r.questions} if r.questions else {}),
                    **({"owned": r.owned} if r.owned else {}),
                    **({"grader_version": r.grader_version} if r.grader_version else {}),
                }
                for student, r in self.students.items()
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, self.path)  # a reader never sees half a record


def students_said(count: int) -> str:
    """ "1 student", "30 students"."""
    return f"{count} student" if count == 1 else f"{count} students"


def record_path(course_dir: Path, assignment: str) -> Path:
    return Path(course_dir) / FOLDER / f"{assignment}.json"


def read_record(course_dir: Path, assignment: str) -> Record:
    """The assignment's release record; empty before its first per-student release."""
    path = record_path(course_dir, assignment)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Record(path)
    except (OSError, ValueError) as error:
        raise UserError(
            f"{path} cannot be read ({error}); it records what each student was released:"
            f" restore it from a backup rather than release again"
        ) from None
    schema.check_record(path, data, SCHEMA)
    students = data.get("students", {}) if isinstance(data, Mapping) else {}
    try:
        return Record(
            path,
            dict(data.get("definitions", {})),
            {
                student: Released(
                    dict(entry["values"]),
                    str(entry["definition"]),
                    str(entry["fingerprint"]),
                    str(entry["released_at"]),
                    {str(k): [str(f) for f in v] for k, v in entry.get("questions", {}).items()},
                    {str(k): str(v) for k, v in entry.get("owned", {}).items()},
                    str(entry.get("grader_version", "")),
                )
                for student, entry in students.items()
            },
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise UserError(
            f"{path} is not a release record (missing {error}); restore it from a backup"
        ) from None
