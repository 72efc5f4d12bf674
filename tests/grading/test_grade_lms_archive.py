"""``grader grade`` on folders collected from an LMS's download scores each notebook as it
scores the same notebook mailed (issue 90): each archive is one more source of the same
hand-ins. The samples are harmless and run in the real sandbox (run pytest inside
``unshare --pid --fork``)."""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from course_kit import make_course
from lms_archive_kit import (
    ROSTER,
    blackboard_attempt,
    blackboard_grade_center,
    canvas_gradebook,
    canvas_prefix,
    canvas_upload,
    d2l_entry,
    d2l_grades,
    gradescope_metadata,
    moodle_entry,
    moodle_worksheet,
    zipped,
)
from mailkit import gmail

from grader.cli import main
from grader.grading import remote
from grader.grading.grader_process import grade_safely, plan_for
from grader.grading.submissions import find_submissions

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLES = ROOT / "examples" / "lstm_gates"
SENT = datetime(2026, 12, 10, 9, tzinfo=UTC)
# roster id, first, last, address, LMS id, sample notebook
STUDENTS = [
    ("2023001", "Jürgen", "Müller", "jmuller@example.edu", 48213, "asha"),
    ("2023002", "Ana", "Pérez-Núñez", "aperez@example.edu", 48214, "bhavin"),
]
Made = tuple[dict[str, bytes], Callable[[Path], Path]]  # the entries; the export written


def _sample(name: str) -> bytes:
    return (SAMPLES / f"{name}.ipynb").read_bytes()


def canvas() -> Made:
    entries = {
        canvas_upload(canvas_prefix(f"{last}, {first}", uid, False), uid + 1, "lstm_lab.ipynb"):
        _sample(sample)
        for _, first, last, _, uid, sample in STUDENTS
    }  # fmt: skip
    people = [
        (f"{last}, {first}", uid, sid, a.split("@")[0]) for sid, first, last, a, uid, _ in STUDENTS
    ]
    return entries, lambda folder: canvas_gradebook(people, folder / "gradebook.csv")


def moodle() -> Made:
    entries = {
        moodle_entry(f"{first} {last}", uid, "lstm_lab.ipynb", True): _sample(sample)
        for _, first, last, _, uid, sample in STUDENTS
    }
    rows = [(uid, f"{first} {last}", a, sid, "Thursday, 10 December 2026, 2:30 PM")
            for sid, first, last, a, uid, _ in STUDENTS]  # fmt: skip
    return entries, lambda folder: moodle_worksheet(rows, folder / "worksheet.csv")


def blackboard() -> Made:
    entries: dict[str, bytes] = {}
    for _, first, last, address, _, sample in STUDENTS:
        user = address.split("@")[0]
        entries |= blackboard_attempt(
            "Assignment 1", user, f"{first} {last}", "2026-12-10-14-30-00",
            "Thursday, 10 December 2026 14:30:00 o'clock IST", {"lstm_lab.ipynb": _sample(sample)},
        )  # fmt: skip
    rows = [(last, first, a.split("@")[0], sid) for sid, first, last, a, _, _ in STUDENTS]
    return entries, lambda folder: blackboard_grade_center(rows, folder / "gc.xls")


def d2l() -> Made:
    entries = {
        d2l_entry(f"{uid}-1", f"{first} {last}", "Dec 10, 2026 230 PM", "lstm_lab.ipynb"):
        _sample(sample)
        for _, first, last, _, uid, sample in STUDENTS
    }  # fmt: skip
    rows = [(sid, a.split("@")[0], last, first, a) for sid, first, last, a, _, _ in STUDENTS]
    return entries, lambda folder: d2l_grades(rows, folder / "grades.csv")


def gradescope() -> Made:
    records = {
        f"submission_{uid}": {
            "submitters": [(f"{first} {last}", sid, address)],
            "created_at": "2026-12-10 09:00:00.000000000 Z",
        }
        for sid, first, last, address, uid, _ in STUDENTS
    }
    entries = {"assignment_1_export/submission_metadata.yml": gradescope_metadata(records)}
    for _, _, _, _, uid, sample in STUDENTS:
        entries[f"assignment_1_export/submission_{uid}/lstm_lab.ipynb"] = _sample(sample)
    roster = "".join(f"{first},{last},{sid},{a}\n" for sid, first, last, a, _, _ in STUDENTS)

    def export(folder: Path) -> Path:
        (folder / "roster.csv").write_text("First Name,Last Name,SID,Email\n" + roster)
        return folder / "roster.csv"

    return entries, export


def scores(submissions: Path, tmp_path: Path, name: str) -> dict[str, tuple]:
    plan = plan_for(ASSIGNMENT, tmp_path / f"graded-{name}")
    folders = [submissions / student for student, *_ in STUDENTS]
    found = find_submissions(folders, plan.config, tmp_path / f"scratch-{name}")
    rows = [grade_safely(hand_in, plan, seed=7) for hand_in in found]
    return {row.student: (row.status, row.score, row.max_score) for row in rows}


@pytest.fixture(scope="module")
def mailed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """The same notebooks mailed by the same students, collected and graded."""
    tmp_path = tmp_path_factory.mktemp("mailed")
    course, _ = make_course(tmp_path, ROSTER)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for student, first, last, address, _, sample in STUDENTS:
        mail = gmail(f"{first} {last} <{address}>", SENT, "Assignment 1", "Attached.",
                     attachments=[("lstm_lab.ipynb", _sample(sample))])  # fmt: skip
        (inbox / f"{student}.eml").write_bytes(bytes(mail))
    out = tmp_path / "mailed"
    assert main(["collect", str(inbox), "--course", str(course.path), "--out", str(out)]) == 0
    graded = scores(out, tmp_path, "mail")
    assert graded["2023001"][0] == "graded" and graded["2023001"][1] > graded["2023002"][1]
    return graded


@pytest.mark.parametrize("made_by", [canvas, moodle, blackboard, d2l, gradescope])
def test_a_download_grades_as_the_same_notebooks_mailed(
    tmp_path: Path, mailed: dict[str, tuple], made_by: Callable[[], Made]
) -> None:
    course, _ = make_course(tmp_path, ROSTER)
    entries, export = made_by()
    archive = tmp_path / "submissions.zip"
    archive.write_bytes(zipped(entries))
    out = tmp_path / "collected"
    args = ["--course", str(course.path), "--assignment", "lstm_gates", "--out", str(out)]
    assert main(["collect", str(archive), *args, "--lms-export", str(export(tmp_path))]) == 0
    assert scores(out, tmp_path, made_by.__name__) == mailed


BROKEN_ZIP = b"PK\x03\x04 not a zip: the upload was cut short"


@pytest.mark.parametrize("source", ["mail", "canvas"])
def test_a_notebook_beside_a_broken_zip_grades_as_it_would_alone(
    tmp_path: Path, mailed: dict[str, tuple], source: str
) -> None:
    """Issue 95: each student's notebook beside a ``results.zip`` that is no zip is collected
    and graded as the same notebook mailed alone; the zip is listed by its name."""
    course, _ = make_course(tmp_path, ROSTER)
    out = tmp_path / "collected"
    args = ["--course", str(course.path), "--out", str(out)]
    if source == "mail":
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        for student, first, last, address, _, sample in STUDENTS:
            mail = gmail(f"{first} {last} <{address}>", SENT, "Assignment 1", "Attached.",
                         attachments=[("lstm_lab.ipynb", _sample(sample)),
                                      ("results.zip", BROKEN_ZIP)])  # fmt: skip
            (inbox / f"{student}.eml").write_bytes(bytes(mail))
        assert main(["collect", str(inbox), *args]) == 0
    else:
        entries, export = canvas()
        for _, first, last, _, uid, _ in STUDENTS:
            prefix = canvas_prefix(f"{last}, {first}", uid, False)
            entries[canvas_upload(prefix, uid + 2, "results.zip")] = BROKEN_ZIP
        archive = tmp_path / "submissions.zip"
        archive.write_bytes(zipped(entries))
        lms = ["--assignment", "lstm_gates", "--lms-export", str(export(tmp_path))]
        assert main(["collect", str(archive), *args, *lms]) == 0
    with (out / "REJECTED.csv").open(encoding="utf-8") as stream:
        rejected = sorted(line.split(",")[1] for line in stream.read().splitlines()[1:])
    assert rejected == [student for student, *_ in STUDENTS]
    assert "results.zip: not a readable zip" in (out / "REJECTED.csv").read_text()
    assert scores(out, tmp_path, source) == mailed
    said = "results.zip could not be read (not a readable zip"
    for student, *_ in STUDENTS:  # the student's feedback names it, near the top
        graded = tmp_path / f"graded-{source}" / student
        page = html.unescape((graded / "feedback.html").read_text(encoding="utf-8"))
        assert said in page.split("Score:", 1)[1].split("<h2>", 1)[0]
        assert "the rest of your hand-in was graded" in page
        results = json.loads((graded / "results.json").read_text(encoding="utf-8"))
        assert results["output"].startswith(said)
        assert list(results["extra_data"]["unreadable"]) == ["results.zip"]


def test_a_dask_worker_names_the_file_that_could_not_be_read(tmp_path: Path) -> None:
    """On a cluster the hand-in travels as plain data: what collect could not read goes too."""
    course, _ = make_course(tmp_path, ROSTER)
    entries, export = canvas()
    student, first, last, _, uid, _ = STUDENTS[0]
    prefix = canvas_prefix(f"{last}, {first}", uid, False)
    entries[canvas_upload(prefix, uid + 2, "results.zip")] = BROKEN_ZIP
    archive = tmp_path / "submissions.zip"
    archive.write_bytes(zipped(entries))
    out = tmp_path / "collected"
    args = ["--course", str(course.path), "--assignment", "lstm_gates", "--out", str(out)]
    assert main(["collect", str(archive), *args, "--lms-export", str(export(tmp_path))]) == 0
    plan = plan_for(ASSIGNMENT, tmp_path / "graded")
    [hand_in] = find_submissions([out / student], plan.config, tmp_path / "scratch")
    job = remote.job_of(plan, None, False)
    try:
        done = remote.graded(job, remote.hand_in_of(hand_in, plan), seed=7)
    finally:  # outside a worker the job's plan is in the system's temporary folder
        shutil.rmtree(remote._plan(job).config.directory.parent)
    page = html.unescape(done["files"][f"{student}/feedback.html"].decode())
    assert "results.zip could not be read (not a readable zip" in page
