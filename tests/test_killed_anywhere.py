"""Killed anywhere, resumed to the same end (issue 72): on a small course from ``grader init``,
each command that writes or sends (``collect``, ``grade``, ``final``, ``mail --send``) is run
once to its end, then, on a copy of the folder as it was, SIGKILLed (its whole process group)
at seeded moments over its run and run again as the docs say. Every rerun ends as the
uninterrupted run did: the same students' folders and lists, the same grades, every student's
feedback mailed once (or twice as one message), no scratch left behind. And ``collect`` run
while ``grade`` grades: no student recorded invalid for a notebook replaced under the grader.

The moments are times drawn from a seeded generator over the uninterrupted run's length: on a
busy machine they land elsewhere in the run, and the end must be the same wherever they land.
Kills at named moments, and between an SMTP server's 250 and the mailer's record, are in
tests/intake/test_collect_killed.py, tests/mail/test_mail.py and tests/watch/."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mailkit import gmail
from sandbox_fence import FENCE
from smtp_kit import PASSWORD, SENDER, USER, Mailbox, start

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "examples" / "lstm_gates"
GRADER = [sys.executable, "-m", "grader.cli"]
STUDENTS = {  # roster id: (name, address, the sample they hand in)
    "CS21B001": ("Asha Verma", "asha.verma@example.edu", "asha"),
    "CS21B002": ("Bhavin Shah", "bhavin.shah@example.edu", "bhavin"),
    "EE21B003": ("Chitra Iyer", "chitra.iyer@example.edu", "chitra"),
    "ME21B004": ("Esha Nair", "esha.nair@example.edu", "esha"),
}
SEEDS = (1, 2, 3)
SENT = datetime(2026, 1, 10, 9, tzinfo=UTC)


def run(command: list[str], folder: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def killed(command: list[str], folder: Path, after: float, env: dict | None = None) -> None:
    """``command`` in a process group of its own, SIGKILLed after ``after`` seconds (if it
    has not ended by then)."""
    process = subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        process.wait(after)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(60)


def timed(command: list[str], folder: Path, env: dict | None = None) -> float:
    began = time.monotonic()
    run(command, folder, env)
    return time.monotonic() - began


def moments(seconds: float) -> list[float]:
    return [random.Random(seed).uniform(0.02, 0.98) * seconds for seed in SEEDS]


def rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def lists(submissions: Path) -> dict[str, object]:
    """What collect leaves: the lists, and every file of the students' folders."""
    found: dict[str, object] = {
        name: rows(submissions / name)
        for name in ("index.csv", "REPLACED.csv", "REJECTED.csv", "UNATTRIBUTED.csv")
    }
    found["files"] = sorted(
        str(p.relative_to(submissions))
        for p in submissions.rglob("*")
        if p.is_file() and p.name != "all_submissions.pdf"
    )
    return found


def grades(graded: Path) -> list[dict[str, str]]:
    return [
        {key: value for key, value in row.items() if "time" not in key and "_at" not in key}
        for row in rows(graded / "grades.csv")
    ]


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """A course from ``grader init`` with four students, an inbox where one of them hands in a
    corrected notebook under a new name, and the folder after an uninterrupted collect."""
    root = tmp_path_factory.mktemp("term")
    folder = root / "lstm-course"
    run([*GRADER, "init", str(folder)], root)
    roster = "id,name,email,role\n" + "".join(
        f"{student},{name},{address},student\n" for student, (name, address, _) in STUDENTS.items()
    )
    (folder / "roster.csv").write_text(roster, encoding="utf-8")
    inbox = folder / "inbox"
    inbox.mkdir()
    for number, (name, address, sample) in enumerate(STUDENTS.values()):
        first = "bhavin" if sample == "asha" else sample  # asha's draft, then her correction
        mail = gmail(
            f"{name} <{address}>",
            SENT + timedelta(minutes=number),
            "Assignment 1",
            "My notebook is attached.",
            attachments=[
                (f"{name.split()[0]}_A1.ipynb", (SAMPLES / f"{first}.ipynb").read_bytes())
            ],
        )
        (inbox / f"{number}.eml").write_bytes(bytes(mail))
    corrected = gmail(
        "Asha Verma <asha.verma@example.edu>",
        SENT + timedelta(hours=3),
        "Assignment 1, corrected",
        "The forget gate is fixed.",
        attachments=[("Asha_A1_final.ipynb", (SAMPLES / "asha.ipynb").read_bytes())],
    )
    (inbox / "9.eml").write_bytes(bytes(corrected))
    collect = [*GRADER, "collect", "inbox", "--out", "submissions", "--roster", "roster.csv"]
    seconds = timed(collect, folder)
    return folder, collect, seconds


def copied(folder: Path, to: Path, *without: str) -> Path:
    shutil.copytree(folder, to, ignore=shutil.ignore_patterns(*without), symlinks=True)
    return to


def test_collect_killed_anywhere_ends_as_one_run(term, tmp_path):
    folder, collect, seconds = term
    expected = lists(folder / "submissions")
    assert [r["student"] for r in expected["REPLACED.csv"]] == ["CS21B001"]
    for number, after in enumerate(moments(seconds)):
        course = copied(folder, tmp_path / f"run{number}", "submissions")
        killed(collect, course, after)
        run(collect, course)
        assert lists(course / "submissions") == expected, f"killed after {after:.2f} s"
        assert not [p for p in (course / "submissions").glob(".collect-*") if p.is_dir()]


@pytest.fixture(scope="module")
def graded(term, tmp_path_factory):
    """The course graded once, uninterrupted (its TMPDIR its own)."""
    folder, _, _ = term
    temporary = tmp_path_factory.mktemp("tmp")
    env = {**os.environ, "TMPDIR": str(temporary)}
    grade = [*FENCE, *GRADER, "grade", "--assignment", "assignments/lstm_gates", "--seed", "4"]
    grade += ["--out", "graded/lstm_gates", "--workers", "1"]
    grade += sorted(f"submissions/{s}/" for s in STUDENTS)
    seconds = timed(grade, folder, env)
    run([*GRADER, "final", "--out", "graded"], folder)
    return grade, seconds, env, temporary


def test_grade_killed_anywhere_resumes_to_the_same_grades(term, graded, tmp_path):
    folder, _, _ = term
    grade, seconds, env, temporary = graded
    expected = grades(folder / "graded" / "lstm_gates")
    assert {r["student"]: r["score"] for r in expected}["CS21B001"] == "100"
    for number, after in enumerate(moments(seconds)[:1]):  # test_grade kills it mid-run too
        course = copied(folder, tmp_path / f"run{number}", "graded")
        killed(grade, course, after, env)
        run([*grade, "--resume"], course, env)
        assert grades(course / "graded" / "lstm_gates") == expected, f"killed after {after:.2f} s"
        left = [p.name for p in temporary.iterdir() if p.name.startswith("grader-")]
        assert not [n for n in left if n.startswith(("grader-bundles-", "grader-trial-"))]


def test_final_killed_anywhere_ends_as_one_run(term, graded, tmp_path):
    folder, _, _ = term
    final = [*GRADER, "final", "--out", "graded"]
    expected = rows(folder / "graded" / "final" / "final-grades.csv")
    assert len(expected) == len(STUDENTS)
    seconds = timed(final, copied(folder, tmp_path / "timing"))
    for number, after in enumerate(moments(seconds)):
        course = copied(folder, tmp_path / f"run{number}")
        shutil.rmtree(course / "graded" / "final")
        killed(final, course, after)
        run(final, course)
        assert rows(course / "graded" / "final" / "final-grades.csv") == expected


def test_mail_killed_anywhere_mails_each_student_once(term, graded, tmp_path, certificate):
    folder, _, _ = term
    env = {**os.environ, "GRADER_SMTP_USER": USER, "GRADER_SMTP_PASSWORD": PASSWORD}
    for number, fraction in enumerate((0.2, 0.5, 0.8)):
        course = copied(folder, tmp_path / f"run{number}")
        mailbox = Mailbox()
        controller = start(mailbox, certificate)
        mail = [*GRADER, "mail", "--out", "graded", "--from", SENDER, "--send"]
        mail += ["--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port)]
        mail += ["--cafile", str(certificate[0])]
        try:
            if number == 0:
                seconds = timed(mail, copied(folder, tmp_path / "timing"), env)
                reference = len(mailbox.received)
                assert reference == len(STUDENTS)
                mailbox.received.clear()
            killed(mail, course, fraction * seconds, env)
            run(mail, course, env)
        finally:
            controller.stop()
        ids: dict[str, set[str]] = defaultdict(set)
        for message in mailbox.received:
            ids[message["To"].addresses[0].addr_spec].add(message["Message-ID"])
        assert sorted(ids) == sorted(address for _, address, _ in STUDENTS.values())
        assert all(len(found) == 1 for found in ids.values()), ids  # once, or twice as one


def test_collect_beside_grade_never_blames_a_student(term, graded, tmp_path):
    """Asha's corrected notebook (a new file name) is collected while ``grade`` runs, after it
    listed her draft: she is graded (as either version), never recorded invalid, everyone else
    as in a run alone, and the next ``grade --resume`` grades the corrected one."""
    folder, collect, _ = term
    grade, _, env, _ = graded
    course = copied(folder, tmp_path / "course", "submissions", "graded")
    correction = (course / "inbox" / "9.eml").read_bytes()
    (course / "inbox" / "9.eml").unlink()
    run(collect, course)  # her draft only
    (course / "inbox" / "9.eml").write_bytes(correction)
    grading = subprocess.Popen(
        grade, cwd=course, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert grading.stderr is not None
    said = []
    for line in grading.stderr:  # listed, and the sandbox checked: collect now
        said.append(line)
        if line.startswith("sandbox checked"):
            break
    run(collect, course)
    said += grading.stderr.readlines()
    assert grading.wait(600) == 0, "".join(said)
    statuses = {row["student"]: row["status"] for row in grades(course / "graded" / "lstm_gates")}
    alone = {row["student"]: row["status"] for row in grades(folder / "graded" / "lstm_gates")}
    # (esha's sample is a download that broke off half-way: invalid, and rightly so)
    assert alone["CS21B001"] == "graded" and alone["ME21B004"] == "invalid"
    assert statuses == alone, "".join(said)
    run([*grade, "--resume"], course, env)
    scores = {row["student"]: row["score"] for row in grades(course / "graded" / "lstm_gates")}
    assert scores["CS21B001"] == "100"
