"""``grader grade``: run every submission in the sandbox, score it, record it, hand it back.

The student's notebook runs in :mod:`grader.engine`'s sandbox; its graded functions are
probed with hidden cases drawn from a seed (each function from its own generator; the
student's own, so a resubmission draws the same cases, and the same bytes graded again reuse
their recorded seed: :mod:`grader.grading.seeds`);
:mod:`grader.scoring` compares the answers on this (trusted) side (one submission's steps:
:mod:`grader.grading.steps`); each result is committed to the gradebook as soon
as it is known, so a killed run loses nothing and ``--resume`` picks up where it stopped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import written
from grader.disk_full import said_when_full
from grader.engine.run.results import NOT_GRADED
from grader.errors import UserError
from grader.feedback import export
from grader.gradebook import audit
from grader.gradebook.results import GRADER_ERROR, Gradebook, Row
from grader.grading import remote
from grader.grading.grader_process import RESUME_WHEN_FULL, grade_safely, plan_for, say
from grader.grading.seeds import drawn_from, seed_for, seeds_said, student_seeds
from grader.grading.steps import GraderFault, Plan
from grader.grading.submissions import as_now, find_submissions, named_by_roster, vanished
from grader.grading.summary import GradingProgress, phases_line, summary_table
from grader.grading.workers import default_graders, start_graders
from grader.limits import GRADING
from grader.marking import written_answers
from grader.roster import Roster, load_roster
from grader.scratch import Scratch
from grader.variants import attribution

__all__ = [
    "GraderFault",
    "GradingRun",
    "Plan",
    "cli",
    "grade",
    "grade_safely",
    "plan_for",
]


@dataclass(frozen=True)
class GradingRun:
    """What one run of :func:`grade` did: the plan it graded with, and the rows of
    ``grades.csv`` (one per submission)."""

    plan: Plan
    rows: list[Row]


def grade(
    paths: Sequence[Path],
    assignment_dir: Path,
    out: Path,
    *,
    seed: int | None = None,
    timeout: float | None = None,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    draw_again: bool = False,
    unsafe_no_sandbox: bool = False,
    roster: Roster | None = None,
    decimals: int | None = None,
    memory_ceiling_bytes: int | None = None,
    trial: bool = True,
) -> GradingRun:
    """Grade every submission; return the plan and the rows of ``grades.csv`` (one per
    submission).

    With ``roster`` (else the roster of the course that released the assignment per student),
    students are named by their roster id. A hand-in graded before (the same student, the same
    bytes) is graded on its recorded seed, a new one on its student's own where a roster id
    names the student, unless ``seed`` is given or ``draw_again`` (:mod:`grader.grading.seeds`).
    ``decimals``: the scores' on the pages, where no course lists the assignment.
    ``memory_ceiling_bytes``: the most memory a submission's run may have, where the machine
    allows less than the assignment asks (a platform's container). ``trial``: False where
    this machine's build already ran the trial notebook with these limits (a platform's
    image: :mod:`grader.platforms.build_check`)."""
    if workers < 1:
        raise UserError(f"--workers {workers}: give 1 or more")
    if draw_again and seed is not None:
        raise UserError("--draw-again and --seed: give one (--seed S grades every hand-in on S)")
    plan = plan_for(
        assignment_dir,
        out,
        timeout=timeout,
        unsafe_no_sandbox=unsafe_no_sandbox,
        decimals=decimals,
        memory_ceiling_bytes=memory_ceiling_bytes,
    )
    config = plan.config
    options = {"seed": seed, "timeout": timeout, "workers": workers, "dask": dask, "resume": resume}
    if draw_again:
        options["draw_again"] = True
    with (
        start_graders(
            grade_safely,
            plan,
            min(workers, len(paths)),  # one PATH is one hand-in: no grader left without one
            dask,
            lambda: remote.job_of(plan, timeout, unsafe_no_sandbox),
        ) as graders,
        Scratch(None, "grader-bundles-") as scratch,  # and those of killed runs removed
    ):
        submissions = find_submissions(paths, config, Path(scratch))
        roster = roster or attribution.release_roster(config.directory, config.name)
        if roster is not None:
            submissions = named_by_roster(submissions, roster)
        # Nothing is written before the trial run came back right: a refusal grades nothing.
        if trial:
            say(f"sandbox checked with a trial notebook ({graders.checked():.1f} s)")
        # a lone notebook is named by its file's name, which no roster vouches for; a student
        # folder by the id collect or watch took from the roster
        own = student_seeds(
            config,
            (s.student for s in submissions if roster is not None or s.files_dir is not None),
            roster,
        )
        out.mkdir(parents=True, exist_ok=True)
        with said_when_full(out, RESUME_WHEN_FULL), Gradebook(out / "gradebook.sqlite") as book:
            recorded = book.seeds_of(config.name)
            run_id = book.start_run(config.name, options)
            keys = {s.student: s.key for s in submissions}  # each notebook read once
            todo = [
                (
                    s,
                    seed_for(
                        seed,
                        config,
                        recorded.get(keys[s.student]),
                        draw_again=draw_again,
                        student=own.seeds.get(s.student),
                    ),
                )
                for s in submissions
                if not (resume and book.has_result(*keys[s.student]))
            ]
            sources = [
                drawn_from(keys[s.student] in recorded, s.student in own.seeds) for s, _ in todo
            ]
            said = seeds_said(seed, config, draw_again, sources, own.why)
            if said:
                say(said)
            if resume:
                done = len(submissions) - len(todo)
                say(f"resuming: {done} already graded, {len(todo)} to grade")
            progress = GradingProgress(len(todo), decimals=plan.decimals)
            questions = written.questions_of(config)
            seeds = {s.student: (s, seed) for s, seed in todo}

            def keep(row: Row) -> None:
                book.record(run_id, row)
                if questions:  # kept for marking in `grader serve`
                    listed = seeds[row.student][0]  # or as collect placed it since
                    graded = as_now(listed, config) if vanished(listed) else listed
                    answers = written_answers.record_submission(
                        out, row.student, graded.notebook, row.sha256, questions
                    )
                    for answer in answers:
                        for said in ([answer.cut] if answer.cut else []) + list(answer.flags):
                            say(f"{row.student}: written answer {answer.question}: {said}")
                progress.update(row)

            try:
                again, why = [], ""
                for row in graders.graded(todo):
                    if _could_not_start(row):  # graded again once the others are done
                        again.append(seeds[row.student])
                        why = why or f" ({row.student}: {row.reason})"[:300]
                    else:
                        keep(row)
                if again:
                    say(f"grading {len(again)} again, one at a time{why}")
                for submission, submission_seed in again:
                    keep(grade_safely(submission, plan, submission_seed))
            finally:
                progress.close()
            students = {s.student for s in submissions}
            rows = [row for row in book.latest() if row.student in students]
            export.write_grades_csv(rows, config.graded_names, out / "grades.csv", plan.decimals)
    return GradingRun(plan, rows)


def _could_not_start(row: Row) -> bool:
    """Whether the grader failed ``row``'s submission because a process of it could not start
    (another submission's processes may have held them all), or the pool's worker that held it
    was killed: worth a try alone."""
    return row.status == GRADER_ERROR and NOT_GRADED in (row.reason or "")


def _print_changes(book_path: Path) -> None:
    """The scores this run changed (a regrade after a fix): listed before anyone is mailed."""
    with Gradebook(book_path) as book:
        run_id = book.last_run()
    changed = audit.run_changes(book_path, run_id) if run_id is not None else []
    if changed:
        print(
            f"\n{len(changed)} student(s)' scores changed from their previous grading "
            "(every change is in `grader audit`; nothing has been mailed):"
        )
        print("\n".join(changed))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="notebooks, student folders (from `grader collect`) or bundle zips",
    )
    parser.add_argument("--assignment", required=True, help="assignment folder")
    parser.add_argument("--out", required=True, help="output folder for results and grades")
    parser.add_argument("--timeout", type=float, default=None, help="per-cell time limit (s)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="submissions graded at once (default: one grader per "
        f"{GRADING.hand_ins_per_grader} PATHs, each paying a warm start, at most the number of "
        "cores; the number of cores for a projects folder or --dask; never more than the "
        "PATHs given)",
    )
    parser.add_argument(
        "--dask",
        metavar="SCHEDULER",
        default=None,
        help="grade on a Dask cluster: its scheduler's address (tcp://host:8786), or 'local' "
        "for a cluster of --workers processes on this machine; results are the same",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the hidden cases of every hand-in (default: the seed recorded for the "
        "same notebook, else the student's own, from the course's secret and the roster id, so "
        "every hand-in of a student gets the same cases, else a fresh one per hand-in; recorded "
        "in the gradebook)",
    )
    parser.add_argument(
        "--draw-again",
        action="store_true",
        help="draw a fresh seed for every hand-in, neither the one recorded for it nor its "
        "student's own (default: the same notebook graded again keeps the seed recorded for "
        "it, so its cases and score)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="grade only the submissions the gradebook has no result for",
    )
    parser.add_argument(
        "--roster", default=None, help="roster.csv: name students by their roster id"
    )
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run without namespaces where this machine cannot make them",
    )


def cli(args: argparse.Namespace) -> int:
    from grader.course.rubric import is_projects_folder

    if is_projects_folder(Path(args.assignment)):  # a rubric, not functions
        from grader.grading import project_checks

        return project_checks.cli(args)
    out = Path(args.out)
    workers = args.workers
    if workers is None:
        workers = default_graders(len(args.paths), args.dask)
    run = grade(
        [Path(p) for p in args.paths],
        Path(args.assignment),
        out,
        seed=args.seed,
        timeout=args.timeout,
        workers=workers,
        dask=args.dask,
        resume=args.resume,
        draw_again=args.draw_again,
        unsafe_no_sandbox=args.unsafe_no_sandbox,
        roster=load_roster(args.roster) if args.roster else None,
    )
    rows, config = run.rows, run.plan.config
    print(summary_table(rows, config.graded_names, run.plan.decimals))
    questions = written.questions_of(config)
    if questions:
        print(written.not_marked_note(questions) + "; mark them in `grader serve`.")
    timed = phases_line(rows)
    if timed:
        print(timed)
    _print_changes(out / "gradebook.sqlite")
    pages = sum(
        1
        for r in rows
        if r.status != GRADER_ERROR and (out / r.student / "feedback.html").is_file()
    )
    print(
        f"\nwrote {out / 'grades.csv'}, {out / 'gradebook.sqlite'} and "
        f"{pages} feedback folder{'s' if pages != 1 else ''} under {out}/"
    )
    faults = [r for r in rows if r.status == GRADER_ERROR]
    if not faults:
        return 0
    reasons = sorted(
        {r.reason or "" for r in faults}, key=lambda x: -sum(r.reason == x for r in faults)
    )
    print(
        f"\n{len(faults)} submission{'s' if len(faults) != 1 else ''} could not be graded "
        f"because of the grader: {reasons[0]}"
        + (f" (and {len(reasons) - 1} other reasons: see grades.csv)" if len(reasons) > 1 else "")
        + "".join(f"\n  {r.student}: {r.reason}" for r in faults if NOT_GRADED in (r.reason or ""))
        + "\nNo score was given for them. Fix the cause, then run the same command with "
        "--resume to grade only those.",
        file=sys.stderr,
    )
    return 1
