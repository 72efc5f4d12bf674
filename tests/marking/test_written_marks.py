"""Written answers' marks in the course gradebook: two markers in two processes marking the same
question at once lose nothing; a mark outside the question's points is refused; the score
counts marked answers only, never a 0 for an unmarked one."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from grader.assignment.written import WrittenQuestion
from grader.course.config import load_course
from grader.errors import UserError
from grader.gradebook.course_book import CourseBook
from grader.marking import blind, written_marks
from grader.roster import load_roster

QUESTION = WrittenQuestion("why-vanish", 2.0, cell=3, kind="markdown", question="Why?")
STUDENTS = [f"s{n:03d}" for n in range(60)]


def _roster(folder: Path) -> Path:
    path = folder / "roster.csv"
    lines = ["id,name,email,role"] + [f"{s},Name {s},{s}@example.edu," for s in STUDENTS]
    path.write_text("\n".join(lines) + "\n")
    return path


def _marker(book_path: str, roster_path: str, marker: str, students: list[str], start) -> None:
    """One marker: waits for the other, then saves a mark per student, each on its own."""
    roster = load_roster(Path(roster_path))
    start.wait()
    for number, student in enumerate(students):
        with CourseBook(Path(book_path)) as book:
            written_marks.record_written_mark(
                book,
                (QUESTION,),
                roster,
                student,
                "rnn_gradients",
                QUESTION.id,
                float(number % 3),
                f"{marker} on {student}",
                by=marker,
            )


def test_two_markers_in_two_processes_lose_nothing(tmp_path):
    roster = _roster(tmp_path)
    book_path = tmp_path / "gradebook.sqlite"
    CourseBook(book_path).close()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    # Both mark every even student (the same answers at once), and each its own odd half.
    shared = STUDENTS[::2]
    halves = {"ta-a": STUDENTS[1::4], "ta-b": STUDENTS[3::4]}
    workers = [
        context.Process(
            target=_marker,
            args=(str(book_path), str(roster), marker, shared + own, start),
        )
        for marker, own in halves.items()
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0
    with CourseBook(book_path) as book:
        marks = {m.student: m for m in book.marks(component="rnn_gradients")}
        history = [m for s in STUDENTS for m in book.mark_history(s, "rnn_gradients")]
    assert set(marks) == set(STUDENTS)  # every answer has its mark
    for student in STUDENTS[1::4]:
        assert marks[student].marked_by == "ta-a"
    for student in STUDENTS[3::4]:
        assert marks[student].marked_by == "ta-b"
    assert len(history) == 2 * len(shared) + len(STUDENTS[1::2])  # every save kept


def test_a_mark_outside_the_points_is_refused(tmp_path):
    roster = load_roster(_roster(tmp_path))
    with pytest.raises(UserError, match="a mark is from 0 to 2"):
        written_marks.check_written_mark((QUESTION,), roster, "s001", QUESTION.id, 2.5)
    with pytest.raises(UserError, match="not a written question"):
        written_marks.check_written_mark((QUESTION,), roster, "s001", "other", 1)


def test_unmarked_answers_count_neither_way():
    other = WrittenQuestion("gate-one", 3.0, cell=5, kind="markdown", question="What?")
    score = written_marks.written_score((QUESTION, other), [])
    assert written_marks.with_written(6, 10, score) == (
        0.6,
        "written answers not marked yet (why-vanish, gate-one)",
    )


COURSE = """
[course]
title = "Blind"
roster = "roster.csv"
{course}

[late]
penalty_per_day = 10

[[component]]
id = "a1"
title = "A1"
kind = "auto"
weight = 1
{a1}

[[component]]
id = "a2"
title = "A2"
kind = "{kind}"
weight = 1
{a2}
"""


def _course(tmp_path: Path, course="", a1="", a2="", kind="auto"):
    _roster(tmp_path)
    path = tmp_path / "course.toml"
    path.write_text(COURSE.format(course=course, a1=a1, a2=a2, kind=kind))
    return load_course(path)


def test_blind_is_switched_per_course_and_per_component(tmp_path):
    course = _course(tmp_path, course="blind = true", a2="blind = false")
    assert [blind.is_blind(course, c) for c in course.components] == [True, False]
    course = _course(tmp_path, a1="blind = true")
    assert [blind.is_blind(course, c) for c in course.components] == [True, False]
    with pytest.raises(UserError, match="must be true or false"):
        _course(tmp_path, a1='blind = "yes"')
    project = _course(tmp_path, a2="blind = true", kind="project")  # reports are marked blind
    assert blind.is_blind(project, project.components[1])


def test_pseudonyms_are_stable_per_component_and_redaction_covers_the_roster(tmp_path):
    first = blind.pseudonym(tmp_path, "a1", "s001")
    assert first == blind.pseudonym(tmp_path, "a1", "s001")  # the key is kept in the folder
    assert first != blind.pseudonym(tmp_path, "a2", "s001")
    assert first != blind.pseudonym(tmp_path, "a1", "s002")
    roster = load_roster(_roster(tmp_path))
    redact = blind.redactor(roster.students)
    assert (
        redact("I am NAME S001 (s001@example.edu), s001.")
        == "I am [redacted] ([redacted]), [redacted]."
    )
