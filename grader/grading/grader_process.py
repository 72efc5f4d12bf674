"""What runs in a grader process wherever it runs (this process, a pool's worker, a Dask
worker): the run's plan, the warm process, one submission's grading."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import time
import traceback
from pathlib import Path

from grader import engine
from grader.assignment import load_assignment, owned_checksums, owned_sources
from grader.assignment.releases import ReleasedOwned
from grader.assignment.releasing import released_notebook
from grader.course.config import DEFAULT_DECIMALS, listing_course
from grader.disk_full import DiskFull, check_temp_space, full_line, no_space
from grader.engine.run import trial
from grader.engine.runtime import preparation
from grader.engine.walls.cgroups import warn_without_cgroups
from grader.errors import UserError
from grader.gradebook.results import GRADER_ERROR, Row
from grader.grading.answering import KnownValues
from grader.grading.steps import GraderFault, KnownLateness, Plan, SubmissionGrading
from grader.grading.submissions import HandIn, as_now, vanished, version_of
from grader.limits import GRADING, RunLimits

RESUME_WHEN_FULL = (
    "free space there and run again with --resume; every result recorded so far is kept"
)


def grade_safely(
    submission: HandIn,
    plan: Plan,
    seed: int,
    lateness: KnownLateness | None = None,
    values: KnownValues | None = None,
) -> Row:
    """One submission's grading (:class:`SubmissionGrading`), with a grader failure turned into
    an ``error`` row instead of a crash: no score, no files for the student, graded again by
    ``--resume``. ``lateness`` and ``values``: the course's verdict and the student's values,
    where the course is not here.

    A hand-in that ``grader collect`` or the watch replaced since it was listed is graded as
    its folder holds it when its grading begins; one replaced while it was graded is graded
    again. A notebook that went missing under the grader is the grader's error, never the
    student's invalid hand-in."""
    for attempt in range(GRADING.grade_again):
        if vanished(submission):  # replaced since it was listed: the folder's hand-in now
            now = as_now(submission, plan.config)
            submission = submission if now.notebook is None else now
        if vanished(submission):  # between collect's two renames, or removed
            time.sleep(GRADING.settle_s * (attempt + 1))
            continue
        before = version_of(submission)
        row = _graded_once(submission, plan, seed, lateness, values)
        if version_of(submission) == before:
            return row
        print(
            f"{submission.student}: the hand-in changed while it was graded (collect beside "
            "grade?); grading it again as it is now",
            file=sys.stderr,
        )
        submission = as_now(submission, plan.config)
    return grader_error(
        submission,
        plan,
        seed,
        "its notebook was replaced or removed while it was graded (by `grader collect` or "
        "`grader watch` beside `grader grade`?): run again with --resume",
    )


def _graded_once(
    submission: HandIn,
    plan: Plan,
    seed: int,
    lateness: KnownLateness | None,
    values: KnownValues | None,
) -> Row:
    try:
        return SubmissionGrading(submission, plan, seed, lateness, values).grade()
    except (engine.SandboxUnavailable, DiskFull):
        raise
    except GraderFault as fault:
        reason = str(fault)
    except (OSError, sqlite3.OperationalError) as error:
        if no_space(error):  # every submission after it would fail alike: the run ends
            raise DiskFull(full_line(plan.out, RESUME_WHEN_FULL)) from None
        traceback.print_exc(file=sys.stderr)
        reason = f"{type(error).__name__}: {error}"
    except Exception as error:  # one broken submission must not end the run
        traceback.print_exc(file=sys.stderr)
        reason = f"{type(error).__name__}: {error}"
    return grader_error(submission, plan, seed, reason)


def grader_error(submission: HandIn, plan: Plan, seed: int, reason: str) -> Row:
    """The row of a submission the grader could not grade, saying why: no score, graded again
    by ``--resume``."""
    return Row(
        submission.student,
        str(submission.source),
        submission.sha256,
        seed,
        GRADER_ERROR,
        f"the grader could not grade this submission: {reason}"[:1000],
        0.0,
        plan.config.max_score,
        submission.late,
        {},
        handed_in_at=submission.handed_in.at or None,
    )


def plan_for(
    assignment_dir: Path,
    out: Path,
    *,
    timeout: float | None = None,
    unsafe_no_sandbox: bool = False,
    decimals: int | None = None,
    memory_ceiling_bytes: int | None = None,
) -> Plan:
    """What every submission of a run is graded with, once this machine's sandbox is checked
    and prepared (the trial notebook is the graders' own: :mod:`grader.grading.workers`).
    ``decimals``: the scores' on the pages, else the course's that lists the assignment (a
    Dask worker's folder is no course: it is given its job's). ``memory_ceiling_bytes``: the
    most memory the run may have where the machine allows less than the assignment asks."""
    check_temp_space()
    assignment = load_assignment(assignment_dir)
    config = assignment.config
    if decimals is None:
        course = listing_course(assignment_dir, config.name)
        decimals = DEFAULT_DECIMALS if course is None else course.decimals
    if timeout is not None and timeout <= 0:
        raise UserError(f"--timeout {timeout:g}: give a positive number of seconds")
    limits = RunLimits.for_assignment(
        config,
        timeout=timeout,
        unsafe_no_sandbox=unsafe_no_sandbox,
        memory_ceiling_bytes=memory_ceiling_bytes,
    )
    engine.check_sandbox(limits)
    if not unsafe_no_sandbox:
        warn_without_cgroups()  # once for the run, before its graders start
    released = released_notebook(assignment)
    owned = ReleasedOwned.of(assignment_dir, config.name, owned_checksums(released))
    plan = Plan(
        assignment,
        limits,
        out,
        owned,
        owned_sources(released),
        decimals=decimals,
    )
    if not unsafe_no_sandbox:
        preparation.ensure_prepared(None, say=say)
    else:  # made at a platform's image build (its check plans a run), not at each submission
        preparation.ensure_font_list(None, say=say)
    return plan


def say(line: str) -> None:
    """A line of the run's progress, on stderr at once."""
    print(line, file=sys.stderr, flush=True)


def warm_up_quietly(plan: Plan) -> None:
    """Start this worker's warm process for ``plan``. Run it in the thread that will grade:
    bubblewrap ends with the thread that started it. Best effort: a worker that cannot warm up
    starts its warm process at its first submission, which says what is wrong."""
    with contextlib.suppress(Exception):
        engine.warm_up(plan.limits, shared_cells=plan.shared_cells, warm_imports=plan.warm_imports)


def trial_run(plan: Plan) -> float:
    """The trial notebook (:func:`grader.engine.run.trial.check`) on the warm process this
    grader's submissions of ``plan`` fork from: its seconds."""
    return trial.check(plan.limits, shared_cells=plan.shared_cells, warm_imports=plan.warm_imports)
