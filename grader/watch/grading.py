"""The watch's graders, kept running between polls: one pool of ``--workers`` processes for the
whole watch, started with the warm process of the assignment whose deadline comes next (where
the burst will come), and each assignment checked with the trial notebook once, before its
first notebook (again after a grader fault). A notebook is handed to the pool as soon as it is
due, and its result is committed to the assignment's gradebook (as ``grader grade`` commits
it) the moment it comes back, so its reply need not wait for the rest of a burst. A notebook
graded before (a restart after a crash) is answered from the gradebook, never graded twice."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from grader.bundle import MANIFEST_NAME, MANIFEST_SCHEMA
from grader.course.config import Course
from grader.feedback import export
from grader.gradebook.results import GRADER_ERROR, Gradebook, Row
from grader.grading.command import Plan, grade_safely, plan_for
from grader.grading.grader_process import trial_run
from grader.grading.seeds import seed_for, student_seeds
from grader.grading.submissions import HandIn, find_submissions
from grader.grading.workers import warm_pool
from grader.watch.state import Job


@dataclass(frozen=True)
class JobOutcome:
    """One due notebook's outcome: its row, or why the grader itself could not grade it
    (never a score)."""

    job: Job
    row: Row | None
    fault: str = ""


@dataclass
class _Assignment:
    """One assignment's plan and gradebook, for as long as the watch runs."""

    plan: Plan
    workers: int
    checked: bool = False  # its trial notebook ran on the pool since it started or faulted
    written: bool = True  # grades.csv lists every result so far
    _book: Gradebook | None = None
    run_id: int = 0

    @property
    def book(self) -> Gradebook:
        """The assignment's gradebook, made at its first hand-in (not when the watch starts:
        a gradebook that exists is an assignment that was graded, to ``grader final``)."""
        if self._book is None:
            self.plan.out.mkdir(parents=True, exist_ok=True)
            self._book = Gradebook(self.plan.out / "gradebook.sqlite")
            options = {"watch": True, "workers": self.workers}
            self.run_id = self._book.start_run(self.plan.config.name, options)
        return self._book

    def record(self, row: Row) -> None:
        """One result, committed at once (as ``grader grade`` records it)."""
        book = self.book
        book.record(self.run_id, row)
        self.written = False

    def write_grades_csv(self) -> None:
        """``grades.csv`` as ``grader grade`` writes it, when a result came in since."""
        if not self.written:
            names = self.plan.config.graded_names
            grades = self.plan.out / "grades.csv"
            export.write_grades_csv(self.book.latest(), names, grades, self.plan.decimals)
            self.written = True

    def close(self) -> None:
        if self._book is not None:
            self._book.close()


@dataclass(frozen=True)
class _Running:
    job: Job
    folder: Path  # where its notebook is staged
    pool: ProcessPoolExecutor  # the pool it went to


class WatchGraders:
    """Hand due notebooks to the graders (:meth:`submit`) and take them back graded
    (:meth:`finished`), in any order."""

    def __init__(
        self,
        course: Course,
        out: Path,
        workers: int,
        unsafe_no_sandbox: bool,
        log: Callable[[str], None],
        scratch: Path,
        submissions: Path | None = None,
    ):
        self.course = course
        self.out = out
        self.workers = workers
        self.unsafe_no_sandbox = unsafe_no_sandbox
        self.log = log
        self.pool: ProcessPoolExecutor | None = None
        self.assignments: dict[str, _Assignment] = {}
        self.running: dict[Future, _Running] = {}
        self.ready: list[JobOutcome] = []  # answered from the gradebook, without grading
        self.scratch = scratch  # the notebooks being graded: the watch's staging
        self.submissions = submissions  # where collect filed them: each student's folder

    def start(self) -> None:
        """Start the pool with the warm processes of the auto-graded assignment whose deadline
        comes next, and run its trial: the first hand-ins of its burst need not wait for
        either (nothing starts if no auto-graded assignment's deadline is ahead)."""
        ahead = [
            c
            for c in self.course.components
            if c.kind == "auto" and c.deadline and c.deadline + self.course.late.grace > _now()
        ]
        if ahead:
            self._checked(min(ahead, key=lambda c: c.deadline or _now()).id)

    def busy(self) -> bool:
        return bool(self.ready or self.running)

    def jobs(self) -> list[Job]:
        """The jobs handed to the graders and not yet taken back."""
        return [running.job for running in self.running.values()]

    def in_hand(self) -> list[Job]:
        """The jobs handed to the graders and not yet answered (graded or graded before)."""
        return self.jobs() + [graded.job for graded in self.ready]

    def submit(self, job: Job) -> None:
        own = self._checked(job.assignment)
        folder = self.scratch / str(job.id) / job.student
        folder.mkdir(parents=True, exist_ok=True)
        (folder / job.notebook_name).write_bytes(job.notebook)
        manifest = {
            "schema": MANIFEST_SCHEMA,
            "student": {"id": job.student},
            "submitted_at": job.submitted_at,
        }
        (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
        (submission,) = find_submissions([folder], own.plan.config, folder.parent)
        filed = self.submissions / job.student if self.submissions else None
        if filed is not None and filed.is_dir():
            # recorded as graded from the student's folder, as `grader grade submissions/*/`
            # records it: the staged copy is removed once graded, and the dashboard's regrade
            # grades the source the newest grading names
            submission = replace(submission, source=filed.resolve())
        before = _graded_before(own.book, submission)
        if before is not None:
            shutil.rmtree(folder.parent, ignore_errors=True)
            self.ready.append(JobOutcome(job, before))
            return
        config = own.plan.config
        # no score for these bytes yet, but a grading the grader failed on may have recorded a
        # seed: graded on it, else on the student's own (a student handing in again with a
        # space changed draws no new cases), as `grader grade` would grade them: one score
        recorded = own.book.seeds_of(config.name).get(submission.key)
        student = student_seeds(config, [submission.student]).seeds.get(submission.student)
        seed = seed_for(None, config, recorded, student=student)
        pool = self._pool(own.plan)
        future = pool.submit(grade_safely, submission, own.plan, seed)
        self.running[future] = _Running(job, folder, pool)

    def finished(self, timeout: float) -> list[JobOutcome]:
        """The notebooks graded since the last call, each committed to its gradebook; waits
        up to ``timeout`` seconds for the first when none is ready."""
        done, self.ready = self.ready, []
        if self.running and not done:
            wait(self.running, timeout=max(timeout, 0), return_when=FIRST_COMPLETED)
        for future in [f for f in self.running if f.done()]:
            running = self.running.pop(future)
            shutil.rmtree(running.folder.parent, ignore_errors=True)
            done.append(self._outcome(running, future))
        for own in self.assignments.values():
            own.write_grades_csv()
        return done

    def _outcome(self, running: _Running, future: Future) -> JobOutcome:
        own = self.assignments[running.job.assignment]
        try:
            row = future.result()
        except BrokenProcessPool as error:
            if running.pool is self.pool:  # the first of its notebooks back: a new pool
                running.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
                for each in self.assignments.values():
                    each.checked = False  # checked anew on the new pool
            return JobOutcome(running.job, None, f"a grader process died ({error})")
        own.record(row)
        if row.status == GRADER_ERROR:
            own.checked = False  # the trial runs again before its next notebook
            return JobOutcome(running.job, None, row.reason or "no reason given")
        return JobOutcome(running.job, row)

    def _pool(self, plan: Plan) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = warm_pool(plan, self.workers)
        return self.pool

    def _checked(self, aid: str) -> _Assignment:
        """The assignment's plan and gradebook, its trial notebook run on the pool (in one of
        its workers, whose warm process the next notebook then uses): a machine that cannot
        grade stops the watch with what to fix."""
        own = self.assignments.get(aid)
        if own is None:
            folder, out = self.course.assignment_folder(aid), self.out / aid
            plan = plan_for(folder, out, unsafe_no_sandbox=self.unsafe_no_sandbox)
            # the student may hand in again: their answers' right values are not given away
            plan = replace(plan, withhold_answers=True)
            own = self.assignments[aid] = _Assignment(plan, self.workers)
        if not own.checked:
            started = time.monotonic()
            check = self._pool(own.plan).submit(trial_run, own.plan)
            check.result()
            own.checked = True
            took = time.monotonic() - started
            self.log(f"{aid}: sandbox checked with a trial notebook ({took:.1f} s)")
        return own

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        for own in self.assignments.values():
            own.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _graded_before(book: Gradebook, submission: HandIn) -> Row | None:
    """This very notebook's result, if it was graded before (a grader fault does not count)."""
    for row in reversed(book.history(submission.student)):
        if row.sha256 == submission.sha256 and row.status != GRADER_ERROR:
            return row
    return None
