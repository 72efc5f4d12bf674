"""What grading hands back: ``results.json`` (Gradescope's schema), ``feedback.html`` and
``grades.csv``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader import templating
from grader.course.config import DEFAULT_DECIMALS
from grader.course.late import Lateness
from grader.feedback.figure import figure
from grader.feedback.fixes import fix_lines, fixes_of, forbidden_note, what_to_fix
from grader.feedback.lateness import late_text
from grader.feedback.rerun import Rerun, rerun
from grader.feedback.results_file import RESULTS_SCHEMA
from grader.gradebook.results import GRADER_ERROR, Row
from grader.intake.unreadable import could_not_be_read
from grader.limits import GRADING
from grader.outputs.csvfile import SafeWriter
from grader.outputs.quoting import cut
from grader.outputs.scores import for_people
from grader.scoring import FunctionResult
from grader.scoring.numeric_answer import values_said


@dataclass(frozen=True)
class GradedSubmission:
    """Everything known about one graded submission, for the files handed back."""

    student: str
    title: str
    seed: int | None
    status: str
    reason: str | None
    functions: Mapping[str, FunctionResult]
    late: bool | None = None
    graded_at: str = ""
    warnings: list[str] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    output: str = ""
    output_truncated: bool = False
    # Seconds each phase of the grading took (grader.engine.PhaseTimes), when known.
    phases: Mapping[str, float] | None = None
    # What the course's late policy does to this hand-in, where the grading knows the course.
    lateness: Lateness | None = None
    decimals: int = DEFAULT_DECIMALS  # its scores as a person reads them ([course] decimals)
    # A per-student assignment's values of the student it is graded for (None: one for all)
    values: Mapping[str, object] | None = None
    # The files of the hand-in that could not be read (name -> why), from collect's manifest
    unreadable: Mapping[str, str] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return round(sum(f.score for f in self.functions.values()), 4)

    @property
    def max_score(self) -> float:
        return sum(f.points for f in self.functions.values())

    @property
    def notes(self) -> list[str]:
        """The warnings as handed back: each may quote the notebook (its metadata, its code),
        so each is cut to a note's length."""
        return [cut(warning, GRADING.note_chars) for warning in self.warnings]

    @property
    def unreadable_note(self) -> str:
        """The one line naming the files of the hand-in that could not be read ('' if none)."""
        if not self.unreadable:
            return ""
        graded = self.status != "missing"
        rest = "the rest of your hand-in was graded" if graded else "nothing else was graded"
        return could_not_be_read(self.unreadable, rest)


def case_lines(result: FunctionResult) -> list[tuple[str, bool, str]]:
    """``(labels, passed, message)`` per distinct outcome, cases with the same one merged."""
    merged: dict[tuple[bool, str], list[str]] = {}
    for case in result.cases:
        outcome = (case.passed, "passed" if case.passed else f"{case.score:.0%}: {case.message}")
        merged.setdefault(outcome, []).append(case.label)
    return [("; ".join(labels), passed, message) for (passed, message), labels in merged.items()]


def _rerun_intro(function: str, case: Rerun) -> str:
    if case.whole:
        return (
            f"Call {function} on its smallest failing case ({case.label}) yourself: paste this"
            f" into a cell below your {function}."
        )
    return f"{function}'s smallest failing case ({case.label}), too large to show whole:"


def _function_output(result: FunctionResult) -> str:
    """What a function's test says, in the page's order: the cause first (its hints, a
    forbidden shortcut), then the smallest failing case to paste, then the detail (the
    tolerance once, each case's wrong values)."""
    lines = [f"Hint [{code}]: {result.hint_messages[code]}" for code in result.hints]
    lines += [f"Forbidden shortcut: {item}" for item in result.forbidden]
    case = None if result.passed else rerun(result)
    if case is not None:
        lines += ["", _rerun_intro(result.name, case), case.code, ""]
    if not result.passed and result.tolerance_words:
        lines.append(f"Cases ({result.tolerance_words}):")
    lines += [f"{labels}: {message}" for labels, _, message in case_lines(result)]
    return "\n".join(lines).strip("\n")


def results_json(graded: GradedSubmission) -> dict:
    """The Gradescope results.json document."""
    tests = [
        {
            "name": f"{name}",
            "score": result.score,
            "max_score": result.points,
            "status": "passed" if result.passed else "failed",
            "output": _function_output(result),
            "visibility": "visible",
        }
        for name, result in graded.functions.items()
    ]
    shown = graded.decimals
    summary = [f"{for_people(graded.score, shown)} / {for_people(graded.max_score, shown)} points."]
    if graded.unreadable_note:
        summary.insert(0, graded.unreadable_note)
    if graded.reason:
        summary.insert(0, graded.reason)
    fixes = fixes_of(graded.functions)
    summary += fix_lines(fixes, shown)  # the causes, before the rest
    summary += graded.notes
    if graded.cell_errors:
        summary.append("Cells that raised an error or were interrupted:")
        summary += [f"  {error}" for error in graded.cell_errors]
    return {
        "score": graded.score,
        "output": "\n".join(summary),
        "tests": tests,
        "extra_data": {
            "schema": RESULTS_SCHEMA,
            "student": graded.student,
            "status": graded.status,
            "seed": graded.seed,
            "late": graded.late,
            # The diagnosis as data, for the dashboard: never parsed back out of a test's
            # "output", which quotes what the student's code printed or raised.
            "hints": {
                name: [
                    {"code": code, "message": result.hint_messages[code]} for code in result.hints
                ]
                for name, result in graded.functions.items()
                if result.hints
            },
            # What to fix, per function that lost points: the page's first words on it, for
            # the mails to say the same (grader.feedback.fixes).
            "fix": {fix.function: fix.words for fix in fixes},
            **({"phases": dict(graded.phases)} if graded.phases is not None else {}),
            **({"unreadable": dict(graded.unreadable)} if graded.unreadable else {}),
        },
    }


def largest_error(result: FunctionResult) -> str:
    """The summary's largest error: "wrong shape" where a value came back misshapen (the
    numbers of the other values would say nothing of it), never a tiny number beside a lost
    point."""
    if result.wrong_shape:
        return "wrong shape"
    if result.max_error is None:
        return "–"
    return f"{result.max_error:.2g}"


def error_words(result: FunctionResult) -> str:
    """The function's detail, beside its name: in how many cases it raised an error, or
    returned nothing (a stub, a time limit), where some did: never the largest error of the
    others alone, a 0 beside a lost point; that only where one of the others failed too."""
    failed_calls = [case for case in result.cases if case.error]
    if not failed_calls:
        return f"largest error {largest_error(result)}"
    raised = sum(1 for case in failed_calls if case.raised)
    total = len(result.cases)
    if raised in (0, total) and len(failed_calls) == total:  # every case alike: said short
        return "raised an error in every case" if raised else "returned nothing"
    said = [f"raised an error in {raised} of {total} cases"] if raised else []
    if len(failed_calls) > raised:
        said.append(f"returned nothing in {len(failed_calls) - raised} of {total} cases")
    if any(not case.passed and not case.error for case in result.cases):
        said.append(f"largest error {largest_error(result)} in the others")
    return ", ".join(said)


def _verdict(result: FunctionResult) -> str:
    if result.forbidden:
        return "forbidden"
    if result.passed:
        return "passed"
    return "partial" if result.score > 0 else "not yet"


def _pictured(result: FunctionResult) -> dict[str, object]:
    """The plot and the smallest failing case of a function that lost points (only where they
    help: a function with full marks loads no plotting)."""
    if result.passed:
        return {"figure": None, "rerun": None}
    drawn = figure(result)
    case = rerun(result)
    return {
        "figure": drawn,
        "plotted": " and ".join(n for n in drawn.names if n) if drawn else "",
        "rerun": case,
        "rerun_intro": "" if case is None else _rerun_intro(result.name, case),
    }


def feedback_html(graded: GradedSubmission) -> str:
    """The self-contained feedback page (images inline)."""
    functions = [
        {
            **_pictured(r),
            "name": r.name,
            "passed": r.passed,
            "verdict": _verdict(r),
            "score": for_people(r.score, graded.decimals),
            "points": for_people(r.points, graded.decimals),
            "error_words": error_words(r),
            "hints": [{"code": c, "message": r.hint_messages[c]} for c in r.hints],
            "tolerance": r.tolerance_words,
            "forbidden": r.forbidden,
            "forbidden_note": forbidden_note(r),
            "fix": what_to_fix(r),
            "cases": [] if r.forbidden else case_lines(r),
        }
        for r in graded.functions.values()
    ]
    output = graded.output[-GRADING.feedback_output_chars :]
    note = "last part" if len(graded.output) > len(output) or graded.output_truncated else "all"
    # Its block tags stand on lines of their own: those lines are left out of the page.
    return templating.render(
        "feedback.html",
        trimmed=True,
        student=graded.student,
        title=graded.title,
        graded_at=graded.graded_at,
        seed=graded.seed,
        late=graded.late,
        late_note=late_text(
            graded.late, graded.lateness, graded.score, graded.max_score, graded.decimals
        ),
        score=for_people(graded.score, graded.decimals),
        max_score=for_people(graded.max_score, graded.decimals),
        values=values_said(graded.values),
        reason=graded.reason,
        unreadable_note=graded.unreadable_note,
        warnings=graded.notes,
        functions=functions,
        cell_errors=graded.cell_errors,
        output=output,
        output_note=note,
    )


def is_plain_name(name: str) -> bool:
    """Whether ``name`` can be a folder of its own inside the output folder, and nothing else."""
    return name not in ("", ".", "..") and not any(c in name for c in "/\\\0")


def write_feedback_page(graded: GradedSubmission, out: Path) -> Path:
    """Write ``out/<student>/feedback.html``; return the folder, where
    :func:`write_results_json` then writes ``results.json``."""
    if not is_plain_name(graded.student):
        raise ValueError(f"student id {graded.student!r} is not a plain folder name")
    folder = out / graded.student
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "feedback.html").write_text(feedback_html(graded), encoding="utf-8")
    return folder


def write_results_json(graded: GradedSubmission, folder: Path) -> None:
    (folder / "results.json").write_text(json.dumps(results_json(graded), indent=2))


def write_grades_csv(
    rows: Sequence[Row],
    functions: Sequence[str],
    path: Path,
    decimals: int = DEFAULT_DECIMALS,
) -> None:
    """One row per submission, for people (scores to the course's ``decimals`` as
    :func:`for_people` rounds them; results.json and the gradebook keep them exact): student,
    score, max_score, status, late, a column per graded function (empty for a question of a
    pool the student was not drawn), then the seed and the reason of a broken submission; and
    for a per-student assignment, the hand-in's variant (another student's notebook names both
    students)."""
    variants = any(row.variant for row in rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = SafeWriter(handle)
        writer.writerow(
            ["student", "score", "max_score", "status", "late", *functions, "seed", "reason"]
            + (["variant"] if variants else [])
        )
        for row in rows:
            late = "" if row.late is None else ("yes" if row.late else "no")
            scored = row.status != GRADER_ERROR  # the grader failed: no score, not even 0
            writer.writerow(
                [
                    row.student,
                    for_people(row.score, decimals) if scored else "",
                    for_people(row.max_score, decimals),
                    row.status,
                    late,
                    *(_points(row, f, decimals) if scored else "" for f in functions),
                    "" if row.seed is None else row.seed,
                    row.reason or "",
                ]
                + ([row.variant] if variants else [])
            )


def _points(row: Row, function: str, decimals: int) -> str:
    """The function's points; empty for a question the student was not drawn (a pool's)."""
    if function not in row.functions and row.functions:
        return ""
    return for_people(row.functions.get(function, 0), decimals)
