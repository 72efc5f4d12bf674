"""The figures a marks mail states, read back from its text as any build wrote it (issue 89):
a 0.1 build's one-decimal percents, two-decimal final grade and rubric lines, a title that
holds ": "; and what changed against the grades now, the final grade rather than the standing
once nothing is pending."""

from __future__ import annotations

from course_kit import auto_result, full_marks, make_course

from grader.gradebook.course_book import CourseBook
from grader.lms.final import grades_of
from grader.mail import figures
from grader.mail.mailed import figures_now

STUDENT = "CS21B042"


def _course_all_graded(tmp_path):
    """Every component of CS21B042's graded: the three assignments on time, both projects
    marked full."""
    course, projects = make_course(tmp_path)
    out = tmp_path / "graded"
    for component, score in (("lstm_gates", 100), ("rnn_gradients", 80), ("lstm_backward", 90)):
        auto_result(out, component, STUDENT, score, handed_in_at="2026-12-01T10:00:00+05:30")
    with CourseBook(out / "gradebook.sqlite") as book:
        for project in ("project1", "project2"):
            full_marks(book, projects.rubric, STUDENT, project)
    return course, projects, out


def _as_0_1_wrote(course, projects, lines: dict[str, str], total: str) -> str:
    text = ["Dear Asha Verma,", "", f"your marks in {course.title}:", ""]
    text += [f"  {c.title}: {lines[c.id]}" for c in course.components]
    text += ["", f"Final grade: {total} out of 100", ""]
    for project in ("Project 1", "Project 2"):
        text.append(f"{project}, by criterion:")
        for criterion in projects.rubric.criteria:
            said = (
                ": Clear motivation"
                if (project, criterion.id) == ("Project 1", "introduction")
                else ""
            )
            text.append(f"  {criterion.title}: {criterion.points:g}/{criterion.points:g}{said}")
        text.append("")
    return "\n".join([*text, "The feedback pages are attached.", "", "-- ", course.title])


def test_a_0_1_mail_read_back_and_what_changed_since(tmp_path):
    course, projects, out = _course_all_graded(tmp_path)
    with CourseBook(out / "gradebook.sqlite") as book:
        (grade,) = [g for g in grades_of(course, projects, out) if g.person.id == STUDENT]
        now = figures_now(course, book, out, grade)
    assert now["total"] is not None  # nothing pending: the mail states the final grade
    lines = {"lstm_gates": "50.0% (3 days late: -50%)", "rnn_gradients": "80.0%"}
    lines |= {"lstm_backward": "90.0%", "project1": "100.0%", "project2": "100.0%"}
    # the weights 15, 15, 20 and the projects' 50 between them: lstm_gates' 50 points less
    # of 15 is 7.5 off the total the figures now give
    total = f"{now['total'] - 7.5:.2f}"
    mailed = figures.from_text(course, projects, _as_0_1_wrote(course, projects, lines, total))
    assert mailed["parts"]["lstm_gates"] == {"percent": "50.0", "remark": "3 days late: -50%"}
    assert mailed["parts"]["project2"]["percent"] == "100.0"
    assert mailed["total"] == total and mailed["standing"] is None
    assert mailed["marks"]["project1"]["introduction"][1] == "Clear motivation"
    found = figures.changes(course, mailed, now, earlier_build=True)
    shown_total = figures.for_people(now["total"], course.decimals)
    assert [what for what, _ in found] == [
        "Assignment 1: LSTM gates: 50% -> 100%",
        "Project 1: marks changed: introduction",  # the comment is gone now
        f"final grade: {figures.for_people(float(total), course.decimals)} -> {shown_total}",
    ]
    assert found[0][1] == (
        "mailed by an earlier build: its mail said 3 days late: -50%; now on time"
    )


def test_a_figure_read_from_a_message_is_compared_to_the_decimals_it_was_written_with():
    assert figures.same("64.0", 64.04) and not figures.same("64.0", 64.06)
    assert figures.same("85.00", 85.004) and not figures.same("85.00", 85.01)
    assert figures.same(None, None) and not figures.same("64.0", None)
    assert figures.same(92.5, 92.5) and not figures.same(92.5, 92.5003)  # recorded to 4 decimals
