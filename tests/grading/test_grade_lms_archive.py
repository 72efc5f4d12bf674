"""``grader grade`` on folders collected from an LMS's download scores each notebook as it
scores the same notebook mailed (issue 90): the archive is one more source of the same
hand-ins. The samples are harmless and run in the real sandbox (run pytest inside
``unshare --pid --fork``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from course_kit import make_course
from lms_archive_kit import ROSTER, canvas_gradebook, canvas_prefix, canvas_upload, zipped
from mailkit import gmail

from grader.cli import main
from grader.grading.grader_process import grade_safely, plan_for
from grader.grading.submissions import find_submissions

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLES = ROOT / "examples" / "lstm_gates"
SENT = datetime(2026, 12, 10, 9, tzinfo=UTC)
STUDENTS = [  # roster id, name, address, Canvas sortable name and user id, sample notebook
    ("2023001", "Jürgen Müller", "jmuller@example.edu", "Müller, Jürgen", 48213, "asha"),
    ("2023002", "Ana Pérez-Núñez", "aperez@example.edu", "Pérez-Núñez, Ana", 48214, "bhavin"),
]


def scores(submissions: Path, tmp_path: Path, name: str) -> dict[str, tuple]:
    plan = plan_for(ASSIGNMENT, tmp_path / f"graded-{name}")
    folders = [submissions / student for student, *_ in STUDENTS]
    found = find_submissions(folders, plan.config, tmp_path / f"scratch-{name}")
    rows = [grade_safely(hand_in, plan, seed=7) for hand_in in found]
    return {row.student: (row.status, row.score, row.max_score) for row in rows}


def test_a_canvas_download_grades_as_the_same_notebooks_mailed(tmp_path: Path) -> None:
    course, _ = make_course(tmp_path, ROSTER)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    entries, people = {}, []
    for student, name, address, sortable, user_id, sample in STUDENTS:
        data = (SAMPLES / f"{sample}.ipynb").read_bytes()
        mail = gmail(f"{name} <{address}>", SENT, "Assignment 1", "Attached.",
                     attachments=[("lstm_lab.ipynb", data)])  # fmt: skip
        (inbox / f"{student}.eml").write_bytes(bytes(mail))
        entries[
            canvas_upload(canvas_prefix(sortable, user_id, False), user_id + 1, "lstm_lab.ipynb")
        ] = data
        people.append((sortable, user_id, student, address.split("@")[0]))
    archive = tmp_path / "submissions.zip"
    archive.write_bytes(zipped(entries))
    export = canvas_gradebook(people, tmp_path / "gradebook.csv")
    mailed, canvas = tmp_path / "mailed", tmp_path / "canvas"
    common = ["--course", str(course.path), "--assignment", "lstm_gates"]
    assert main(["collect", str(inbox), "--course", str(course.path), "--out", str(mailed)]) == 0
    assert (
        main(["collect", str(archive), *common, "--lms-export", str(export), "--out", str(canvas)])
        == 0
    )
    by_mail, by_canvas = scores(mailed, tmp_path, "mail"), scores(canvas, tmp_path, "canvas")
    assert by_canvas == by_mail
    assert by_mail["2023001"][0] == "graded" and by_mail["2023001"][1] > by_mail["2023002"][1]
