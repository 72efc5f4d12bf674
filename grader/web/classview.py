"""What the dashboard shows, computed from the gradebooks: plain data, no HTML.

Auto-graded components come from ``<out>/<component>/gradebook.sqlite`` and the students'
``results.json`` beside it (hint codes per graded function); projects from the course book
(``<out>/gradebook.sqlite``: automatic checks and rubric marks). Final grades are
:func:`grader.lms.final.grades_of_some` (a page's students only), so the dashboard and ``grader
final`` never disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.config import Component, Course
from grader.course.rubric import Projects
from grader.feedback import results_file
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.gradebook.results import Row
from grader.lms.final import FinalGrade, auto_rows, grades_of_some
from grader.marking.marks import project_score
from grader.roster import Person
from grader.web import variant_view
from grader.web.project_findings import class_findings


@dataclass
class Mistake:
    """One hint code as the class made it: how often, what it says, who."""

    code: str
    message: str
    functions: set[str] = field(default_factory=set)
    students: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass
class ComponentView:
    """One component across the class."""

    component: Component
    fractions: list[float]  # earned / possible, one per student with a result
    missing: list[str]
    late: list[str]
    graded: bool  # whether anything was graded or marked yet
    pass_rates: list[tuple[str, int, int]] = field(default_factory=list)  # function, passed, n
    mistakes: list[Mistake] = field(default_factory=list)
    marked: int = 0  # projects: students with every criterion marked
    unmarked: list[str] = field(default_factory=list)  # projects: not completely marked
    # per-student variants: (student, verdict) of each hand-in not the student's own notebook
    variants: list[tuple[str, str]] = field(default_factory=list)
    # projects: how many the checks of substance analysed, and each finding's students
    analysed: int = 0
    findings: list[tuple[str, list[str]]] = field(default_factory=list)


def results_json(out: Path, component: str, student: str) -> dict | None:
    """A student's Gradescope results.json for one component, or None."""
    path = out / component / student / "results.json"
    try:
        return results_file.read_results_json(path)
    except (OSError, ValueError):
        return None


def hints_of(results: dict) -> dict[str, list[tuple[str, str]]]:
    """Graded function -> [(hint code, message)] from a results.json: the grader's diagnosis
    as it wrote it (``extra_data.hints``), never lines read back from a test's output, which
    quotes what the student's code printed or raised."""
    extra = results.get("extra_data")
    hints = extra.get("hints") if isinstance(extra, dict) else None
    found: dict[str, list[tuple[str, str]]] = {}
    for function, listed in (hints if isinstance(hints, dict) else {}).items():
        pairs = [
            (hint["code"], hint["message"])
            for hint in (listed if isinstance(listed, list) else [])
            if isinstance(hint, dict)
            and isinstance(hint.get("code"), str)
            and isinstance(hint.get("message"), str)
        ]
        if pairs:
            found[str(function)] = pairs
    return found


def auto_view(course: Course, out: Path, component: Component) -> ComponentView:
    students = [p.id for p in course.roster().students]
    rows: dict[str, Row] = auto_rows(out, component) or {}
    view = ComponentView(component, [], [], [], graded=bool(rows))
    passes: Counter[str] = Counter()
    attempts: Counter[str] = Counter()
    functions: list[str] = []
    told: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for student in students:
        row = rows.get(student)
        if row is None or row.status == "missing":
            view.missing.append(student)
            continue
        view.fractions.append(row.score / row.max_score if row.max_score else 0.0)
        if row.late:
            view.late.append(student)
        results = results_json(out, component.id, student) or {}
        maxima = {str(t.get("name")): t.get("max_score") for t in results.get("tests", [])}
        for name, earned in row.functions.items():
            if name not in functions:
                functions.append(name)
            attempts[name] += 1
            passes[name] += maxima.get(name) is not None and earned >= maxima[name] - 1e-9
        told[student] = hints_of(results)
    view.pass_rates = [(name, passes[name], attempts[name]) for name in functions]
    view.mistakes = class_mistakes(told)
    view.variants = variant_view.class_flags(rows)
    return view


def class_mistakes(told: dict[str, dict[str, list[tuple[str, str]]]]) -> list[Mistake]:
    """The class's mistakes, most frequent first, from what each student was told (student ->
    function -> [(code, message)]). A row is one code with one message, so every student it
    lists was told exactly those words: "cell fails where gate_a is wrong" never stands for a
    student whose cell fails where gate_b is."""
    mistakes: dict[tuple[str, str], Mistake] = {}
    for student, functions in told.items():
        for function, pairs in functions.items():
            for code, message in pairs:
                mistake = mistakes.setdefault((code, message), Mistake(code, message))
                mistake.functions.add(function)
                if student not in mistake.students:
                    mistake.students.append(student)
    return sorted(mistakes.values(), key=lambda m: (-m.count, m.code, m.message))


def project_view(
    course: Course, out: Path, component: Component, projects: Projects
) -> ComponentView:
    students = [p.id for p in course.roster().students]
    view = ComponentView(component, [], [], [], graded=False)
    with CourseBook(out / BOOK_NAME) as book:
        checks = {c.student: c for c in book.latest_checks(component=component.id)}
        for student in students:
            score = project_score(projects.rubric, book.marks(student, component.id))
            handed = checks.get(student)
            if handed is None or _nothing_handed_in(handed.checks):
                if not score.marked:
                    view.missing.append(student)
                    continue
            view.graded = view.graded or bool(score.marked)
            if score.complete:
                view.marked += 1
                view.fractions.append(score.points / score.max_points if score.max_points else 0)
            else:
                view.unmarked.append(student)
    on_roster = {s: c.checks for s, c in checks.items() if s in set(students)}
    view.analysed, view.findings = class_findings(on_roster)
    return view


def _nothing_handed_in(checks: dict) -> bool:
    return (
        checks.get("notebook", {}).get("status") == "missing"
        and checks.get("report", {}).get("verdict") == "missing"
    )


def class_view(course: Course, out: Path, projects: Projects | None) -> list[ComponentView]:
    views = []
    for component in course.components:
        if component.kind == "auto":
            views.append(auto_view(course, out, component))
        elif projects is not None:
            views.append(project_view(course, out, component, projects))
    return views


def grades_of(
    course: Course, out: Path, projects: Projects | None, people: Sequence[Person]
) -> list[FinalGrade]:
    """Some students' final grades (one page of the list, one student's page), reading their
    results only."""
    rubric = projects.rubric if projects is not None else None
    return grades_of_some(course, out, rubric, people)
