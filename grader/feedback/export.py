"""What grading hands back: ``results.json`` (Gradescope's schema), ``feedback.html`` and
``grades.csv``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import templating
from grader.course.late import Lateness
from grader.feedback.figure import figure
from grader.feedback.lateness import late_text
from grader.feedback.points import for_people
from grader.feedback.rerun import Rerun, rerun
from grader.gradebook import schema
from grader.gradebook.results import GRADER_ERROR, Row
from grader.limits import GRADING
from grader.outputs.csvfile import SafeWriter
from grader.outputs.quoting import cut
from grader.scoring import FunctionResult

# The layout of results.json beyond Gradescope's own keys (``extra_data``: its "schema"); 0:
# the grader's files before it said.
RESULTS_SCHEMA = 1


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
    summary = [f"{for_people(graded.score)} / {for_people(graded.max_score)} points."]
    if graded.reason:
        summary.insert(0, graded.reason)
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
            **({"phases": dict(graded.phases)} if graded.phases is not None else {}),
        },
    }


def forbidden_note(result: FunctionResult) -> str:
    """What a forbidden shortcut means for the student and what to do; "" without one. Its
    cases are not shown: values the shortcut computed earn nothing, "passed" beside a 0 would
    only puzzle."""
    if not result.forbidden:
        return ""
    name = result.name
    return (
        f"{name} scores 0 whatever its values: it uses a shortcut this assignment forbids, so"
        f" it does not show that you can compute {name} yourself. Write {name} in numpy,"
        f" without the shortcut (the notes' equations, step by step), check it with"
        f' check("{name}"), and hand in again.'
    )


def largest_error(result: FunctionResult) -> str:
    """The summary's largest error: "wrong shape" where a value came back misshapen (the
    numbers of the other values would say nothing of it), never a tiny number beside a lost
    point."""
    if result.wrong_shape:
        return "wrong shape"
    if result.max_error is None:
        return "–"
    return f"{result.max_error:.2g}"


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
            "score": for_people(r.score),
            "points": for_people(r.points),
            "max_error": largest_error(r),
            "hints": [{"code": c, "message": r.hint_messages[c]} for c in r.hints],
            "tolerance": r.tolerance_words,
            "forbidden": r.forbidden,
            "forbidden_note": forbidden_note(r),
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
        late_note=late_text(graded.late, graded.lateness, graded.score, graded.max_score),
        score=for_people(graded.score),
        max_score=for_people(graded.max_score),
        reason=graded.reason,
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


def read_results_json(path: Path) -> dict[str, Any]:
    """A ``results.json`` the grader wrote, as read back (the dashboard, the watch's replies);
    one a newer grader wrote is refused in one line (UserError), never read as this one's.
    OSError, ValueError: none there, or not a JSON object."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a results.json")
    schema.check_record(path, data.get("extra_data"), RESULTS_SCHEMA)
    return data


def write_grades_csv(rows: Sequence[Row], functions: Sequence[str], path: Path) -> None:
    """One row per submission, for people (scores rounded as :func:`for_people` rounds them;
    results.json and the gradebook keep them exact): student, score, max_score, status, late,
    a column per graded function (empty for a question of a pool the student was not drawn),
    then the seed and the reason of a broken submission; and for a per-student assignment, the
    hand-in's variant (another student's notebook names both students)."""
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
                    for_people(row.score) if scored else "",
                    for_people(row.max_score),
                    row.status,
                    late,
                    *(_points(row, f) if scored else "" for f in functions),
                    "" if row.seed is None else row.seed,
                    row.reason or "",
                ]
                + ([row.variant] if variants else [])
            )


def _points(row: Row, function: str) -> str:
    """The function's points; empty for a question the student was not drawn (a pool's)."""
    if function not in row.functions and row.functions:
        return ""
    return for_people(row.functions.get(function, 0))
