"""The seed a hand-in's hidden cases are drawn from. A wrong function's partial credit depends on
the cases drawn, so the same bytes graded again (a rerun after an upgrade, ``grader watch`` then
``grader grade``, the dashboard's regrade, a Dask run) are graded on the seed recorded for them
in the gradebook and keep their score; a new hand-in (other bytes) gets a fresh seed, and the
instructor draws anew only by asking (``--seed``, ``--draw-again``)."""

from __future__ import annotations

import secrets

from grader.assignment import CONFIG_NAME, AssignmentConfig
from grader.variants.draw import keyed_digest

SEEDS = 2**31  # seeds lie in [0, SEEDS), as numpy's and torch's generators all take them


def case_seed(key: bytes, assignment: str, student: str) -> int:
    """The seed of a student's hidden cases for one assignment: a keyed hash of the course's
    secret (:func:`grader.variants.draw.course_key`), the assignment and the student's roster
    id, so every hand-in of theirs (a resubmission with a space changed included) is graded on
    the same cases, wherever it is graded, and no student can work out another's. Roster ids
    are matched whatever their case, as the variants match them."""
    digest = keyed_digest(key, "cases", assignment, student.lower())
    return int.from_bytes(digest, "big") % SEEDS


def seed_for(
    explicit: int | None,
    config: AssignmentConfig,
    recorded: int | None = None,
    *,
    draw_again: bool = False,
) -> int:
    """The seed of one hand-in's hidden cases: the one given (``--seed``), else the
    assignment's own (``grading.seed``, one for every hand-in), else the one recorded for these
    very bytes unless the instructor asked to draw again, else a fresh one."""
    if explicit is not None:
        return explicit
    if config.seed is not None:
        return config.seed
    if recorded is not None and not draw_again:
        return recorded
    return secrets.randbelow(SEEDS)


def seeds_said(
    explicit: int | None, config: AssignmentConfig, draw_again: bool, graded_before: list[bool]
) -> str:
    """What a run tells the instructor about its seeds, given whether each hand-in it grades
    was graded before (empty: nothing to tell)."""
    if explicit is not None:
        return ""
    if config.seed is not None:
        fixed = f"grading.seed = {config.seed} in {CONFIG_NAME} gives every hand-in its cases"
        return f"--draw-again: {fixed}; nothing drawn anew" if draw_again else ""
    reused = 0 if draw_again else sum(graded_before)
    drawn = len(graded_before) - reused
    if draw_again:
        return f"seeds: {drawn} drawn anew (--draw-again), not the ones recorded" if drawn else ""
    if not reused:
        return ""
    new = f", {drawn} drawn for new hand-ins" if drawn else ""
    return (
        f"seeds: {reused} as recorded for the same notebook{'s' if reused != 1 else ''}"
        f" (the same cases as before){new}; --draw-again draws anew"
    )
