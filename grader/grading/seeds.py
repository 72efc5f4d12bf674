"""The seed a hand-in's hidden cases are drawn from. A wrong function's partial credit depends on
the cases drawn, so a student must not be able to draw again by handing in again (a space
changed, new cases, the best partial credit kept): a student a roster names is graded on their
own seed (:func:`case_seed`, a keyed hash of the course's secret, the assignment and their
roster id), the same for every hand-in of theirs and wherever it is graded (``grader grade``,
``grader watch``, a platform's autograder). The same bytes graded again (a rerun after an
upgrade, ``grader watch`` then ``grader grade``, the dashboard's regrade, a Dask run) are graded
on the seed recorded for them in the gradebook and keep their score, whichever way it was drawn.
A hand-in whose student no roster id names, or one of an assignment outside a course (no
secret), gets a fresh seed; the instructor draws anew only by asking (``--seed``,
``--draw-again``)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from grader.assignment import CONFIG_NAME, AssignmentConfig
from grader.assignment.releases import course_folder
from grader.course.config import COURSE_FILE, load_course
from grader.errors import UserError
from grader.roster import Roster
from grader.variants.draw import course_key, keyed_digest

SEEDS = 2**31  # seeds lie in [0, SEEDS), as numpy's and torch's generators all take them
RECORDED, STUDENTS, FRESH = "recorded", "student's", "fresh"  # where a hand-in's seed came from


def case_seed(key: bytes, assignment: str, student: str) -> int:
    """The seed of a student's hidden cases for one assignment: a keyed hash of the course's
    secret (:func:`grader.variants.draw.course_key`), the assignment and the student's roster
    id, so every hand-in of theirs (a resubmission with a space changed included) is graded on
    the same cases, wherever it is graded, and no student can work out another's. Roster ids
    are matched whatever their case, as the variants match them."""
    digest = keyed_digest(key, "cases", assignment, student.lower())
    return int.from_bytes(digest, "big") % SEEDS


@dataclass(frozen=True)
class StudentSeeds:
    """Each student's own seed for one assignment, by the id their hand-in is graded under;
    the others draw anew for ``why`` (empty: no roster gives them an id of their own)."""

    seeds: dict[str, int]
    why: str = ""


def student_seeds(
    config: AssignmentConfig, students: Iterable[str], roster: Roster | None = None
) -> StudentSeeds:
    """The own seeds of those of ``students`` whom ``roster`` (else the course's) gives an id of
    their own (an id made from an address changes with it: nothing lasting is keyed on it),
    from the secret of the course whose folder holds the assignment's (made there at the first
    use: only when a student needs it)."""
    students = list(students)
    course = course_folder(config.directory)
    if course is None:
        return StudentSeeds({}, "the assignment is in no course folder, so has no secret")
    if not students:
        return StudentSeeds({})
    try:
        if roster is None:
            roster = load_course(course / COURSE_FILE).roster()
        people = {s: roster.by_id(s) for s in students}
        ids = {s: p.id for s, p in people.items() if p is not None and p.id_given}
        key = course_key(course) if ids else b""
    except (OSError, UserError) as error:
        return StudentSeeds({}, f"the course's roster or secret could not be read: {error}")
    return StudentSeeds({s: case_seed(key, config.name, i) for s, i in ids.items()})


def seed_for(
    explicit: int | None,
    config: AssignmentConfig,
    recorded: int | None = None,
    *,
    draw_again: bool = False,
    student: int | None = None,
) -> int:
    """The seed of one hand-in's hidden cases: the one given (``--seed``), else the
    assignment's own (``grading.seed``, one for every hand-in), else a fresh one where the
    instructor asked to draw again, else the one recorded for these very bytes, else the
    student's own (``student``: see :func:`student_seeds`), else a fresh one."""
    if explicit is not None:
        return explicit
    if config.seed is not None:
        return config.seed
    if draw_again:
        return secrets.randbelow(SEEDS)
    if recorded is not None:
        return recorded
    if student is not None:
        return student
    return secrets.randbelow(SEEDS)


def drawn_from(recorded: bool, student: bool) -> str:
    """Where a hand-in's seed comes from when neither ``--seed`` nor ``grading.seed`` gives it
    nor ``--draw-again`` asks (see :func:`seed_for`): ``RECORDED``, ``STUDENTS`` or ``FRESH``."""
    return RECORDED if recorded else STUDENTS if student else FRESH


def seeds_said(
    explicit: int | None,
    config: AssignmentConfig,
    draw_again: bool,
    sources: Sequence[str],
    why: str = "",
) -> str:
    """What a run tells the instructor about its seeds, given where each hand-in's seed comes
    from (:func:`drawn_from`) and why hand-ins draw anew (:attr:`StudentSeeds.why`; empty:
    their students have no roster id). Empty: nothing to tell."""
    if explicit is not None or not sources:
        return ""
    if config.seed is not None:
        fixed = f"grading.seed = {config.seed} in {CONFIG_NAME} gives every hand-in its cases"
        return f"--draw-again: {fixed}; nothing drawn anew" if draw_again else ""
    if draw_again:
        return (
            f"seeds: {len(sources)} drawn anew (--draw-again), not the ones recorded nor the"
            " students' own; recorded, so the same notebooks graded again keep them"
        )
    reused, own = sources.count(RECORDED), sources.count(STUDENTS)
    fresh = len(sources) - reused - own
    said = []
    if reused:
        plural = "s" if reused != 1 else ""
        said.append(
            f"{reused} as recorded for the same notebook{plural} (the same cases as before)"
        )
    if own:
        said.append(
            f"{own} the student's own (from the course's secret, the assignment and the roster"
            " id: every hand-in of a student is graded on the same cases)"
        )
    if fresh:
        because = why or "no roster id names their students: a lone notebook is named by its file"
        said.append(
            f"{fresh} drawn for new hand-ins ({because}: a student handing in again gets new cases)"
        )
    return f"seeds: {', '.join(said)}; --draw-again draws anew"
