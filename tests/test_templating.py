"""Every HTML page and mail is rendered through the one Jinja2 environment (grader/templating.py),
which escapes: a student's name, answer, comment or file name that is markup, an attribute
break or a template expression stays text on every page. And no module builds HTML in strings."""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

from course_kit import ROSTER, make_course

from grader import templating
from grader.course.rubric import Criterion, Level, Project, Rubric
from grader.gradebook.course_book import CourseBook, Mark
from grader.lms.final import final_grades
from grader.mail.composing import build_messages
from grader.marking import pages
from grader.similarity import page as similarity_page
from grader.similarity.calibration import Calibration
from grader.similarity.evidence import Evidence, Findings, Match
from grader.similarity.sources import Part
from grader.web.math_text import answer_html
from grader.web.security import login_page, page_message

GRADER = Path(__file__).resolve().parents[1] / "grader"
# A tag, an attribute break out of a quoted value, and a template expression (7 × 191 = 1337).
HOSTILE = '<script>alert(1)</script> "onmouseover=alert(2) {{ 7*191 }}.ipynb'


def assert_inert(html: str) -> None:
    assert "<script>" not in html
    assert '"onmouseover' not in html  # no value's quote closes an attribute
    assert "1337" not in html  # nothing a student wrote is run as a template
    assert "{{ 7*191 }}" in html  # ... and it is shown as they wrote it
    assert "&lt;script&gt;" in html


def test_the_login_page_and_a_refusal_keep_what_the_address_says_as_text():
    assert_inert(login_page(HOSTILE, HOSTILE, 403).body.decode())
    assert_inert(page_message(HOSTILE, HOSTILE, 403).body.decode())


def test_a_written_answer_is_text_and_its_formulas_images():
    shown = answer_html(f"{HOSTILE}\n\n$x^2$ and {HOSTILE}")
    assert_inert(shown)
    assert shown.count("<p>") == 2 and 'class="formula"' in shown


def _rubric() -> Rubric:
    level = Level(4, HOSTILE)
    criterion = Criterion("clarity", HOSTILE, 4, (level,), ("report",))
    return Rubric("rubric", (criterion,), Path("rubric.toml"))


def test_the_projects_marking_page_and_feedback_page(tmp_path):
    mark = Mark(HOSTILE, "p1", "clarity", 3, HOSTILE, HOSTILE, "2026-11-22T21:12:04", "web")
    project = Project("p1", HOSTILE)
    projects = type("P", (), {"rubric": _rubric()})()
    feedback = pages.feedback_page(projects, project, HOSTILE, [mark])  # type: ignore[arg-type]
    assert_inert(feedback)
    checks = {
        "title": HOSTILE,
        "report": {"verdict": HOSTILE, "problems": [HOSTILE]},
        "dataset": {HOSTILE: HOSTILE},
        "notebook": {"file": HOSTILE, "run": {"error": HOSTILE}},
    }
    assert_inert(pages.checks_html(checks))
    with CourseBook(tmp_path / "book.sqlite") as book:
        path = pages.write_checks_page(tmp_path, projects, "s1", project, checks, book)  # type: ignore[arg-type]
    assert_inert(path.read_text(encoding="utf-8"))


def test_the_similarity_page(tmp_path):
    left = Part(f"{HOSTILE}, cell 1", f"def f():\n    return '{HOSTILE}'\n")
    right = Part(f"{HOSTILE}, cell 2", f"def f():\n    return '{HOSTILE}'\n")
    prose = Part(HOSTILE, f"The {HOSTILE} text")
    evidence = [
        Evidence("code", 0.9, HOSTILE, True, matches=[Match(left, right, ((2, 2),), ((2, 2),))]),
        Evidence("text", 0.8, HOSTILE, True, matches=[Match(prose, prose, ((4, 20),), ((4, 20),))]),
    ]
    calibration = Calibration("code", "random pairs", 10, 0.1, 0.05, 0.3, 0.2, 0.4)
    findings = Findings(
        pairs={(HOSTILE, "b"): evidence},
        calibrations=[calibration],
        near_misses=[(HOSTILE, "c", Evidence("code", 0.2, HOSTILE, False, closeness=0.5))],
        notes=[HOSTILE],
        variants=[(HOSTILE, HOSTILE)],
    )
    ranked = similarity_page.rank(findings)
    path = tmp_path / "similarity.html"
    similarity_page.write_page(path, findings, ranked, [[HOSTILE, "b"]], 3)
    shown = path.read_text(encoding="utf-8")
    assert_inert(shown)
    assert "<mark>" in shown and "50%" in shown  # the shared line highlighted, the near miss


def test_the_marks_mail_and_its_attached_feedback_page(tmp_path):
    rows = list(csv.reader(io.StringIO(ROSTER)))
    rows[1][1] = HOSTILE  # the student's name as the roster has it
    written = io.StringIO()
    csv.writer(written, lineterminator="\n").writerows(rows)
    course, projects = make_course(tmp_path, roster=written.getvalue())
    out = tmp_path / "graded"
    with CourseBook(out / "gradebook.sqlite") as book:
        for criterion in projects.rubric.criteria:
            book.set_mark(rows[1][0], "project1", criterion.id, 1, HOSTILE, by="ta")
    grades = final_grades(course, out, projects.rubric)
    with CourseBook(out / "gradebook.sqlite") as book:
        [message, *_] = build_messages(course, grades, projects, book, out, "TA <ta@uni.edu>")
    html = message.message.get_body(("html",)).get_content()
    assert_inert(html)
    [attachment] = list(message.message.iter_attachments())
    assert_inert(attachment.get_content())


# Modules whose strings hold tags that are not HTML the grader writes: ReportLab's paragraph
# markup of the reports' PDFs; patterns: the one that reads links out of a hand-in's HTML mail,
# and a named group, (?P<label>...).
NOT_HTML = {"pdf/fonts.py", "report/formulas.py", "report/markdown.py", "report/markup.py"}
PATTERNS = {"intake/links.py", "report/notebook.py"}
_TAG = re.compile(
    r"<(!doctype|/?(html|head|body|table|tr|td|th|p|div|span|h[1-6]|ul|ol|li|a|pre|form|input"
    r"|img|code|b|i|br|mark|main|style|script|details|label|button|section))[\s>/]",
    re.IGNORECASE,
)


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def html_in_strings(root: Path) -> list[str]:
    """``file:line`` of every string (docstrings aside) that holds an HTML tag."""
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).as_posix() in NOT_HTML | PATTERNS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and _TAG.search(node.value)
            ):
                found.add(f"{path.relative_to(root)}:{node.lineno}")
    return sorted(found)


def test_no_module_builds_html_in_strings():
    assert html_in_strings(GRADER) == [], "render it from a template (grader/templating.py)"


def test_the_check_finds_html_built_in_an_f_string(tmp_path):
    (tmp_path / "page.py").write_text('"""<p>a docstring may say</p>"""\nX = f"<td>{1}</td>"\n')
    assert html_in_strings(tmp_path) == ["page.py:2"]


def test_every_template_is_found_by_its_name_alone():
    names = [p.name for folder in templating.folders() for p in folder.iterdir()]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert {"login.html", "similarity.html", "marks_mail.html", "feedback.html"} <= set(names)
