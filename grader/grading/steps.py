"""The grading of one submission, step by step: scan, run, score, diagnose, write.

:class:`SubmissionGrading` grades one submission in one pass of values. The scan for forbidden
shortcuts runs while the submission's processes start; once the graded probes are made, the
probes are scored and, while the notebook's state is at hand, what lost points is diagnosed in
the engine's probe sessions: both as the engine's hooks (:class:`grader.engine.RunHooks`), the
second returning its :class:`Probed` value with the run. Every phase is timed
(:class:`grader.engine.PhaseTimes`), for ``results.json`` and the gradebook.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from grader import engine, forbidden
from grader.assignment import Assignment, AssignmentConfig, owned_cell_problems, written
from grader.assignment.releases import ReleasedOwned
from grader.course.config import DEFAULT_DECIMALS
from grader.course.late import Lateness
from grader.feedback import export
from grader.feedback.lateness import course_lateness
from grader.forbidden.runtime import with_runtime
from grader.gradebook.results import Row
from grader.grading import answering, probing
from grader.grading.submissions import HandIn, python_files
from grader.limits import GRADING, RunLimits
from grader.marking import written_answers
from grader.scoring import Diagnosis, FunctionResult, Rules, score_function
from grader.scoring.diagnose import diagnose
from grader.variants import handed

Findings = dict[str, list[str]]  # the forbidden-shortcut findings, as grader.forbidden lists them


@dataclass(frozen=True)
class Plan:
    """What every submission of one run is graded with: the assignment, loaded once, and the
    limits of its runs."""

    assignment: Assignment
    limits: RunLimits
    out: Path
    owned_checksums: ReleasedOwned  # every release's grader-owned cells (see its class)
    shared_cells: tuple[str, ...] = ()  # released grader-owned cells: run once per warm process
    withhold_answers: bool = False  # grader watch: answers' right values kept to after the deadline
    decimals: int = DEFAULT_DECIMALS  # scores shown to people: the course's [course] decimals

    @property
    def config(self) -> AssignmentConfig:
        return self.assignment.config

    @property
    def warm_imports(self) -> tuple[str, ...]:
        """The modules each warm process imports once (:func:`modules_ahead`)."""
        return modules_ahead(self.config)


def modules_ahead(config: AssignmentConfig) -> tuple[str, ...]:
    """The modules each warm process of ``config``'s runs imports once for all its submissions:
    the course's (``GRADING.warm_imports``: torch costs seconds of every grader's start), but
    none the assignment forbids importing, unless its forbidden calls name it (the run-time
    watch must hold their objects before any cell runs). No other module is imported ahead: one
    that starts threads as it loads (jax, tensorflow) would lose them in every forked
    submission."""
    watched = {call.split(".")[0] for call in config.forbidden_calls}
    forbidden = {name.split(".")[0] for name in config.forbidden_imports} - watched
    return tuple(name for name in GRADING.warm_imports if name.split(".")[0] not in forbidden)


@dataclass(frozen=True)
class Probed:
    """A submission's graded probes scored, the forbidden shortcuts found, and the diagnosis
    of what lost points: the submission's results, in parts."""

    scored: dict[str, FunctionResult]  # each graded function's marks from its values
    found: Findings
    diagnosis: Diagnosis
    seconds: float = 0.0  # what scoring and diagnosing took in the engine's hook
    answered: Mapping[str, FunctionResult] = field(default_factory=dict)  # [[answers]]

    def results(self) -> dict[str, FunctionResult]:
        """Each graded function's result: its marks, what a forbidden shortcut found in it
        costs, and its hints; then each numeric answer's."""
        return {
            **self.diagnosis.given_to(_with_findings(self.scored, self.found)),
            **self.answered,
        }


@dataclass(frozen=True)
class KnownLateness:
    """The course's verdict on a hand-in's lateness, worked out where the course is (a Dask
    worker has no course folder: :mod:`grader.grading.remote`)."""

    value: Lateness | None


class GraderFault(Exception):
    """The grader itself could not grade a submission: never the student's score."""


def lateness_of(submission: HandIn, plan: Plan) -> Lateness | None:
    """The course's late policy on ``submission`` (None where no course lists the assignment)."""
    config = plan.config
    return course_lateness(
        config.directory, config.name, submission.student, submission.handed_in, submission.late
    )


class SubmissionGrading(engine.NoHooks):
    """One submission's grading. :meth:`grade` runs the steps in order; the scan, and the
    scoring and diagnosis in sessions, run as the engine's hooks, during :meth:`run`."""

    def __init__(
        self,
        submission: HandIn,
        plan: Plan,
        seed: int,
        lateness: KnownLateness | None = None,
        values: answering.KnownValues | None = None,
    ):
        self.submission, self.plan, self.seed = submission, plan, seed
        self.lateness = lateness or KnownLateness(lateness_of(submission, plan))
        self.assignment = plan.assignment
        # A student drawn questions from [[pools]] is graded on those only.
        self.graded = handed.graded_for(plan.config, submission.student)
        self.functions = [f.name for f in self.graded]
        # the values of the student the hand-in is attributed to, never the notebook's own
        known = values or answering.values_of(plan.config, submission.student)
        self.values = known.values
        cases = self.assignment.hidden_cases(seed, values=self.values)
        self.cases = {name: cases[name] for name in self.functions}
        self.variant = ""  # the hand-in's variant verdict (grader.variants.attribution)
        self.rules = Rules.of(self.assignment)
        path = submission.notebook
        self.notebook = None if path is None else engine.NotebookFile(path)
        self._scanned: Findings | None = None

    def grade(self) -> Row:
        """Run, probe, score, diagnose and write the student's files; the gradebook's row.
        Raises :class:`GraderFault` when the grader itself could not run the submission."""
        run = self.run()
        if run.grader_fault is not None:
            raise GraderFault(run.grader_fault)
        began = time.monotonic()
        probed = run.after_probes
        if not isinstance(probed, Probed):  # the cells left no state to call again
            probed = self.probed_without_sessions(run.probes)
        results = probed.results()
        phases = replace(run.phases, diagnosis=probed.seconds + time.monotonic() - began)
        status = "graded" if run.status == "completed" else run.status
        graded = export.GradedSubmission(
            student=self.submission.student,
            title=self.plan.config.title,
            seed=self.seed,
            status=status,
            reason=run.reason,
            functions=results,
            late=self.submission.late,
            lateness=self.lateness.value,
            graded_at=datetime.now().astimezone().isoformat(timespec="seconds"),
            warnings=self._warnings(run, probed.found),
            cell_errors=[_cell_error(e) for e in run.cell_errors],
            output=run.output,
            output_truncated=run.output_truncated,
            decimals=self.plan.decimals,
            values=self.values,
            unreadable=dict(self.submission.unreadable),
        )
        phases = self.write(graded, phases)
        return Row(
            self.submission.student,
            str(self.submission.source),
            self.submission.sha256,
            self.seed,
            status,
            run.reason,
            graded.score,
            graded.max_score,
            self.submission.late,
            {name: r.score for name, r in results.items()},
            phases=phases.as_dict(),
            variant=self.variant,
            handed_in_at=self.submission.handed_in.at or None,
        )

    # -- scan

    def scan(self) -> Findings:
        """The forbidden-shortcut scan, made once: cell by cell, with the .py files shipped
        beside the notebook, so that a broken cell or a helper module cannot hide a shortcut."""
        if self._scanned is None:
            config = self.plan.config
            self._scanned = forbidden.forbidden_shortcuts(
                self._code_cells(),
                self.functions,
                config.forbidden_imports,
                config.forbidden_calls,
                files=python_files(self.submission.files_dir),
            )
        return self._scanned

    def on_submission_starting(self) -> None:
        self.scan()

    def findings(self, notes: probing.Notes) -> Findings:
        """The scan's findings with what the graded calls were seen to use at run time."""
        if self.notebook is None:
            return {}
        return with_runtime(self.scan(), notes)

    def _code_cells(self) -> list[tuple[int, str]]:
        if self.notebook is None:
            return []
        try:
            return self.notebook.code_cells()
        except (engine.NotANotebook, OSError):  # the run reports why
            return []

    # -- run

    def run(self) -> engine.RunResult:
        """The submission's run in the sandbox, its graded probes made; ``after_probes`` is
        what :meth:`on_probes_complete` made of them, when the engine called it."""
        if self.notebook is None:
            return self._missing()
        return engine.run_submission(
            self.notebook,
            probing.probe_calls(self.functions, self.cases) + answering.reads(self.plan.config),
            self.plan.limits,
            self.submission.files_dir,
            hooks=self,
            shared_cells=self.plan.shared_cells,
            warm_imports=self.plan.warm_imports,
            forbidden_calls=self.plan.config.forbidden_calls,
        )

    def _missing(self) -> engine.RunResult:
        """The run of a submission that has no notebook to run."""
        nothing = engine.ProbeOutcome(None, self.submission.problem)
        return engine.RunResult(
            status="missing",
            reason=self.submission.problem,
            cell_errors=[],
            output="",
            output_truncated=False,
            probes=[nothing]
            * (sum(len(c) for c in self.cases.values()) + len(answering.reads(self.plan.config))),
            code="",
            duration_s=0.0,
        )

    # -- score

    def score(self, outcomes: probing.Outcomes, notes: probing.Notes) -> dict[str, FunctionResult]:
        """Each graded function's marks from its ``(value, error)`` per case; a call that
        changed its inputs in place (the engine's ``notes``) costs its points."""
        return {
            f.name: score_function(
                f.name,
                f.points,
                self.cases[f.name],
                outcomes[f.name],
                self.rules,
                [p.mutated_args for p in notes.get(f.name, ())],
            )
            for f in self.graded
        }

    # -- diagnose

    def on_probes_complete(
        self, probes: Sequence[engine.ProbeOutcome], open_session: engine.OpenSession
    ) -> Probed:
        """While the notebook's state is at hand: score the graded probes and, only when
        something lost points, diagnose it, each extra call in a fresh session. A full-marks
        submission costs no extra process. The engine hands the value back with the run."""
        began = time.monotonic()
        outcomes, notes = probing.by_function(self.functions, self.cases, probes)
        scored = self.score(outcomes, notes)
        diagnosis = Diagnosis()
        if not all(r.passed for r in scored.values()):
            # On the marks of the values alone, before the forbidden shortcuts are added (the
            # diagnosis without sessions, below, sees them).
            diagnosis = diagnose(
                scored,
                self.cases,
                outcomes,
                probing.known(self.assignment, self.values),
                self.rules,
                lambda batch: probing.call_in_sessions(open_session, batch),
                GRADING.session_rounds,
                notes,
            )
        found = self.findings(notes)
        answered = self.answered(probes)
        return Probed(scored, found, diagnosis, time.monotonic() - began, answered)

    def answered(self, probes: Sequence[engine.ProbeOutcome]) -> dict[str, FunctionResult]:
        """The numeric answers' results (the right values kept back if the plan says so)."""
        withhold = self.plan.withhold_answers
        return answering.scored_answers(self.plan.config, probes, self.values, withhold)

    def probed_without_sessions(self, probes: Sequence[engine.ProbeOutcome]) -> Probed:
        """The graded probes scored when the notebook left no state to call again: the
        functions that lost points get the hints their values show (a submission that did
        not run gets none)."""
        outcomes, notes = probing.by_function(self.functions, self.cases, probes)
        scored = self.score(outcomes, notes)
        found = self.findings(notes)
        answered = self.answered(probes)
        if self.notebook is None:  # nothing ran: nothing to diagnose
            return Probed(scored, found, Diagnosis(), answered=answered)
        known = probing.known(self.assignment, self.values)
        marked = _with_findings(scored, found)
        diagnosis = diagnose(marked, self.cases, outcomes, known, self.rules, None, 0, notes)
        return Probed(scored, found, diagnosis, answered=answered)

    # -- write

    def write(
        self, graded: export.GradedSubmission, phases: engine.PhaseTimes
    ) -> engine.PhaseTimes:
        """Write the student's feedback page, then ``results.json`` with the times of every
        phase (the making of the page and its figures is the ``files`` phase); return them."""
        began = time.monotonic()
        folder = export.write_feedback_page(graded, self.plan.out)
        phases = replace(phases, files=time.monotonic() - began)
        export.write_results_json(replace(graded, phases=phases.as_dict()), folder)
        return phases

    def _written_notes(self, questions: Sequence[written.WrittenQuestion]) -> list[str]:
        """Written answers cut for marking, or whose cells the student edited: said to them."""
        if self.notebook is None:
            return []
        try:
            notebook = self.notebook.read()
        except engine.NotANotebook:  # the run already reported why
            return []
        return written_answers.notes_for_student(
            written_answers.answers_of(notebook, self.submission.student, questions)
        )

    def _warnings(self, run: engine.RunResult, found: Findings) -> list[str]:
        warnings = [f"Forbidden shortcut: {item}" for item in found.get(forbidden.NOTEBOOK, [])]
        warnings += [
            f"For the instructor to review: {item}" for item in found.get(forbidden.REVIEW, [])
        ]
        if self.notebook is not None and run.status != "invalid":
            try:
                handed_in = self.notebook.read()
            except engine.NotANotebook:  # the run already reported why
                handed_in = None
            if handed_in is not None:
                variant = answering.variant_of(self.plan.config, self.submission, handed_in, run)
                own = variant.owned if variant else None  # its release record's, if any
                owned = own or self.plan.owned_checksums.expected(handed_in)
                problems = owned_cell_problems(handed_in, owned)
                if problems and self.values is not None:  # a self-check on its own values
                    problems = answering.owned_problems_per_student(
                        self.assignment, handed_in, self.values
                    )
                warnings += [f"Grader cell changed: {p}" for p in problems]
                if variant is not None:
                    self.variant = variant.verdict.flag
                    warnings += variant.notes
        questions = written.questions_of(self.plan.config)
        if questions:
            warnings.append(written.not_marked_note(questions))
            warnings += self._written_notes(questions)
        if run.output_truncated:
            warnings.append(
                "Your notebook printed more than the grader keeps; the rest was dropped."
            )
        return warnings


def _with_findings(
    scored: Mapping[str, FunctionResult], found: Mapping[str, Sequence[str]]
) -> dict[str, FunctionResult]:
    """The results with the forbidden shortcuts ``found`` in each function: they cost its
    points."""
    return {name: result.with_forbidden(found.get(name, [])) for name, result in scored.items()}


def _cell_error(error: engine.CellError) -> str:
    """ "cell 7, line 3: TypeError: ..." (cells counted from 1, as a student counts them)."""
    where = f"cell {error.index + 1}" + (f", line {error.line}" if error.line else "")
    if error.timed_out:
        return f"{where}: interrupted: it ran past the time limit of a cell"
    return f"{where}: {error.ename}: {error.evalue}"[:500]
