"""The figures a marks mail tells a student (each component's percent after the late policy,
with its remark; the total or the standing; each project's rubric marks), and what changed in
them between the mail a student last had and the grades now, with why: the late policy (a
rule, an extension), a regrade accepted, a grading again, a changed mark.

The figures of a mail this grader sent are recorded with it (:mod:`grader.mail.mailed`); those
of a mail an earlier build sent are read from the message itself (:func:`from_text`), whose
lines every build wrote the same way: ``  <component title>: <percent>% (<remark>)``,
``Final grade: <total> out of <scale>`` or ``Standing so far: <standing> out of ...``, and
under ``<project title>, by criterion:`` one ``  <criterion title>: <points>/<most>`` each.
A figure read from a message is compared to the decimals it was written with.
"""

from __future__ import annotations

import re
from typing import Any

from grader.course.config import Course
from grader.course.rubric import Projects
from grader.gradebook.course_book import Mark
from grader.lms.final import FinalGrade
from grader.outputs.scores import for_people

Figures = dict[str, Any]  # as JSON keeps them
Figure = float | str | None  # a number, or as a message wrote it; None: pending, or none
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_PART = re.compile(rf"(?P<score>pending|{_NUMBER}%)(?: \((?P<remark>.*)\))?$")
_TOTAL = re.compile(rf"^Final grade: {_NUMBER} out of ")
_STANDING = re.compile(rf"^Standing so far: {_NUMBER} out of ")
_MARK = re.compile(rf"(?P<points>-|{_NUMBER})/{_NUMBER}(?:: (?P<comment>.*))?$")


def figures_of(
    grade: FinalGrade, marks: dict[str, list[Mark]], regrades: dict[str, int]
) -> Figures:
    """What a mail of ``grade`` tells (and, to say why a figure changed, each part's score
    before the late policy and the regrades accepted on it)."""
    return {
        "parts": {
            part.component: {
                "percent": None if part.pending else round(part.fraction * 100, 4),
                "raw": None if part.pending else round(part.raw * 100, 4),
                "late": part.lateness.why if part.lateness.late else "",
                "remark": part.explanation(),
                "regrades": regrades.get(part.component, 0),
            }
            for part in grade.parts
        },
        "total": None if grade.pending else round(grade.total, 4),
        "standing": None if grade.standing is None else round(grade.standing, 4),
        "marks": {
            project: {m.criterion: [m.points, m.comment] for m in found}
            for project, found in marks.items()
        },
    }


def from_text(course: Course, projects: Projects | None, text: str) -> Figures:
    """The figures a marks mail's text states (any build's: see the module's docstring);
    a number as the words that wrote it."""
    titles = {c.title: c for c in course.components}
    criteria = {c.title: c.id for c in projects.rubric.criteria} if projects else {}
    parts: dict[str, dict[str, Any]] = {}
    found: Figures = {"parts": parts, "total": None, "standing": None, "marks": {}}
    project = None
    for line in text.splitlines():
        if not line.startswith("  "):
            project = next(
                (c.id for c in course.projects if line == f"{c.title}, by criterion:"), None
            )
            total, standing = _TOTAL.match(line), _STANDING.match(line)
            found["total"] = total.group(1) if total else found["total"]
            found["standing"] = standing.group(1) if standing else found["standing"]
            continue
        line = line.strip()
        if project is not None:
            title = _title_of(line, criteria)
            if title and (mark := _MARK.match(line[len(title) + 2 :])):
                points = None if mark["points"] == "-" else mark["points"]
                comment = mark["comment"] or ""
                found["marks"].setdefault(project, {})[criteria[title]] = [points, comment]
            continue
        title = _title_of(line, titles)
        if (
            title
            and titles[title].id not in parts
            and (part := _PART.match(line[len(title) + 2 :]))
        ):
            percent = None if part["score"] == "pending" else part["score"][:-1]
            parts[titles[title].id] = {"percent": percent, "remark": part["remark"] or ""}
    return found


def _title_of(line: str, titles: dict[str, Any]) -> str:
    """The longest of ``titles`` the line starts with, then ": " (a title may hold ": ")."""
    found = [title for title in titles if line.startswith(f"{title}: ")]
    return max(found, key=len, default="")


def same(mailed: Figure, now: Figure) -> bool:
    """Whether a figure mailed is the one now: a number a message wrote, to its decimals."""
    if mailed is None or now is None:
        return mailed is None and now is None
    if isinstance(mailed, str):
        decimals = len(mailed.partition(".")[2])
        return for_people(float(now), decimals) == for_people(float(mailed), decimals)
    return round(float(mailed), 4) == round(float(now), 4)


def changes(
    course: Course, mailed: Figures, now: Figures, earlier_build: bool
) -> list[tuple[str, str]]:
    """Each figure of ``now`` that is not the one ``mailed`` (what a student reads: "Assignment
    1: LSTM gates: 70% -> 100%"), with why (for the instructor; '' where it goes without
    saying); [] when none is."""
    found = []
    titles = {c.id: c.title for c in course.components}
    for component, part in now["parts"].items():
        before = mailed["parts"].get(component)
        marks = _marks_changed(mailed["marks"].get(component, {}), now["marks"].get(component, {}))
        if before is None or same(before["percent"], part["percent"]):
            if marks:
                found.append((f"{titles[component]}: marks changed: {', '.join(marks)}", ""))
            continue
        change = (
            f"{titles[component]}: {_percent(before['percent'])} -> {_percent(part['percent'])}"
        )
        why = f"marks changed: {', '.join(marks)}" if marks else _why(before, part)
        found.append((change, f"mailed by an earlier build: {why}" if earlier_build else why))
    # the mail states the final grade once nothing is pending, the standing before
    key, word = (
        ("total", "final grade") if now["total"] is not None else ("standing", "standing so far")
    )
    if now[key] is not None and not same(mailed[key], now[key]):
        old = "pending" if mailed[key] is None else for_people(float(mailed[key]), course.decimals)
        found.append((f"{word}: {old} -> {for_people(float(now[key]), course.decimals)}", ""))
    return found


def _percent(value: Figure) -> str:
    return "pending" if value is None else f"{for_people(float(value), 2)}%"


def _why(before: dict, now: dict) -> str:
    """The cause of a changed percent: a grading, a regrade, or the late policy (a rule, an
    extension); for a mail whose figures were read from it, what it said against now."""
    if before["percent"] is None:
        return "graded since"
    if now["percent"] is None:
        return now["remark"]
    if "raw" not in before:  # read from the message: its remark says what it charged
        return f"its mail said {before['remark'] or 'on time'}; now {now['remark'] or 'on time'}"
    if before["regrades"] < now["regrades"]:
        return "a regrade accepted"
    if not same(before["raw"], now["raw"]):
        return "graded again"
    # the same score before the late policy: the policy charged it otherwise
    return f"late policy: was {before['late'] or 'on time'}, now {now['late'] or 'on time'}"


def _marks_changed(before: dict[str, list], now: dict[str, list]) -> list[str]:
    """The criteria whose points or comment differ."""
    blank = [None, ""]
    return sorted(
        criterion
        for criterion in {*before, *now}
        if not same(before.get(criterion, blank)[0], now.get(criterion, blank)[0])
        or before.get(criterion, blank)[1] != now.get(criterion, blank)[1]
    )
