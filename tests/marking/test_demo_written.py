"""The shipped rnn_gradients asks one written question about the vanishing gradient; the demo
course marks it blind, and the marks flow into the final grades."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from written_kit import grade

from grader import assignment as assign
from grader import demo
from grader.assignment import releasing, written
from grader.course.config import load_course
from grader.course.rubric import load_projects
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.gradebook.results import Gradebook
from grader.lms import final
from grader.marking import blind, written_marks

ROOT = Path(__file__).resolve().parents[2]
RNN = ROOT / "assignments" / "rnn_gradients"


def test_rnn_gradients_asks_why_the_gradient_vanishes(tmp_path):
    (question,) = written.questions_of(assign.load_config(RNN))
    assert question.id == "why-vanish" and question.points == 2
    assert "w_{rec} < 1" in question.question and "w_{rec} > 1" in question.question
    released_path = releasing.release(RNN, tmp_path)
    assert "forget gate $f_t \\in (0, 1)$" not in released_path.read_text()  # the model answer
    answers = written.answer_cells(nbformat.read(released_path, as_version=4))
    assert answers["why-vanish"].source == written.ANSWER_STUB
    samples = {p.stem: p for p in (ROOT / "examples" / "rnn_gradients").glob("*.ipynb")}
    given = {
        name: written.answer_cells(nbformat.read(path, as_version=4))["why-vanish"].source
        for name, path in samples.items()
    }
    assert not written.is_unanswered(given["asha"]) and written.is_unanswered(given["dhaval"])


@pytest.fixture(scope="module")
def demo_course(tmp_path_factory) -> tuple[Path, Path]:
    """A course made as `make demo` makes it, its rnn_gradients samples graded."""
    base = tmp_path_factory.mktemp("demo-written")
    folder = demo.make_course(base)
    samples = sorted(str(p) for p in (ROOT / "examples" / "rnn_gradients").glob("*.ipynb"))
    out = base / "graded"
    assignment = folder / "assignments" / "rnn_gradients"
    grade("--assignment", str(assignment), "--out", str(out / "rnn_gradients"), *samples)
    return folder, out


def test_the_demo_marks_the_written_answers_blind_and_final_counts_them(demo_course):
    folder, out = demo_course
    course = load_course(folder / "course.toml")
    component = course.component("rnn_gradients")
    assert blind.is_blind(course, component)
    with CourseBook(out / BOOK_NAME) as book:
        demo.mark_written(course, book, course.roster())
    rubric = load_projects(course.projects_dir).rubric
    grades = {g.person.id: g for g in final.final_grades(course, out, rubric)}
    with Gradebook(out / "rnn_gradients" / BOOK_NAME) as book:
        rows = {row.student: row for row in book.latest()}
    index = [c.id for c in course.components].index("rnn_gradients")
    for student, marked in (("asha", 2.0), ("bhavin", 1.0), ("chitra", 0.0)):
        part = grades[student].parts[index]
        row = rows[student]
        assert part.raw == pytest.approx((row.score + marked) / (row.max_score + 2))
        assert "not marked yet" not in part.note
    assert "written answers not marked yet (why-vanish)" in grades["esha"].parts[index].note
    assert written_marks.questions(course, component)[0].id == "why-vanish"


def test_the_demo_course_marks_the_question_blind_in_the_browser(demo_course, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    from web_kit import CHROMIUM, CHROMIUM_ARGS, log_in, serving
    from written_kit import leaks_of

    folder, out = demo_course
    roster = (ROOT / "examples" / "course" / "roster.csv").read_text()
    with (
        serving(folder, out, log=tmp_path / "serve.log") as url,
        playwright_api.sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        log_in(page, url)
        page.goto(f"{url}/written/rnn_gradients/why-vanish")
        assert "Why does the gradient that reaches back" in page.inner_text("body")
        assert leaks_of(roster, page.content()) == []
        article = page.locator("article.answer").first
        label = article.locator("h3").inner_text().split()[:2]
        article.locator("input[type=number]").fill("1.5")
        article.locator("textarea").fill("Half: say what the forget gate does.")
        page.click("button[type=submit]")
        page.wait_for_url("**saved=1")
        assert "1.5" in page.inner_text("#distribution")
        browser.close()
    with CourseBook(out / BOOK_NAME) as book:
        (saved,) = [m for m in book.marks(component="rnn_gradients") if m.points == 1.5]
    assert " ".join(label) == blind.pseudonym(out, "rnn_gradients", saved.student)
    assert saved.marked_by == "prof-a" and saved.comment == "Half: say what the forget gate does."
