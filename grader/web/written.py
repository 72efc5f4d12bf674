"""Marking written answers in the browser: one page per question with every student's answer
(math set, their code and figures where the question is about them), the mark scheme, a points
box and a comment each; the marks given so far and the comments most used.

Blind (course.toml ``blind = true``, for the course or one component): each student is shown
as a stable pseudonym, listed in the pseudonyms' order (not the roster's), and every roster
name, id and address inside what they wrote (text, code, printout, pasted images' names) is
redacted. Saving sends what the marker changed only (each field with its ``was:`` twin), so two
markers on one question lose nothing.

Whatever one answer holds, the page stays light: a long answer is shown a part at a time
(``WEB.answer_page_chars``, the rest on pages of its own), formulas are images the browser asks
for as they come into view, and a save renders nothing. An answer cut for marking says "cut at
N characters of M"; an answer cell the student edited carries its flags.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from grader.assignment.written import WrittenQuestion
from grader.course.config import Component, Course
from grader.gradebook.course_book import BOOK_NAME, CourseBook, Mark, MarkChange
from grader.limits import WEB, WRITTEN
from grader.marking import blind, written_marks
from grader.marking.written_answers import Answer, AnswerStore
from grader.web import inputs, roles
from grader.web.dashboard import Dashboard
from grader.web.inputs import BadRequest, Posted
from grader.web.math_text import FORMULA_PATH, answer_html, formula_svg


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
    parts: int = 1  # pages of the answer's text: the first is shown here
    cut: str = ""  # "cut at N characters of M" when the answer was kept cut
    flags: tuple[str, ...] = ()  # what the student edited of the answer cell


def parts_of(text: str) -> int:
    return max(1, -(-len(text) // WEB.answer_page_chars))


def part_text(text: str, number: int) -> str:
    """Page ``number`` (from 1) of an answer's text."""
    size = WEB.answer_page_chars
    return text[(number - 1) * size : number * size]


def redacted_outputs(
    outputs: tuple[Mapping[str, str], ...], redact: Callable[[str], str]
) -> tuple[dict[str, str], ...]:
    """What the answer's cells printed and the images pasted in, their words redacted."""
    words = ("text", "attachment")
    return tuple({k: redact(v) if k in words else v for k, v in o.items()} for o in outputs)


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
        component = self.dash.markable(request, course, request.path_params["component"], "auto")
        wanted = request.path_params["question"]
        question = next((q for q in self._questions(course, component) if q.id == wanted), None)
        if question is None:
            raise HTTPException(404, f"{component.id} has no written question {wanted!r}")
        return course, component, question

    async def index(self, request: Request) -> Response:
        course = self.dash.site.course()
        who = self.dash.who(request)
        listed = []
        with CourseBook(self.dash.site.out / BOOK_NAME) as book:
            for component in course.components:
                asked = self._questions(course, component)
                if not asked or not roles.may_mark(course, component.id, who):
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

    def _answers(
        self, component: Component, question: str | None = None, student: str | None = None
    ) -> list[Answer]:
        path = self.dash.site.out / component.id / BOOK_NAME
        if not path.is_file():
            return []
        with AnswerStore(path) as store:
            return store.answers(question, student)

    def _keys(self, course: Course, component: Component) -> tuple[dict[str, str], dict[str, str]]:
        """Each student's key on the page (id, or when blind the pseudonym's code), and label."""
        students = course.roster().students
        if not blind.is_blind(course, component):
            return {p.id: p.id for p in students}, {p.id: f"{p.name} ({p.id})" for p in students}
        names = blind.pseudonyms(self.dash.site.out, component.id, students)
        return {s: n.split()[-1] for s, n in names.items()}, names

    def _redactor(self, course: Course, component: Component) -> Callable[[str], str]:
        if not blind.is_blind(course, component):
            return lambda text: text
        return blind.redactor(course.roster().students)

    def _shown(
        self, course: Course, component: Component, question: WrittenQuestion
    ) -> tuple[list[Shown], list[Mark], bool]:
        students = course.roster().students
        hidden = blind.is_blind(course, component)
        keys, labels = self._keys(course, component)
        redact = self._redactor(course, component)
        answers = {a.student: a for a in self._answers(component, question.id)}
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
            shown.append(
                Shown(
                    key=keys[person.id],
                    student=person.id,
                    label=labels[person.id],
                    answer=answer_html(redact(part_text(answer.text, 1))),
                    code=redact(answer.code),
                    outputs=redacted_outputs(answer.outputs, redact),
                    empty=answer.empty,
                    mark=marks.get(person.id),
                    parts=parts_of(answer.text),
                    cut=answer.cut,
                    flags=tuple(redact(f) for f in answer.flags),
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
        keys, _ = self._keys(course, component)  # nothing rendered: a save stays quick
        answered = {a.student for a in self._answers(component, question.id)}
        by_key = {key: student for student, key in keys.items() if student in answered}
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

    async def part(self, request: Request) -> Response:
        """One further page of a long answer."""
        course, component, question = self._target(request)
        keys, labels = self._keys(course, component)
        student = next((s for s, k in keys.items() if k == request.path_params["key"]), None)
        found = [] if student is None else self._answers(component, question.id, student)
        if not found:
            raise HTTPException(404, f"no such answer to {question.id}")
        number, answer = request.path_params["number"], found[0]
        if not 1 <= number <= parts_of(answer.text):
            raise HTTPException(404, f"the answer has {parts_of(answer.text)} parts")
        redact = self._redactor(course, component)
        return self.dash.render(
            request,
            "written_part.html",
            course,
            component=component,
            question=question,
            key=request.path_params["key"],
            label=labels[answer.student],
            text=answer_html(redact(part_text(answer.text, number))),
            number=number,
            parts=parts_of(answer.text),
            cut=answer.cut,
        )

    async def formula(self, request: Request) -> Response:
        """A formula of an answer set as SVG (the browser caches it: it never changes)."""
        svg = await run_in_threadpool(formula_svg, request.query_params.get("tex", "").strip())
        if svg is None:
            raise HTTPException(404, "mathtext cannot set this formula: its TeX is shown")
        return Response(svg, media_type="image/svg+xml", headers=_FORMULA_HEADERS)


# An SVG of ours, never a page: nothing in it runs, and the browser may keep it.
_FORMULA_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=86400",
}


def _lines(text: object) -> str:
    """A form's text with the browser's CRLF line ends as the page showed them."""
    return str(text or "").replace("\r\n", "\n")


def routes(dashboard: Dashboard) -> list[Route]:
    pages = WrittenPages(dashboard)
    return [
        Route("/written", pages.index),
        Route(FORMULA_PATH, pages.formula),
        Route("/written/{component}/{question}/{key}/part/{number:int}", pages.part),
        Route("/written/{component}/{question}", pages.page),
        Route("/written/{component}/{question}", pages.save, methods=["POST"]),
    ]
