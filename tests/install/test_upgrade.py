"""A grader upgraded mid-term (issue 71): a course run by the wheel of an earlier commit of this
repository (284a878, whose builds were all 0.1.0) is carried on by this build, installed over it
by a plain ``pip install`` in the same virtualenv, as an instructor installs a bug-fix wheel in
week six.

The half term before the upgrade, on the earlier build: ``grader init``, ``assign`` lstm_gates
(class-wide), three students' hand-ins (each the released notebook with their own code, as
Colab downloads it) collected from a Gmail Takeout and graded, ``final``, the feedback written
for review and then mailed to a loopback SMTP server, and a regrade request by reply,
collected. After the upgrade: the
same hand-ins graded again (no student is told they edited the grader's cells; the same
scores), the same mailbox collected again (the request is not filed again), and a new hand-in
graded with ``--resume`` (only it is graded). The earlier build, installed back over the
folder this build has written, refuses or works, and corrupts nothing.

The virtualenv sees the checkout's locked dependencies (a .pth line to .venv's site-packages),
so each install is the wheel alone, as pip resolves it, in seconds; the earlier wheel is built
once into the tests' cache (its commit never changes)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest
import wheel_kit
from mailkit import gmail, outlook, takeout_mbox
from reply_kit import gmail_reply
from sandbox_fence import FENCE
from smtp_kit import PASSWORD, SENDER, USER, Mailbox, make_certificate, start

from grader.demo import set_this_terms_deadlines

pytestmark = [pytest.mark.slow, wheel_kit.NEEDS_HISTORY]  # an earlier commit's wheel

EARLIER = "284a878"  # the earlier build: every build then was 0.1.0
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lstm-grader-tests"
EXAMPLES = wheel_kit.ROOT / "examples"
# The students, as the example roster names them, and how each mails.
STUDENTS = {
    "asha": ("Asha Rao <asha.rao@example.edu>", "gmail"),
    "bhavin": ("Bhavin Patel <bhavin.patel@example.edu>", "outlook"),
    "chitra": ("Chitra Iyer <chitra.iyer@example.edu>", "gmail"),
}
LATE_COMER = ("dhaval", "Dhaval Shah <dhaval.shah@example.edu>")
# The notebooks are the repository's own samples, run inside the tests' pid fence without the
# product's sandbox: a virtualenv new to the sandbox is prepared for it at the first grading
# after each install (three minutes of compiling, tested in tests/engine/); what this test is
# about (the release each notebook came from, the gradebook, the requests) is the trusted side's.
GRADE = ["grade", "--assignment", "assignments/lstm_gates", "--out", "graded/lstm_gates"]
# One seed for every grading: a fresh seed per submission may draw cases that change the partial
# credit of the same code (1 seed in 400 gives chitra's lstm_forward an eighth more: its
# saturated case hides her wrong hidden state), which is not what an upgrade changes.
GRADE += ["--unsafe-no-sandbox", "--seed", "2026"]


class Install:
    """A virtualenv of the instructor's: ``pip`` installs into it, ``grader`` runs from it in
    the course folder."""

    def __init__(self, folder: Path) -> None:
        self.venv, self.course = folder / "venv", folder / "lstm-course"
        subprocess.run([sys.executable, "-m", "venv", self.venv], check=True)
        # the checkout's locked packages, after the venv's own (where the wheel goes)
        purelib = Path(sysconfig.get_paths()["purelib"])
        (site,) = (self.venv / "lib").glob("python3*/site-packages")
        (site / "checkout-lock.pth").write_text(f"{purelib}\n")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        self.env |= {"GRADER_SMTP_USER": USER, "GRADER_SMTP_PASSWORD": PASSWORD}

    def pip_install(self, wheel: Path) -> str:
        """``pip install <wheel>[instructor]``, plainly: no --force-reinstall, no --upgrade."""
        done = subprocess.run(
            [self.venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check",
             f"{wheel}[instructor]"],
            capture_output=True, text=True, env=self.env, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def grader(self, *arguments: str, fenced: bool = False, fails: bool = False) -> str:
        prefix = FENCE if fenced else []
        done = subprocess.run(
            [*prefix, self.venv / "bin" / "grader", *arguments],
            cwd=self.course if self.course.exists() else self.course.parent,
            capture_output=True, text=True, env=self.env, timeout=1200,
        )  # fmt: skip
        said = done.stdout + done.stderr
        assert "Traceback" not in said, said
        assert (done.returncode != 0) == fails, said
        return said


@pytest.fixture(scope="session")
def earlier_wheel() -> Path:
    return wheel_kit.commit_wheel(EARLIER, CACHE / f"wheel-{EARLIER}")


@pytest.fixture(scope="session")
def this_wheel(tmp_path_factory) -> Path:
    return wheel_kit.build_wheel(tmp_path_factory.mktemp("this-wheel"))


def _hand_in(released: Path, sample: str) -> bytes:
    """The released notebook with the sample student's code in its cells, as Colab downloads
    it: the grader's cells as released, untouched."""
    notebook = nbformat.read(released, as_version=4)
    theirs = {c.id: c for c in nbformat.read(EXAMPLES / "lstm_gates" / f"{sample}.ipynb", 4).cells}
    for cell in notebook.cells:
        if cell.cell_type == "code" and "grader" not in cell.metadata and cell.id in theirs:
            cell.source = theirs[cell.id].source
    return nbformat.writes(notebook).encode()


def _mail(sender: str, kind: str, sent: datetime, notebook: bytes):
    """A hand-in of lstm_gates.ipynb, as Gmail or Outlook sends it."""
    text = "Please find my lstm_gates notebook attached."
    if kind == "outlook":
        files = [("lstm_gates.ipynb", notebook, "application/octet-stream")]
        return outlook(sender, sent, "lstm_gates submission", text, f"<p>{text}</p>", files)
    files = [("lstm_gates.ipynb", notebook)]
    return gmail(sender, sent, "lstm_gates submission", text, attachments=files)


def _mailbox(path: Path, messages: list, started: datetime) -> Path:
    return takeout_mbox(
        path, messages, [started + timedelta(minutes=n) for n in range(len(messages))]
    )


def _scores(course: Path) -> dict[str, tuple[str, str]]:
    """Each student's score in grades.csv, to the two decimals a person reads (a build may
    write more of them), and status."""
    with (course / "graded" / "lstm_gates" / "grades.csv").open(encoding="utf-8") as handle:
        return {
            row["student"]: (f"{float(row['score']):.2f}", row["status"])
            for row in csv.DictReader(handle)
        }


def _finals(course: Path) -> dict[str, dict[str, str]]:
    """Each student's row of final-grades.csv (the class's, before the late comer's)."""
    with (course / "graded" / "final" / "final-grades.csv").open(encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return {student: rows[student] for student in STUDENTS}


def _warnings(course: Path, student: str) -> str:
    results = course / "graded" / "lstm_gates" / student / "results.json"
    return json.loads(results.read_text(encoding="utf-8"))["output"]


def _told(course: Path, student: str) -> tuple:
    """What a student's feedback page tells, as its results.json gives it: the summary, each
    function's points and verdict, its hints' codes (the page's time and seed aside)."""
    results = course / "graded" / "lstm_gates" / student / "results.json"
    data = json.loads(results.read_text(encoding="utf-8"))
    tests = [(t["name"], t["score"], t["status"]) for t in data["tests"]]
    hints = data["extra_data"].get("hints", {})
    codes = {name: [hint["code"] for hint in found] for name, found in hints.items()}
    return data["output"], tests, codes


def _requests(course: Path) -> list[tuple]:
    with sqlite3.connect(course / "graded" / "gradebook.sqlite") as book:
        return book.execute(
            "SELECT id, student, state FROM regrade_requests ORDER BY id"
        ).fetchall()


def _results_rows(course: Path) -> int:
    with sqlite3.connect(course / "graded" / "lstm_gates" / "gradebook.sqlite") as book:
        return book.execute("SELECT count(*) FROM results").fetchone()[0]


def test_a_term_carried_on_by_a_newer_wheel_installed_over_the_earlier(
    tmp_path, earlier_wheel, this_wheel
):
    install = Install(tmp_path)
    install.pip_install(earlier_wheel)
    assert install.grader("--version").strip() == "grader 0.1.0"
    certificate = make_certificate(tmp_path)
    mailbox = Mailbox()
    smtp = start(mailbox, certificate)
    try:
        _the_half_term_and_the_upgrade(install, tmp_path, earlier_wheel, this_wheel, smtp, mailbox,
                                       certificate)  # fmt: skip
    finally:
        smtp.stop()


def _the_half_term_and_the_upgrade(install, tmp_path, earlier_wheel, this_wheel, smtp, mailbox,
                                   certificate) -> None:  # fmt: skip
    course = install.course
    mail = ["mail", "--out", "graded", "--from", SENDER, "--send", "--smtp-host", "127.0.0.1",
            "--smtp-port", str(smtp.port), "--cafile", str(certificate[0])]  # fmt: skip

    # --- the half term on the earlier build ------------------------------------------------
    install.grader("init", "lstm-course")
    shutil.copy(EXAMPLES / "course" / "roster.csv", course / "roster.csv")  # the class
    set_this_terms_deadlines(course / "course.toml")  # the hand-ins below are on time
    install.grader("assign", "assignments/lstm_gates", "--out", "release/")
    released = course / "release" / "lstm_gates.ipynb"
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    hand_ins = [
        _mail(sender, kind, started, _hand_in(released, sample))
        for sample, (sender, kind) in STUDENTS.items()
    ]
    inbox = _mailbox(course / "inbox.mbox", hand_ins, started)
    install.grader("collect", "inbox.mbox", "--out", "submissions/", "--roster", "roster.csv")
    install.grader(*GRADE, *(f"submissions/{s}/" for s in STUDENTS), fenced=True)
    before = _scores(course)
    assert set(before) == set(STUDENTS) and before["asha"] == ("100.00", "graded"), before
    told = {student: _told(course, student) for student in STUDENTS}
    for student in STUDENTS:
        assert "Grader cell changed" not in _warnings(course, student), student
    install.grader("final", "--out", "graded")
    install.grader(*mail[: mail.index("--send")])  # the copies for review, as the docs say
    install.grader(*mail)
    # everyone on the roster gets their standing; the three their lstm_gates feedback too
    feedback = {str(m["To"].addresses[0].addr_spec).split(".")[0]: m for m in mailbox.received}
    assert set(STUDENTS) | {LATE_COMER[0]} <= set(feedback), sorted(feedback)
    asked = gmail_reply(
        STUDENTS["bhavin"][0], feedback["bhavin"],
        "regrade lstm_cell: my cell passes the equation, h_t = o_t * tanh(C_t).",
    )  # fmt: skip
    _mailbox(inbox, [*hand_ins, asked], started)
    collect = ["collect", "inbox.mbox", "--out", "submissions/", "--roster", "roster.csv"]
    collect += ["--graded", "graded"]
    install.grader(*collect)
    filed = _requests(course)
    assert [(n, s) for n, s, _ in filed] == [(1, "bhavin")], filed
    with sqlite3.connect(course / "graded" / "gradebook.sqlite") as book:
        mailed = book.execute("SELECT count(DISTINCT message_id) FROM mail_sent").fetchone()[0]
    finals = _finals(course)

    # --- the upgrade: this build's wheel, by a plain pip install ------------------------------
    said = install.pip_install(this_wheel)
    assert "Successfully installed lstm-course-grader" in said, said
    version = this_wheel.name.split("-")[1]  # the checkout's version as the wheel was built
    assert version.startswith("0.2.") and install.grader("--version").strip() == f"grader {version}"
    # the feedback mailed before is the feedback this build would mail (the figures its review
    # copies state, the pages they attach): none sent again, nobody listed as changed
    mailed_before = len(mailbox.received)
    assert "grades changed" not in install.grader("final", "--out", "graded")
    assert "grades changed" not in install.grader(*mail)
    assert len(mailbox.received) == mailed_before, mailbox.received[mailed_before:]

    # the same hand-ins graded again: nobody told they edited the grader's cells, same scores
    install.grader(*GRADE, *(f"submissions/{s}/" for s in STUDENTS), fenced=True)
    assert _scores(course) == before
    for student in STUDENTS:
        assert "Grader cell changed" not in _warnings(course, student), student
    # the same mailbox collected again: the request already filed is not filed again
    install.grader(*collect)
    assert _requests(course) == filed
    # the step docs/admins/upgrading.md gives a course released before 0.2: release again over
    # the notebook given out, which is recorded first; both releases are accepted from then on
    given_out = shutil.copy(released, tmp_path / "given-out.ipynb")
    install.grader("assign", "assignments/lstm_gates", "--out", "release/")
    record = json.loads((course / "releases" / "lstm_gates.json").read_text())
    earlier, this = (release["owned"] for release in record["releases"])
    assert [r["version"] for r in record["releases"]] == ["before 0.2", version]
    assert earlier["self-check"] != this["self-check"]  # what made every page say "edited"
    # a late hand-in, from the release the earlier build made: only it is graded
    late = _mail(LATE_COMER[1], "gmail", datetime.now(UTC), _hand_in(given_out, LATE_COMER[0]))
    _mailbox(inbox, [*hand_ins, asked, late], started)
    install.grader(*collect)
    everyone = [f"submissions/{s}/" for s in [*STUDENTS, "dhaval"]]
    graded = install.grader(*GRADE, "--resume", *everyone, fenced=True)
    rows = _results_rows(course)
    assert rows == 2 * len(STUDENTS) + 1, graded
    assert "Grader cell changed" not in _warnings(course, "dhaval")
    assert _scores(course)["dhaval"][1] == "graded"
    install.grader("final", "--out", "graded")
    sent_before = len(mailbox.received)
    install.grader(*mail)
    newly = sorted(
        str(m["To"].addresses[0].addr_spec).split(".")[0] for m in mailbox.received[sent_before:]
    )
    # dhaval's hand-in is new, and so is a page graded again that tells something the earlier
    # build's did not (a hint it did not give); a page that tells the same (asha's full marks:
    # no hint under any build) is no news, though it says when it was graded again; the rest
    # of the class was mailed before and is not again
    changed = [student for student in STUDENTS if _told(course, student) != told[student]]
    assert newly == sorted([*changed, LATE_COMER[0]]) and "asha" not in newly, newly
    with sqlite3.connect(course / "graded" / "gradebook.sqlite") as book:
        # each message sent once: a mail an earlier build sent is recorded under this build's
        # identity of it too, with its own Message-ID
        sent = book.execute("SELECT count(DISTINCT message_id) FROM mail_sent").fetchone()[0]
        assert sent == mailed + len(newly)
    assert {s: _scores(course)[s] for s in before} == before
    assert {s: _finals(course)[s] for s in before} == finals  # the same final grades

    # --- the earlier build on the folder this build wrote: refuses or works, never corrupts --
    install.pip_install(earlier_wheel)
    assert install.grader("--version").strip() == "grader 0.1.0"
    final = subprocess.run(
        [install.venv / "bin" / "grader", "final", "--out", "graded"],
        cwd=course, capture_output=True, text=True, env=install.env, timeout=600,
    )  # fmt: skip
    assert "Traceback" not in final.stderr, final.stderr
    assert final.returncode == 0 or len(final.stderr.strip().splitlines()) == 1, final.stderr
    install.pip_install(this_wheel)
    install.grader("final", "--out", "graded")
    assert _requests(course) == filed
    assert _results_rows(course) == rows
    assert {s: _scores(course)[s] for s in before} == before
    assert {s: _finals(course)[s] for s in before} == finals
    shutil.rmtree(install.venv)  # the test's only large leftover
