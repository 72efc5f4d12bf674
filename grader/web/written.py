"""Marking written answers in the browser: one page per question with every student's answer
(math set, their code and figures where the question is about them), the mark scheme, a points
box and a comment each; the marks given so far and the comments most used.

Blind (course.toml ``blind = true``, for the course or one component): each student is shown
as a stable pseudonym, listed in the pseudonyms' order (not the roster's), and every roster
name, id and address inside what they wrote is redacted. Saving sends what the marker changed
only (each field with its ``was:`` twin), so two markers on one question lose nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from grader.assignment.written import WrittenQuestion
from grader.course import blind, written_marks
from grader.course.book import BOOK_NAME, CourseBook, Mark, MarkChange
from grader.course.config import Component, Course
from grader.course.written_answers import Answer, AnswerStore
from grader.limits import WEB, WRITTEN
from grader.web import inputs
from grader.web.dashboard import Dashboard
from grader.web.inputs import BadRequest, Posted
from grader.web.math_text import answer_html


@dataclass(frozen=True)
class Shown:
    """One student's answer as the page shows it: under ``key`` (their id, or when blind a
    pseudonym's code) and ``label``."""

    key: str
    student: str
    label: str
    answer: Markup
    code: str
    outputs: tuple[dict[str, str], ...]
    empty: bool
    mark: Mark | None


def distribution(question: WrittenQuestion, marks: list[Mark]) -> list[tuple[str, int]]:
    """(points given, how many students) from 0 up, every value given at least once."""
    counts = Counter(m.points for m in marks if m.points is not None)
    return [(f"{value:g}", counts[value]) for value in sorted(counts)]


def common_comments(marks: list[Mark]) -> list[tuple[str, int]]:
    """The comments given most often, with their counts."""
    counts = Counter(m.comment.strip() for m in marks if m.comment.strip())
    return counts.most_common(WRITTEN.shown_comments)


class WrittenPages:
    def __init__(self, dashboard: Dashboard):
        self.dash = dashboard

    def _questions(self, course: Course, component: Component) -> tuple[WrittenQuestion, ...]:
        return written_marks.questions(course, component)

    def _target(self, request: Request) -> tuple[Course, Component, WrittenQuestion]:
        course = self.dash.site.course()
        component = self.dash.component(course, request.path_params["component"], "auto")
        wanted = request.path_params["question"]
        question = next((q for q in self._questions(course, component) if q.id == wanted), None)
        if question is None:
            raise HTTPException(404, f"{component.id} has no written question {wanted!r}")
        return course, component, question

    async def index(self, request: Request) -> Response:
        course = self.dash.site.course()
        listed = []
        with CourseBook(self.dash.site.out / BOOK_NAME) as book:
            for component in course.components:
                asked = self._questions(course, component)
                if not asked:
                    continue
                answers = self._answers(component)
                marks = [m for m in book.marks(component=component.id)]
                rows = []
                for question in asked:
                    criterion = written_marks.criterion_of(question.id)
                    done = sum(
                        1 for m in marks if m.criterion == criterion and m.points is not None
                    )
                    handed = sum(1 for a in answers if a.question == question.id and not a.empty)
                    rows.append((question, handed, done))
                listed.append((component, blind.is_blind(course, component), rows))
        return self.dash.render(request, "written_list.html", course, listed=listed)

    def _answers(self, component: Component) -> list[Answer]:
        path = self.dash.site.out / component.id / BOOK_NAME
        if not path.is_file():
            return []
        with AnswerStore(path) as store:
            return store.answers()

    def _shown(
        self, course: Course, component: Component, question: WrittenQuestion
    ) -> tuple[list[Shown], list[Mark], bool]:
        students = course.roster().students
        hidden = blind.is_blind(course, component)
        names = blind.pseudonyms(self.dash.site.out, component.id, students) if hidden else {}
        redact = blind.redactor(students) if hidden else (lambda text: text)
        answers = {a.student: a for a in self._answers(component) if a.question == question.id}
        with CourseBook(self.dash.site.out / BOOK_NAME) as book:
            marks = {
                m.student: m
                for m in book.marks(component=component.id)
                if m.criterion == written_marks.criterion_of(question.id)
            }
        shown = []
        for person in students:
            answer = answers.get(person.id)
            if answer is None:
                continue  # not graded yet, or no hand-in: nothing to mark
            label = names[person.id] if hidden else f"{person.name} ({person.id})"
            shown.append(
                Shown(
                    key=names[person.id].split()[-1] if hidden else person.id,
                    student=person.id,
                    label=label,
                    answer=answer_html(redact(answer.text)),
                    code=redact(answer.code),
                    outputs=tuple(
                        {k: redact(v) if k == "text" else v for k, v in o.items()}
                        for o in answer.outputs
                    ),
                    empty=answer.empty,
                    mark=marks.get(person.id),
                )
            )
        if hidden:
            shown.sort(key=lambda s: s.label)  # the roster's order would tell who is who
        return shown, list(marks.values()), hidden

    async def page(self, request: Request) -> Response:
        course, component, question = self._target(request)
        shown, marks, hidden = await run_in_threadpool(self._shown, course, component, question)
        return self.dash.render(
            request,
            "written_question.html",
            course,
            component=component,
            question=question,
            question_html=answer_html(question.question),
            shown=shown,
            blind=hidden,
            marked=sum(1 for m in marks if m.points is not None),
            distribution=distribution(question, marks),
            comments=common_comments(marks),
            max_comment=WEB.comment_chars,
            saved=request.query_params.get("saved"),
        )

    def _save(
        self,
        course: Course,
        component: Component,
        question: WrittenQuestion,
        form: Posted,
        by: str,
    ):
        shown, _, _ = self._shown(course, component, question)
        by_key = {s.key: s.student for s in shown}
        changes = []
        for name in form.fields:
            if not name.startswith("points:"):
                continue
            key = name.removeprefix("points:")
            if key not in by_key:
                raise BadRequest(f"no student {key!r} answered {question.id}; reload the page")
            value = str(form.get(name, ""))
            comment = _lines(inputs.comment(form.get(f"comment:{key}", "")))
            was = (str(form.get(f"was:points:{key}", "")), _lines(form.get(f"was:comment:{key}")))
            if (value, comment) == was:
                continue  # unchanged here: another marker's save of it stands
            points = inputs.points(value)
            student = written_marks.check_written_mark(
                (question,), course.roster(), by_key[key], question.id, points
            )
            criterion = written_marks.criterion_of(question.id)
            changes.append(MarkChange(student, component.id, criterion, points, comment))
        with CourseBook(self.dash.site.out / BOOK_NAME) as book:
            book.set_marks(changes, by=by, source="web")
        return len(changes)

    async def save(self, request: Request) -> Response:
        course, component, question = self._target(request)
        count = await run_in_threadpool(
            self._save,
            course,
            component,
            question,
            request.state.posted,
            self.dash.who(request).name,
        )
        return RedirectResponse(
            f"/written/{component.id}/{question.id}?saved={count}", status_code=303
        )


def _lines(text: object) -> str:
    """A form's text with the browser's CRLF line ends as the page showed them."""
    return str(text or "").replace("\r\n", "\n")


def routes(dashboard: Dashboard) -> list[Route]:
    pages = WrittenPages(dashboard)
    return [
        Route("/written", pages.index),
        Route("/written/{component}/{question}", pages.page),
        Route("/written/{component}/{question}", pages.save, methods=["POST"]),
    ]
