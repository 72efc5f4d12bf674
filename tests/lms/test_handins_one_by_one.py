"""A term as it unfolds: each assignment handed in by its own mail, before or after its own
deadline, and graded as the tutorial says. Every cell's late penalty is worked out here from
the course's rules (course.toml's [late], extensions.csv) and the times the mails were sent;
final-grades.csv, the Canvas and Moodle files, the scores posted over LTI, the feedback mail and
the dashboard must all say the same, and a student who skipped an assignment is "no hand-in"
for it in every one of them, never graded on another assignment's notebook."""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest
import smtp_kit
from lti_course_kit import registered
from lti_platform_kit import INSTRUCTOR, member
from mailkit import gmail, takeout_mbox
from web_kit import login_cookie, request, serving

from grader.cli import main
from grader.course.config import load_course
from grader.marking import written_marks

ROOT = Path(__file__).resolve().parents[2]
IST = timezone(timedelta(hours=5, minutes=30))
ASSIGNMENTS = ("lstm_gates", "rnn_gradients", "lstm_backward")
TITLES = {
    "lstm_gates": "Assignment 1: LSTM gates",
    "rnn_gradients": "Assignment 2: RNN gradients",
    "lstm_backward": "Assignment 3: LSTM backward pass",
}
WEIGHTS = {"lstm_gates": 15, "rnn_gradients": 15, "lstm_backward": 20}
DEADLINES = {
    "lstm_gates": datetime(2026, 11, 6, 23, 59, tzinfo=IST),
    "rnn_gradients": datetime(2026, 11, 13, 23, 59, tzinfo=IST),
    "lstm_backward": datetime(2026, 11, 20, 23, 59, tzinfo=IST),
}
# The course's [late] as `grader init` writes it, which this test reads back to be sure.
GRACE, PER_DAY, CAP, NO_CREDIT_AFTER = timedelta(hours=2), 10, 50, 7
EXTENSION = ("EE26B004", "rnn_gradients", datetime(2026, 11, 16, 23, 59, tzinfo=IST))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=IST)


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    # each mail: when it was sent, and the assignments whose notebooks it carries
    mails: tuple[tuple[datetime, tuple[str, ...]], ...]

    @property
    def email(self) -> str:
        return f"{self.id.lower()}@example.edu"


STUDENTS = (
    # on time every time, by mails a week apart: the first is not charged by the last
    Student(
        "EE26B001",
        "Zoë Ångström",
        (
            (at(5, 21), ("lstm_gates",)),
            (at(12, 20), ("rnn_gradients",)),
            (at(19, 18), ("lstm_backward",)),
        ),
    ),
    # within the grace period, half a day late, two and a half days late
    Student(
        "EE26B002",
        "Rahul Menon",
        (
            (at(7, 1), ("lstm_gates",)),
            (at(14, 12), ("rnn_gradients",)),
            (at(23, 10), ("lstm_backward",)),
        ),
    ),
    # three days late, on time, more than a week late (no credit)
    Student(
        "EE26B003",
        "Priya Nair",
        (
            (at(10, 0, 30), ("lstm_gates",)),
            (at(13, 9), ("rnn_gradients",)),
            (at(28, 12), ("lstm_backward",)),
        ),
    ),
    # rnn_gradients after its deadline but inside an extension; lstm_backward past the grace
    Student(
        "EE26B004",
        "Kavya Rao",
        (
            (at(6, 10), ("lstm_gates",)),
            (at(16, 20), ("rnn_gradients",)),
            (at(21, 3), ("lstm_backward",)),
        ),
    ),
    # lstm_gates on time, then sent again a day and a half late: the resend is graded
    Student(
        "EE26B005",
        "Arjun Das",
        (
            (at(6, 22), ("lstm_gates",)),
            (at(8, 9), ("lstm_gates",)),
            (at(13, 8), ("rnn_gradients",)),
            (at(20, 8), ("lstm_backward",)),
        ),
    ),
    # two assignments in one mail; lstm_backward never handed in
    Student("EE26B006", "Meera Iyer", ((at(6, 10), ("lstm_gates", "rnn_gradients")),)),
    # lstm_gates only
    Student("EE26B007", "Noor Khan", ((at(6, 9), ("lstm_gates",)),)),
)


def deadline_of(student: str, assignment: str) -> datetime:
    if (student, assignment) == EXTENSION[:2]:
        return EXTENSION[2]
    return DEADLINES[assignment]


def kept(sent: datetime, deadline: datetime) -> float:
    """The share of the score the late policy keeps, by the course's rules."""
    late_by = sent - deadline
    if late_by <= GRACE:
        return 1.0
    if late_by > timedelta(days=NO_CREDIT_AFTER):
        return 0.0
    days = math.ceil(late_by / timedelta(days=1))
    return 1 - min(days * PER_DAY, CAP) / 100


def expected() -> dict[str, dict[str, float | None]]:
    """Each student's percent per assignment (None: no hand-in) — every notebook handed in
    is the sample with every function right, and every written answer gets full marks, so
    the percent is 100 times what the late policy keeps of the last version sent."""
    found: dict[str, dict[str, float | None]] = {}
    for student in STUDENTS:
        last = {a: sent for sent, carried in student.mails for a in carried}
        found[student.id] = {
            a: round(100 * kept(last[a], deadline_of(student.id, a)), 2) if a in last else None
            for a in ASSIGNMENTS
        }
    return found


def total(cells: dict[str, float | None]) -> float:
    return sum(WEIGHTS[a] * (cells[a] or 0.0) for a in ASSIGNMENTS) / sum(WEIGHTS.values())


def course_text(text: str) -> str:
    """course.toml as `grader init` wrote it, with this term's deadlines and without the
    projects (nobody hands one in here, which would leave every total pending)."""
    assert "grace_hours = 2" in text and "penalty_per_day = 10" in text
    assert "max_penalty = 50" in text and "no_credit_after_days = 7" in text
    text = re.sub(r"\[\[component\]\]\nid = \"project\d\".*?(?=\n\[\[|\Z)", "", text, flags=re.S)
    text = re.sub(r"^projects = .*$", "", text, flags=re.M)
    for assignment, deadline in DEADLINES.items():
        text = re.sub(
            rf'(id = "{assignment}"\n(?:.*\n)*?)deadline = \S+',
            rf"\g<1>deadline = {deadline.isoformat()}",
            text,
        )
    return text


def _noted(notebook: bytes, number: int) -> bytes:
    """The notebook as the student's ``number``-th mail carries it."""
    if number == 0:
        return notebook
    data = json.loads(notebook)
    data["cells"].append(nbformat.v4.new_markdown_cell(f"Sent again ({number})."))
    return json.dumps(data).encode()


def mailbox(path: Path) -> Path:
    """The course mailbox as Gmail's Takeout gives it: every mail of every student."""
    samples = {a: (ROOT / "examples" / a / "asha.ipynb").read_bytes() for a in ASSIGNMENTS}
    messages, arrived = [], []
    for student in STUDENTS:
        for number, (sent, carried) in enumerate(student.mails):
            # a notebook sent again is the student's changed one (a byte-for-byte repeat
            # changes nothing): the same answers, a note added at its end
            files = [(f"{a}.ipynb", _noted(samples[a], number)) for a in carried]
            text = f"Please find {', '.join(carried)} attached.\n{student.name}"
            messages.append(
                gmail(f"{student.name} <{student.email}>", sent, "Hand-in", text, attachments=files)
            )
            arrived.append(sent + timedelta(seconds=20))
    return takeout_mbox(path, messages, arrived)


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """The term run by the tutorial's commands in a course `grader init` made, up to `final`."""
    base = tmp_path_factory.mktemp("term")
    course_dir = base / "course"
    assert main(["init", str(course_dir)]) == 0
    toml = course_dir / "course.toml"
    toml.write_text(course_text(toml.read_text(encoding="utf-8")), encoding="utf-8")
    rows = "".join(f"{s.id},{s.name},{s.email},student\n" for s in STUDENTS)
    (course_dir / "roster.csv").write_text(f"id,name,email,role\n{rows}", encoding="utf-8")
    student, component, deadline = EXTENSION
    (course_dir / "extensions.csv").write_text(
        "student,component,deadline,granted_by,reason\n"
        f"{student},{component},{deadline.isoformat()},prof,medical certificate\n",
        encoding="utf-8",
    )
    inbox = mailbox(base / "inbox.mbox")
    common = ["--course", str(course_dir)]
    submissions, graded = course_dir / "submissions", course_dir / "graded"
    assert main(["collect", str(inbox), "--out", str(submissions), *common]) == 0
    folders = sorted(str(p) for p in submissions.iterdir() if p.is_dir())
    assert len(folders) == len(STUDENTS)
    for assignment in ASSIGNMENTS:
        where = ["--assignment", str(course_dir / "assignments" / assignment)]
        assert main(["grade", *where, "--out", str(graded / assignment), *folders]) == 0
    # every written answer marked in full, as a marker does it in a spreadsheet
    sheet = base / "written.csv"
    marking = [*common, "--out", str(graded)]
    assert main(["written", "export", "rnn_gradients", str(sheet), *marking]) == 0
    course = load_course(toml)
    scheme = written_marks.questions(course, course.component("rnn_gradients"))
    handed_in = {s.id for s in STUDENTS if any("rnn_gradients" in c for _, c in s.mails)}
    with sheet.open(encoding="utf-8", newline="") as stream:
        table = list(csv.DictReader(stream))
    for row in table:
        if row["student"] in handed_in:
            row.update({question.id: f"{question.points:g}" for question in scheme})
    with sheet.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    assert main(["written", "import", "rnn_gradients", str(sheet), *marking]) == 0
    assert main(["final", *marking]) == 0
    return course, graded


def _percent(cell: str) -> float | None:
    return None if cell in ("", "-") else float(cell)


def test_final_grades_charge_each_assignment_by_its_own_mail(term):
    course, graded = term
    with (graded / "final" / "final-grades.csv").open(encoding="utf-8") as stream:
        rows = {row["student"]: row for row in csv.DictReader(stream)}
    want = expected()
    for student in STUDENTS:
        row = rows[student.id]
        for assignment in ASSIGNMENTS:
            cell, remark = row[assignment], row[f"{assignment} remark"]
            if want[student.id][assignment] is None:
                assert "no hand-in" in remark, (student.id, assignment, remark)
                assert _percent(cell) in (None, 0.0), (student.id, assignment, cell)
            else:
                assert _percent(cell) == pytest.approx(want[student.id][assignment], abs=0.01), (
                    student.id,
                    assignment,
                    cell,
                    remark,
                )
        assert float(row["total (out of 100)"]) == pytest.approx(total(want[student.id]), abs=0.01)
        for assignment in ASSIGNMENTS:
            if (value := want[student.id][assignment]) is not None:
                penalty = float(row[f"{assignment} late penalty %"])
                assert penalty == pytest.approx(100 - value), (student.id, assignment)
    # the remarks say why
    assert rows["EE26B002"]["lstm_gates remark"].endswith("within the 2 h grace period")
    assert "-30%" in rows["EE26B002"]["lstm_backward remark"]
    assert "no credit" in rows["EE26B003"]["lstm_backward remark"]
    assert "deadline extended to 2026-11-16T23:59" in rows["EE26B004"]["rnn_gradients remark"]
    resent = rows["EE26B005"]["lstm_gates remark"]
    assert "-20%" in resent and "replaced one sent on time (2026-11-06 22:00+05:30)" in resent
    assert rows["EE26B001"]["lstm_gates remark"] == ""


def test_the_lms_files_say_the_same(term):
    course, graded = term
    want = expected()
    for name in ("canvas-import.csv", "moodle-import.csv"):
        with (graded / "final" / name).open(encoding="utf-8-sig") as stream:
            rows = list(csv.DictReader(stream))
        for student in STUDENTS:
            (row,) = [r for r in rows if student.id in r.values() or student.email in r.values()]
            for assignment in ASSIGNMENTS:
                column = next(c for c in row if TITLES[assignment] in c)
                value = want[student.id][assignment] or 0.0  # no hand-in: 0 once graded
                assert float(row[column]) == pytest.approx(value, abs=0.01), (
                    name,
                    student.id,
                    assignment,
                )


def test_the_scores_posted_over_lti_say_the_same(term, capsys):
    course, graded = term
    people = [member(f"u-{s.id}", s.name, s.email, s.id) for s in STUDENTS]
    people.append(member("u-prof", "Prof", "prof@example.edu", role=INSTRUCTOR))
    with registered(course, capsys, members=people) as platform:
        assert (
            main(["final", "--course", str(course.path), "--out", str(graded), "--push", "lti"])
            == 0
        )
    want = expected()
    for assignment in ASSIGNMENTS:
        posted = platform.scores_of(assignment)
        for student in STUDENTS:
            value = want[student.id][assignment] or 0.0
            assert posted[f"u-{student.id}"] == pytest.approx(value, abs=0.01)


def test_the_feedback_mail_says_the_same(term, tmp_path, monkeypatch):
    course, graded = term
    monkeypatch.setenv("GRADER_SMTP_USER", smtp_kit.USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", smtp_kit.PASSWORD)
    certificate = smtp_kit.make_certificate(tmp_path)
    box = smtp_kit.Mailbox()
    controller = smtp_kit.start(box, certificate)
    try:
        assert main(smtp_kit.mail_args(course, graded, controller, certificate)) == 0
    finally:
        controller.stop()
    texts = {
        str(m["To"].addresses[0].addr_spec): m.get_body(("plain",)).get_content()
        for m in box.received
    }
    want = expected()
    for student in STUDENTS:
        text = texts[student.email]
        for assignment in ASSIGNMENTS:
            line = next(x for x in text.splitlines() if x.strip().startswith(TITLES[assignment]))
            if want[student.id][assignment] is None:
                assert "no hand-in" in line, line
            else:
                shown = float(re.search(r": ([\d.]+)%", line).group(1))
                assert shown == pytest.approx(want[student.id][assignment], abs=0.05), line
    assert "-20%" in texts[STUDENTS[4].email]  # the resend after the deadline is the graded one


def test_the_dashboard_says_the_same(term, tmp_path):
    course, graded = term
    want = expected()
    log = tmp_path / "serve.log"
    with serving(course.path.parent, graded, log=log) as url:
        cookie = login_cookie(url)
        for student in STUDENTS:
            status, _, body = request(
                url, "GET", f"/student/{student.id}", headers=[("Cookie", cookie)]
            )
            assert status == 200
            for assignment in ASSIGNMENTS:
                row = re.search(rf'<tr id="part-{assignment}">(.*?)</tr>', body.decode(), re.S)
                assert row, (student.id, assignment)
                cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))
                value = want[student.id][assignment]
                if value is None:
                    assert "missing" in cells and "no hand-in" in cells, cells
                elif value < 100:
                    # to two decimals at most, no trailing zeros: the course's default
                    assert f"→ {round(value, 2):g}%" in cells, (student.id, cells)
                else:
                    assert "100%" in cells and "→" not in cells, (student.id, cells)


def test_a_skipped_assignment_is_no_hand_in_in_its_grades(term):
    course, graded = term
    for assignment in ("rnn_gradients", "lstm_backward"):
        with (graded / assignment / "grades.csv").open(encoding="utf-8") as stream:
            rows = {row["student"]: row for row in csv.DictReader(stream)}
        noor = rows["EE26B007"]
        assert noor["status"] == "missing" and "no hand-in" in noor["reason"], noor
        page = (graded / assignment / "EE26B007" / "feedback.html").read_text(encoding="utf-8")
        assert "NameError" not in page and "mistake" not in page.lower()
