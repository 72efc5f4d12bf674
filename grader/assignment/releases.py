"""Every class-wide release a course made of an assignment, recorded in the course folder
(``releases/<assignment>.json``) as ``grader assign`` writes it: when, by which grader version,
to which file, and the checksums of its grader-owned cells. Grading checks a notebook's owned
cells against every release recorded, whichever grader version made it, so a grader upgraded
mid-term (whose self-check text, and so its checksums, differ) never calls an untouched cell
edited. (A per-student release records each student's in ``variants/<assignment>.json``.)

A course released before releases were recorded (grader 0.1.0) has no record: a release over
the notebook it gave out records that notebook first, ``grader assign --record NOTEBOOK``
records the notebook given out without releasing again (:func:`record_given_out`), and until
either each notebook's owned cells are checked against the checksums their own metadata
carries (see docs/admins/upgrading.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from grader import __version__
from grader.assignment.owned import owned_cell_problems, owned_checksums
from grader.course.config import COURSE_FILE
from grader.errors import UserError
from grader.gradebook import schema

FOLDER = "releases"  # in the course folder: one record per assignment
SCHEMA = 1  # the record's layout; a newer one is refused, never read as this one
# The version of a release recorded from the file it gave out (only a grader before 0.2 left
# a class-wide release unrecorded); its released_at is not known: "".
GIVEN_OUT = "before 0.2"


@dataclass(frozen=True)
class Release:
    """One class-wide release: its grader-owned cells' checksums (role -> sha256)."""

    released_at: str
    version: str  # the grader's that made it ("before 0.2" for one recorded from its file)
    notebook: str  # the file it was written to, as given
    owned: Mapping[str, str]


def course_folder(assignment_dir: Path) -> Path | None:
    """The course folder that holds the assignment's folder, or None outside a course."""
    for folder in Path(assignment_dir).resolve().parents:
        if (folder / COURSE_FILE).is_file():
            return folder
    return None


def record_path(course_dir: Path, assignment: str) -> Path:
    return Path(course_dir) / FOLDER / f"{assignment}.json"


def read_releases(course_dir: Path, assignment: str) -> list[Release]:
    """The assignment's recorded releases, oldest first; empty before the first."""
    path = record_path(course_dir, assignment)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        raise UserError(
            f"{path} cannot be read ({error}); it records every release of {assignment}:"
            " restore it from a backup"
        ) from None
    schema.check_record(path, data, SCHEMA)
    try:
        return [
            Release(
                str(entry["released_at"]),
                str(entry["version"]),
                str(entry["notebook"]),
                {str(role): str(checksum) for role, checksum in entry["owned"].items()},
            )
            for entry in data["releases"]
        ]
    except (KeyError, TypeError, AttributeError) as error:
        raise UserError(
            f"{path} is not a release record (missing {error}); restore it from a backup"
        ) from None


def record_release(
    assignment_dir: Path, assignment: str, notebook: nbformat.NotebookNode, out: Path
) -> Path | None:
    """Record a class-wide release of ``notebook`` written to ``out`` in the course that
    holds the assignment's folder (None outside a course); a release whose owned cells are
    recorded already is not recorded again. A course's first recorded release over a file
    the course gave out before records were kept records that file first."""
    course_dir = course_folder(assignment_dir)
    if course_dir is None:
        return None
    releases = read_releases(course_dir, assignment)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    owned = owned_checksums(notebook)
    earlier = _given_out_before(out) if not releases else {}
    if earlier and earlier != owned:  # what the students were given, by an earlier grader
        releases.append(Release("", GIVEN_OUT, str(out), earlier))
    if all(dict(release.owned) != owned for release in releases):
        releases.append(Release(now, __version__, str(out), owned))
    path = record_path(course_dir, assignment)
    _write(path, releases)
    return path


def record_given_out(assignment_dir: Path, assignment: str, notebook: Path) -> tuple[Path, bool]:
    """Record ``notebook``, the class-wide release of ``assignment`` a grader that recorded
    none gave the students, as a release of it in the course that holds the assignment's
    folder (its owned cells' checksums), for a course that will not release it again. The
    record's path, and False when that release was recorded already. UserError: no course,
    no notebook, not this assignment's, or not as released (an owned cell edited, missing)."""
    course_dir = course_folder(assignment_dir)
    if course_dir is None:
        raise UserError(
            f"{assignment_dir} is not in a course folder (no {COURSE_FILE} above it): a release"
            " is recorded in the course that holds the assignment"
        )
    try:
        given = nbformat.read(notebook, as_version=4)
    except FileNotFoundError:
        raise UserError(
            f"{notebook} does not exist: give the notebook the students were given"
        ) from None
    except (OSError, ValueError, AttributeError) as error:
        raise UserError(f"{notebook} is not a notebook ({error})") from None
    grader = given.metadata.get("grader")
    named = grader.get("assignment") if isinstance(grader, Mapping) else None
    if named != assignment:
        raise UserError(
            f"{notebook} is not a release of {assignment} (its metadata names"
            f" {named or 'no assignment'}): give the notebook {assignment} was released as"
        )
    owned = owned_checksums(given)
    problems = owned_cell_problems(given) if owned else ["it has no grader-owned cells"]
    if problems:
        raise UserError(
            f"{notebook} is not the notebook as released ({problems[0]}): give the file the"
            " students were given, unedited"
        )
    releases = read_releases(course_dir, assignment)
    if any(dict(release.owned) == owned for release in releases):
        return record_path(course_dir, assignment), False
    releases.append(Release("", GIVEN_OUT, str(notebook), owned))
    path = record_path(course_dir, assignment)
    _write(path, releases)
    return path, True


def _given_out_before(out: Path) -> dict[str, str]:
    """The owned cells' checksums of the notebook at ``out`` that a release is about to
    replace (the one the course gave out, made before releases were recorded); empty if none."""
    try:
        return owned_checksums(nbformat.read(out, as_version=4))
    except (OSError, ValueError, AttributeError):
        return {}


def _write(path: Path, releases: Sequence[Release]) -> None:
    data = {
        "schema": SCHEMA,
        "releases": [
            {
                "released_at": release.released_at,
                "version": release.version,
                "notebook": release.notebook,
                "owned": dict(release.owned),
            }
            for release in releases
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)  # a reader never sees half a record


def accepted_owned(
    assignment_dir: Path, assignment: str, this_release: Mapping[str, str]
) -> dict[str, frozenset[str]]:
    """role -> every checksum the owned cell may carry unedited: those of every release the
    course recorded, and of the release this grader makes (a notebook that holds exactly its
    cells was not edited, whoever released it)."""
    course_dir = course_folder(assignment_dir)
    releases = read_releases(course_dir, assignment) if course_dir is not None else []
    sets: dict[str, set[str]] = {}
    for owned in [*(release.owned for release in releases), this_release]:
        for role, checksum in owned.items():
            sets.setdefault(role, set()).add(checksum)
    return {role: frozenset(checksums) for role, checksums in sets.items()}


def unrecorded(assignment_dir: Path, assignment: str) -> bool:
    """A course holds the assignment but has recorded no release of it: it was released by a
    grader before releases were recorded (or never released by ``grader assign``)."""
    course_dir = course_folder(assignment_dir)
    return course_dir is not None and not read_releases(course_dir, assignment)


@dataclass(frozen=True)
class ReleasedOwned:
    """What a hand-in's grader-owned cells may be: role -> every checksum the cell may carry
    unedited (``accepted``: each release's the course recorded, whichever grader version made
    it); ``unrecorded``: the course recorded none (released by a grader before releases were
    recorded), so the checksum the notebook's own metadata records of its release counts too
    (a cell whose text no longer matches it was still edited)."""

    accepted: Mapping[str, AbstractSet[str]]
    unrecorded: bool = False

    @classmethod
    def of(cls, assignment_dir: Path, assignment: str, this_release: Mapping[str, str]):
        """The course's releases of the assignment (:func:`accepted_owned`)."""
        accepted = accepted_owned(assignment_dir, assignment, this_release)
        return cls(accepted, unrecorded(assignment_dir, assignment))

    def expected(self, notebook: nbformat.NotebookNode) -> dict[str, AbstractSet[str]]:
        """role -> the checksums the owned cells of ``notebook`` may carry unedited."""
        expected = dict(self.accepted)
        if self.unrecorded:
            for role, checksum in owned_checksums(notebook).items():
                expected[role] = expected.get(role, frozenset()) | {checksum}
        return expected
