"""``grader mail --send`` after a plain re-grade (issue 71): the re-grade rewrites every
feedback page (it says when it was graded, and a new seed draws new cases), but a
student whose score, verdicts and hints came out the same is not mailed again; one whose score
changed is. A mail recorded under the first facts identity (the pages' bytes) is known by it.
The samples are harmless and graded in the test process, in the real sandbox (run
pytest inside ``unshare --pid --fork``)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from course_kit import make_course
from smtp_kit import PASSWORD, USER, mail_once

from grader import cli
from grader.gradebook.course_book import CourseBook
from grader.lms.final import grades_of
from grader.mail.composing import build_messages

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "lstm_gates"
ROSTER = (
    "id,name,email,role\n"
    "asha,Asha Rao,asha.rao@example.edu,student\n"
    "bhavin,Bhavin Patel,bhavin.patel@example.edu,student\n"
    "chitra,Chitra Iyer,chitra.iyer@example.edu,student\n"
)


def _grade(out: Path, hand_ins: Path, seed: int) -> None:
    """``grader grade --seed SEED`` of every notebook in ``hand_ins``.

    The seeds are given: a fresh one may draw cases that change the partial credit of the same
    code (1 seed in 400 gives chitra's lstm_forward an eighth more: its saturated case hides
    her wrong hidden state), which is not what this test looks at. Two different seeds still
    draw new cases for the re-grade."""
    notebooks = [str(path) for path in sorted(hand_ins.glob("*.ipynb"))]
    graded = ["grade", "--assignment", str(ROOT / "assignments" / "lstm_gates")]
    graded += ["--seed", str(seed)]
    assert cli.main([*graded, "--out", str(out / "lstm_gates"), *notebooks]) == 0


def _send(course, out: Path, certificate, monkeypatch) -> list[str]:
    """One ``grader mail --send``: whom it mailed."""
    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", PASSWORD)
    mailbox = mail_once(course, out, certificate)
    return sorted(str(m["To"].addresses[0].addr_spec).split(".")[0] for m in mailbox.received)


def _page(out: Path, student: str) -> str:
    return hashlib.sha256((out / "lstm_gates" / student / "feedback.html").read_bytes()).hexdigest()


def _told(out: Path, student: str) -> dict:
    """What the student's graded page tells them, from its results.json: the score, the
    summary, each function's points and verdict, and the hints' codes."""
    results = json.loads((out / "lstm_gates" / student / "results.json").read_text())
    return {
        "score": results["score"],
        "summary": results["output"],
        "functions": [(t["name"], t["score"], t["status"]) for t in results["tests"]],
        "hints": {
            name: [hint["code"] for hint in found]
            for name, found in results["extra_data"]["hints"].items()
        },
    }


def test_a_regrade_that_changes_nothing_they_read_mails_nobody_again(
    tmp_path, certificate, monkeypatch
):
    course, projects = make_course(tmp_path, ROSTER)
    out, hand_ins = tmp_path / "graded", tmp_path / "hand-ins"
    hand_ins.mkdir()
    for student in ("asha", "bhavin", "chitra"):  # full marks; a wrong gate; a wrong state
        shutil.copy(SAMPLES / f"{student}.ipynb", hand_ins / f"{student}.ipynb")
    _grade(out, hand_ins, seed=1)
    # asha was mailed these pages by a grader of the first facts identity (the pages' bytes)
    with CourseBook(out / "gradebook.sqlite") as book:
        grades = grades_of(course, projects, out)
        built = build_messages(course, grades, projects, book, out, "ta@example.edu")
        (asha,) = [message for message in built if message.student == "asha"]
        (earlier,) = asha.earlier_digests
        assert earlier.startswith("facts-1:") and earlier != asha.digest
        book.record_sent("asha", earlier, "<1@earlier>", asha.recipients)
    assert _send(course, out, certificate, monkeypatch) == ["bhavin", "chitra"]
    with CourseBook(out / "gradebook.sqlite") as book:
        assert {r["digest"]: r["message_id"] for r in book.sent("asha")}[asha.digest] == (
            "<1@earlier>"
        )
    pages = {student: _page(out, student) for student in ("asha", "bhavin")}
    told = _told(out, "bhavin")

    # chitra's corrected notebook (asha's right code), graded with the others again
    shutil.copy(SAMPLES / "asha.ipynb", hand_ins / "chitra.ipynb")
    _grade(out, hand_ins, seed=2)
    assert all(_page(out, s) != pages[s] for s in pages)  # every page written anew
    assert _told(out, "bhavin") == told  # the same code graded again tells the same
    assert _send(course, out, certificate, monkeypatch) == ["chitra"]
    assert _send(course, out, certificate, monkeypatch) == []  # and nobody a third time
