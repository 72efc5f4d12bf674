"""``grader watch`` against real servers on loopback: Dovecot for the course's mailbox (TLS,
its own password file, Gmail-style folders) and aiosmtpd for the replies. The watch runs as
the command does, inside the tests' pid fence, and grades in the sandbox as always."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from course_kit import ROOT
from imap_kit import HAND_INS, Dovecot, needs_dovecot
from mailkit import bounce, gmail, notebook, release_mail, titled_report
from project_notebooks import keras_forecaster
from sandbox_fence import FENCE
from smtp_kit import (
    OUTLOOK_IDS,
    SENDER,
    Mailbox,
    free_port,
    make_certificate,
    start,
    threads_as_written,
)
from watch_kit import (
    NAMES,
    ROSTER,
    environment,
    escaping_zip_hand_in,
    notebook_hand_in,
    surname,
    watch_command,
)

from grader.cli import main
from grader.course.config import load_course
from grader.demo import set_this_terms_deadlines
from grader.gradebook.results import Gradebook
from grader.intake.common import MERGED_PDF
from grader.mail.composing import MAIL_POLICY
from grader.watch.staging import STAGING

pytestmark = [needs_dovecot, pytest.mark.slow]


def from_outlook(message: EmailMessage, own: str, earlier: tuple[str, ...]) -> bytes:
    """``message`` as Outlook writes one in a thread: its Message-ID and References of
    Outlook's length (83-84 characters each), unfolded."""
    del message["Message-ID"]
    message["Message-ID"], message["References"] = own, " ".join(earlier)
    return message.as_bytes(policy=MAIL_POLICY.clone(linesep="\r\n"))


def once(
    course: Path, imap: Dovecot, smtp, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        watch_command(course, imap, smtp, "--once", *extra),
        env=env or environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def results(course: Path) -> list:
    path = course.parent.parent / "graded" / "lstm_gates" / "gradebook.sqlite"
    if not path.exists():
        return []
    with Gradebook(path) as book:
        return [row for student in NAMES for row in book.history(student)]


def test_a_hand_in_is_answered_with_its_feedback_in_its_thread(course, imap, smtp) -> None:
    mailbox = smtp[0]
    hand_in = notebook_hand_in("asha")
    imap.deliver(from_outlook(hand_in, OUTLOOK_IDS[2], OUTLOOK_IDS[:2]))
    staff = gmail("Kiran Rao <kiran.rao@example.edu>", datetime.now(UTC), "Office hours", "4pm")
    imap.deliver(staff.as_bytes())
    stranger = gmail("Someone <someone@example.org>", datetime.now(UTC), "Hello", "a question")
    imap.deliver(stranger.as_bytes())
    done = once(course, imap, smtp)
    assert len(mailbox.received) == 1, done.stderr
    reply = mailbox.received[0]
    assert reply["To"].addresses[0].addr_spec == "asha.rao@example.edu"
    assert reply["In-Reply-To"] == hand_in["Message-ID"]
    assert hand_in["Message-ID"] in reply["References"].split()
    assert reply["Subject"] == "Re: Assignment 1"
    threads_as_written(mailbox.raw[0], OUTLOOK_IDS[2], OUTLOOK_IDS[:2])
    text = reply.get_body(("plain",)).get_content()
    assert "Score:" in text and "was graded at" in text
    pages = [part.get_filename() for part in reply.iter_attachments()]
    assert pages == ["lstm_gates-feedback.html"]
    assert "kiran.rao@example.edu: staff" in done.stderr or "skipped" in done.stderr
    assert (course.parent.parent / "submissions" / "asha" / "manifest.json").is_file()
    assert all(b"\\Seen" not in flags for flags in imap.flags())

    again = once(course, imap, smtp)
    assert len(mailbox.received) == 1, again.stderr
    assert len(results(course)) == 1


def test_hand_ins_sharing_a_message_id_are_each_answered_and_a_copy_is_not(
    course, imap, smtp
) -> None:
    """A department's form mails every hand-in with one Message-ID: each is a hand-in of its
    own; the same message again (the server's copy under a new UID) is answered once."""
    mailbox = smtp[0]
    fixed = "<assignment-1@forms.example.edu>"
    sent = []
    for student in ("asha", "bhavin"):
        hand_in = notebook_hand_in(student)
        hand_in.replace_header("Message-ID", fixed)
        sent.append(hand_in.as_bytes())
        imap.deliver(sent[-1])
    line_end = b"\r\n" if b"\r\n" in sent[0] else b"\n"
    imap.deliver(b"X-Copied-By: the server's filter" + line_end + sent[0])
    done = once(course, imap, smtp)
    answered = sorted(m["To"].addresses[0].addr_spec for m in mailbox.received)
    assert answered == ["asha.rao@example.edu", "bhavin.patel@example.edu"], done.stderr
    assert len(results(course)) == 2


def test_late_and_project_hand_ins_get_receipts_without_grading(
    course, imap, smtp, tmp_path
) -> None:
    mailbox = smtp[0]
    planted = keras_forecaster("scaler-fit-before-split")  # what `grader bundle` told her too
    deadline = load_course(course).component("lstm_gates").deadline
    assert deadline is not None
    late = notebook_hand_in("bhavin", sent=deadline + timedelta(days=6, hours=14, minutes=31))
    imap.deliver(from_outlook(late, OUTLOOK_IDS[1], OUTLOOK_IDS[:1]))
    project = gmail(
        "Chitra Iyer <chitra.iyer@example.edu>",
        datetime.now(UTC),
        "Project 1",
        "Project 1 attached.",
        attachments=[
            ("project1.ipynb", planted.write(tmp_path / "project1.ipynb").read_bytes()),
            ("report.pdf", titled_report("Project 1: sentiment")),
        ],
    )
    imap.deliver(from_outlook(project, OUTLOOK_IDS[2], OUTLOOK_IDS[:2]))
    done = once(course, imap, smtp)
    by_address = {m["To"].addresses[0].addr_spec: m for m in mailbox.received}
    raw = {
        m["To"].addresses[0].addr_spec: r
        for m, r in zip(mailbox.received, mailbox.raw, strict=True)
    }
    threads_as_written(raw["bhavin.patel@example.edu"], OUTLOOK_IDS[1], OUTLOOK_IDS[:1])
    threads_as_written(raw["chitra.iyer@example.edu"], OUTLOOK_IDS[2], OUTLOOK_IDS[:2])
    assert sorted(by_address) == ["bhavin.patel@example.edu", "chitra.iyer@example.edu"]
    late_text = by_address["bhavin.patel@example.edu"].get_body(("plain",)).get_content()
    assert "after the deadline" in late_text and "-" in late_text and "late" in late_text
    receipt = by_address["chitra.iyer@example.edu"].get_body(("plain",)).get_content()
    assert "report: report.pdf" in receipt and "notebook: opens" in receipt
    assert "report: fails --check" in receipt or "report: passes --check" in receipt
    assert "dataset: missing" in receipt
    cell, line = planted.place("scaler-fit-before-split")
    assert "checks of substance (as `grader bundle` told before sending):" in receipt
    assert (
        f"pitfall scaler-fit-before-split (cell {cell}, line {line}): The MinMaxScaler" in receipt
    )
    assert "model: uses an LSTM: LSTM, 32 units" in receipt
    assert by_address["chitra.iyer@example.edu"]["In-Reply-To"] == project["Message-ID"]
    assert results(course) == [], done.stderr


def test_a_hand_in_that_cannot_be_taken_is_answered_with_why(course, imap, smtp) -> None:
    mailbox = smtp[0]
    hand_in = escaping_zip_hand_in("Asha Rao <asha.rao@example.edu>")
    imap.deliver(from_outlook(hand_in, OUTLOOK_IDS[0], ()))
    done = once(course, imap, smtp)
    assert len(mailbox.received) == 1, done.stderr
    reply = mailbox.received[0]
    assert reply["In-Reply-To"] == hand_in["Message-ID"]
    threads_as_written(mailbox.raw[0], OUTLOOK_IDS[0], ())
    assert "could not be taken as a hand-in" in reply.get_body(("plain",)).get_content()
    assert results(course) == []


@pytest.mark.parametrize("auto_submitted", [False, True])
def test_a_bounce_of_the_release_mail_is_no_hand_in_and_gets_no_answer(
    course, imap, smtp, auto_submitted
) -> None:
    mailbox = smtp[0]
    released = (ROOT / "examples" / "lstm_gates" / "asha.ipynb").read_bytes()
    returned = release_mail(
        SENDER, "asha.rao@example.edu", "asha", datetime.now(UTC), "lstm_gates.ipynb", released
    )
    report = bounce(
        returned, "asha.rao@example.edu", datetime.now(UTC), auto_submitted=auto_submitted
    )
    imap.deliver(report)
    done = once(course, imap, smtp)
    assert mailbox.received == [], done.stderr
    assert results(course) == []
    assert not (course.parent.parent / "submissions" / "asha").exists()
    assert "bounce" in done.stderr


def test_over_the_hourly_cap_the_student_is_told_when(course, imap, smtp) -> None:
    mailbox = smtp[0]
    imap.deliver(notebook_hand_in("asha").as_bytes())
    once(course, imap, smtp, "--max-per-hour", "1")
    imap.deliver(notebook_hand_in("asha").as_bytes())
    done = once(course, imap, smtp, "--max-per-hour", "1")
    assert len(mailbox.received) == 2, done.stderr
    text = mailbox.received[1].get_body(("plain",)).get_content()
    assert "graded 1 times in the last hour" in text and "will be graded at" in text
    assert len(results(course)) == 1


def test_a_restart_in_the_middle_of_a_burst_grades_and_mails_each_once(
    course, imap, tmp_path_factory
) -> None:
    certificate = make_certificate(tmp_path_factory.mktemp("burst-cert"))
    for student in NAMES:
        imap.deliver(notebook_hand_in(student).as_bytes())
    first = Mailbox(hold_at=2)
    controller = start(first, certificate)
    try:
        watch = subprocess.Popen(
            watch_command(course, imap, (first, controller, certificate), "--interval", "1"),
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert first.holding.wait(600), "the second reply never arrived"
        watch.send_signal(signal.SIGKILL)  # a crash: the fence takes the whole watch with it
        watch.wait(60)
    finally:
        controller.stop()
    assert len(first.received) == 1
    second = Mailbox()
    controller = start(second, certificate)
    try:
        once(course, imap, (second, controller, certificate))
    finally:
        controller.stop()
    answered = sorted(m["To"].addresses[0].addr_spec for m in first.received + second.received)
    assert answered == sorted(f"{s}.{surname(s)}@example.edu" for s in NAMES)
    assert sorted(row.student for row in results(course)) == sorted(NAMES)


def test_a_server_that_drops_the_connection_is_read_again(course, imap, smtp, tmp_path) -> None:
    mailbox = smtp[0]
    imap.make_folders(HAND_INS)
    log = (tmp_path / "watch.log").open("w+")
    watch = subprocess.Popen(
        watch_command(course, imap, smtp, "--interval", "0.5"),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        _wait(lambda: "watching" in Path(log.name).read_text(), watch)
        imap.stop()
        _wait(lambda: "trying again" in Path(log.name).read_text(), watch)
        imap.start()
        imap.deliver(notebook_hand_in("chitra").as_bytes())
        # The server has the reply a moment before the watch has its word that it did: the
        # kill waits for the watch to say it sent it (a kill in between is another test's).
        _wait(lambda: mailbox.received and "sent 1 reply" in Path(log.name).read_text(), watch)
    finally:
        watch.send_signal(signal.SIGKILL)
        watch.wait(60)
    said = Path(log.name).read_text()
    assert "Traceback" not in said
    assert [m["To"].addresses[0].addr_spec for m in mailbox.received] == ["chitra.iyer@example.edu"]
    overview = served_overview(course)
    assert "Mail watch" in overview and "last poll <strong>20" in overview
    assert "dropped the connection" in overview or "cannot reach" in overview
    assert "1 replies sent, <strong>0</strong> to send" in overview


def served_overview(course: Path) -> str:
    """The dashboard's first page, from `grader serve` on the watch's graded folder."""
    port, token = free_port(), "watch-test-token"
    server = subprocess.Popen(
        [*FENCE, sys.executable, "-m", "grader.cli", "serve", "--course", str(course)]
        + ["--out", str(course.parent.parent / "graded"), "--port", str(port)],
        env={**os.environ, "GRADER_SERVE_TOKEN": token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    dashboard = urllib.request.Request(
        f"http://127.0.0.1:{port}/", headers={"Authorization": f"token {token}"}
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(dashboard, timeout=30) as page:
                    return page.read().decode()
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        server.kill()
        server.wait(30)


def _wait(condition, process: subprocess.Popen, limit: float = 600) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert process.poll() is None, "the watch stopped"
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)


@contextmanager
def watching(course: Path, imap: Dovecot, smtp, log: Path, *extra: str):
    """The watch running (every 0.5 s) with its log in ``log``, once it says it is watching;
    killed at the end, as a crash would end it."""
    imap.make_folders(HAND_INS)
    watch = subprocess.Popen(
        watch_command(course, imap, smtp, "--interval", "0.5", *extra),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        _wait(lambda: "watching" in log.read_text(), watch)
        yield watch
    finally:
        watch.send_signal(signal.SIGKILL)
        watch.wait(60)


def test_a_wrong_password_is_a_clear_message(course, imap, smtp) -> None:
    done = subprocess.run(
        watch_command(course, imap, smtp, "--once"),
        env=environment("wrong password"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "refused the login" in done.stderr and "GRADER_IMAP_PASSWORD" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_wrong_password_ends_the_watch_with_one_line_that_says_it_stops(course, imap, smtp):
    # Watching (not --once), IMAP IDLE would listen too: nothing may say it goes on polling.
    done = subprocess.run(
        watch_command(course, imap, smtp, "--interval", "0.5"),
        env=environment("wrong password"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    said = [line for line in done.stderr.splitlines() if "refused" in line or "ERROR" in line]
    assert len(said) == 1 and "refused the login" in said[0], done.stderr
    assert "polling" not in done.stderr and "waiting again" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_hostile_notebook_is_graded_in_the_sandbox(course, imap, smtp, tmp_path) -> None:
    mailbox = smtp[0]
    target = tmp_path / "pwned"
    hostile = notebook(
        "# Assignment 1",
        f"import os, pathlib\npathlib.Path({str(target)!r}).write_text('x')\n"
        "os.system('kill -9 -1')",
    )
    imap.deliver(notebook_hand_in("bhavin", data=hostile).as_bytes())
    done = once(course, imap, smtp)
    assert not target.exists()
    assert len(mailbox.received) == 1, done.stderr
    text = mailbox.received[0].get_body(("plain",)).get_content()
    assert "Score: 0 /" in text or "could not be run" in text


class GradedAtArrival(Mailbox):
    """The SMTP side, noting how many notebooks the gradebook held as each reply arrived."""

    def __init__(self, gradebook: Path):
        super().__init__()
        self.gradebook = gradebook
        self.graded_then: list[int] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        with closing(sqlite3.connect(f"{self.gradebook.as_uri()}?mode=ro", uri=True)) as db:
            self.graded_then.append(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
        return await super().handle_DATA(server, session, envelope)


def slow(student: str, seconds: int) -> bytes:
    """The student's example notebook, with a last cell that takes ``seconds`` to run."""
    return _with_last_cell(student, f"import time\ntime.sleep({seconds})\n")


def slow_until(student: str, until: float, at_least: int) -> bytes:
    """The student's example notebook, with a last cell that runs until the time ``until``
    (``time.time()``'s), and ``at_least`` seconds when it starts later: slow for a grading
    started before then, quick for one started after."""
    wait = f"max({at_least}, {until!r} - time.time())"
    return _with_last_cell(student, f"import time\ntime.sleep({wait})\n")


def _with_last_cell(student: str, source: str) -> bytes:
    data = json.loads((ROOT / "examples" / "lstm_gates" / f"{student}.ipynb").read_bytes())
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": []}
    data["cells"].append({**cell, "source": [source]})
    return json.dumps(data).encode()


def test_the_first_of_a_burst_hears_back_before_the_rest_is_graded(
    course, imap, tmp_path_factory
) -> None:
    for student in NAMES:
        imap.deliver(notebook_hand_in(student, data=slow(student, 2)).as_bytes())
    certificate = make_certificate(tmp_path_factory.mktemp("early-cert"))
    gradebook = course.parent.parent / "graded" / "lstm_gates" / "gradebook.sqlite"
    mailbox = GradedAtArrival(gradebook)
    controller = start(mailbox, certificate)
    try:
        done = once(course, imap, (mailbox, controller, certificate), "--workers", "1")
    finally:
        controller.stop()
    assert len(mailbox.received) == len(NAMES), done.stderr
    # one grader, two seconds a notebook (eight for the four after the first): the first reply
    # left while the others were graded
    assert mailbox.graded_then[0] < len(NAMES), mailbox.graded_then
    assert sorted(row.student for row in results(course)) == sorted(NAMES)


def test_the_sandbox_is_tried_once_while_the_watch_runs(course, imap, smtp, tmp_path) -> None:
    mailbox = smtp[0]
    log = tmp_path / "watch.log"
    # polling only (every 0.5 s), as on a server without IMAP IDLE
    with watching(course, imap, smtp, log, "--no-idle") as watch:
        # the graders are ready; the assignment counts as graded only once a notebook is
        assert not (course.parent.parent / "graded" / "lstm_gates" / "gradebook.sqlite").exists()
        imap.deliver(notebook_hand_in("asha").as_bytes())
        _wait(lambda: len(mailbox.received) == 1, watch)
        imap.deliver(notebook_hand_in("bhavin").as_bytes())
        _wait(lambda: len(mailbox.received) == 2, watch)
    said = log.read_text()
    assert said.count("sandbox checked with a trial notebook") == 1, said
    assert not (course.parent.parent / "submissions" / MERGED_PDF).exists()
    assert "IDLE" not in said


def test_with_idle_a_hand_in_is_answered_long_before_the_next_poll(
    course, imap, smtp, tmp_path
) -> None:
    mailbox = smtp[0]
    log = tmp_path / "watch.log"
    with watching(course, imap, smtp, log, "--interval", "3600") as watch:
        imap.deliver(notebook_hand_in("asha").as_bytes())
        _wait(lambda: "sent 1 reply" in log.read_text(), watch, limit=300)
    assert [m["To"].addresses[0].addr_spec for m in mailbox.received] == ["asha.rao@example.edu"]
    said = log.read_text()
    assert "Traceback" not in said
    # the log follows the hand-in: delivered and seen, graded, sent
    assert re.search(r"UID=1: seen, delivered 20\S+ \S+ \(\d+\.\d s ago\)", said), said
    assert re.search(r"asha lstm_gates: [\d.]+/[\d.]+", said), said
    assert re.search(r"sent 1 reply: asha\b", said), said


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except OSError:  # gone meanwhile
            continue
    return found


def _forked_children(pid: int) -> list[int]:
    """The processes ``pid`` forked that still run as it does (its pool's workers)."""
    own = Path(f"/proc/{pid}/cmdline").read_bytes()
    found = []
    for child in _children(pid):
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes() == own:
                found.append(child)
        except OSError:
            continue
    return found


def test_a_grader_process_that_dies_is_no_score_and_the_watch_goes_on(
    course, imap, smtp, tmp_path
) -> None:
    mailbox = smtp[0]
    log = tmp_path / "watch.log"
    with watching(course, imap, smtp, log, "--workers", "1") as watch:
        (fenced,) = _children(watch.pid)  # the watch, inside the fence
        (worker,) = _forked_children(fenced)
        imap.deliver(notebook_hand_in("asha", data=slow("asha", 30)).as_bytes())
        _wait(lambda: "grading 1 notebook" in log.read_text(), watch)
        os.kill(worker, signal.SIGKILL)  # as the kernel's OOM killer would
        _wait(lambda: "the grader failed" in log.read_text(), watch)
        imap.deliver(notebook_hand_in("bhavin").as_bytes())
        _wait(lambda: mailbox.received, watch)
    said = log.read_text()
    assert "a grader process died" in said and "Traceback" not in said
    assert [m["To"].addresses[0].addr_spec for m in mailbox.received] == [
        "bhavin.patel@example.edu"
    ]
    assert said.count("sandbox checked with a trial notebook") == 2, said
    assert [row.student for row in results(course)] == ["bhavin"]


def test_a_grader_fault_gets_no_reply_and_the_sandbox_is_tried_again(
    course, imap, smtp, tmp_path
) -> None:
    mailbox = smtp[0]
    graded = course.parent.parent / "graded" / "lstm_gates"
    graded.mkdir(parents=True)
    (graded / "asha").write_text("a file where asha's feedback folder goes: the grader fails")
    log = tmp_path / "watch.log"
    with watching(course, imap, smtp, log) as watch:
        imap.deliver(notebook_hand_in("asha").as_bytes())
        _wait(lambda: "the grader failed" in log.read_text(), watch)
        for count, student in enumerate(("bhavin", "chitra"), 1):
            imap.deliver(notebook_hand_in(student).as_bytes())
            _wait(lambda count=count: len(mailbox.received) == count, watch)
    said = log.read_text()
    answered = [m["To"].addresses[0].addr_spec for m in mailbox.received]
    assert answered == ["bhavin.patel@example.edu", "chitra.iyer@example.edu"], said
    # at the start, and once more after the fault (not again for chitra)
    assert said.count("sandbox checked with a trial notebook") == 2, said
    assert [row.status for row in results(course) if row.student == "asha"] == ["error"]


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead and not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


# How long the killed watch's hand-in runs from its delivery: the watch is killed as soon as it
# says it is grading it, before its cells run (here 0.6 s after delivery).
KILLED_WATCH_GRADES_FOR_S = 10


def test_a_killed_watch_leaves_no_grader_running_and_its_staging_goes_at_the_next_start(
    course, imap, smtp, tmp_path
) -> None:
    temporary = tmp_path / "tmp"  # the watch's TMPDIR, where its staging went
    temporary.mkdir()
    env = {**environment(), "TMPDIR": str(temporary)}
    imap.make_folders(HAND_INS)
    log = tmp_path / "watch.log"
    watch_alone = watch_command(course, imap, smtp, "--interval", "0.5")[len(FENCE) :]
    # A shell first in the fence's pid namespace, the watch its child: killing the watch
    # kills it alone, as a crash or the OOM killer would outside any test fence.
    fence = subprocess.Popen(
        [*FENCE, "sh", "-c", '"$@" & wait; exec sleep 3600', "sh", *watch_alone],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        _wait(lambda: "watching" in log.read_text(), fence)
        (shell,) = _children(fence.pid)
        (watch,) = _children(shell)
        assert _forked_children(watch), "the watch started no graders"
        # Slow while this watch grades it (it is killed long before), quick when the next
        # start grades it again (its book kept the hand-in): that start runs after the kill.
        until = time.time() + KILLED_WATCH_GRADES_FOR_S
        imap.deliver(notebook_hand_in("asha", data=slow_until("asha", until, 3)).as_bytes())
        _wait(lambda: "grading 1 notebook" in log.read_text(), fence)
        os.kill(watch, signal.SIGKILL)
        # every grader and sandbox ends with the watch: before the hand-in's cells could have
        # ended by themselves (at `until`), so none ran on to the end of its notebook
        _wait(lambda: not [p for p in _descendants(shell) if _running(p)], fence, limit=120)
        assert time.time() < until, "the graders ran on after the watch was killed"
    finally:
        fence.kill()
        fence.wait(60)
    staging = course.parent.parent / "graded" / STAGING
    left = [path for path in staging.iterdir() if path.is_dir()]
    assert left, "the killed watch left no staging folder: nothing to clean"
    done = once(course, imap, smtp, env=env)
    assert "the staging folder of a watch that was killed" in done.stderr
    assert [path for path in staging.iterdir() if path.is_dir()] == []
    # (a killed grader's warm folder is the engine's, removed by a later start once it is
    # older than ENGINE.folder_claim_s: not the watch's staging)
    assert [path for path in temporary.iterdir() if not path.name.startswith("grader-warm-")] == []


def test_the_watch_grades_on_a_course_made_by_grader_init(imap, smtp, tmp_path) -> None:
    folder = tmp_path / "lstm-course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    course = folder / "course.toml"
    set_this_terms_deadlines(course)  # the hand-in, sent now, on time
    mailbox = smtp[0]
    # As the course's Gmail mailbox holds it: its receiving server's results on top.
    results_header = (
        b"Authentication-Results: mx.google.com; dkim=pass header.i=@example.edu;"
        b" spf=pass smtp.mailfrom=chitra.iyer@example.edu; dmarc=pass header.from=example.edu\n"
    )
    imap.deliver(results_header + notebook_hand_in("chitra").as_bytes())
    done = once(course, imap, smtp)
    assert [m["To"].addresses[0].addr_spec for m in mailbox.received] == [
        "chitra.iyer@example.edu"
    ], done.stderr
    assert "Score:" in mailbox.received[0].get_body(("plain",)).get_content()
    assert [(row.student, row.status) for row in results(course)] == [("chitra", "graded")]
    # Secure by default: it says that senders are not checked, and whom to trust ...
    unchecked = [line for line in done.stderr.splitlines() if "senders are not checked" in line]
    assert len(unchecked) == 1 and 'trusted_authserv_id = "mx.google.com"' in unchecked[0]
    # ... and, once told, says nothing.
    course.write_text(
        course.read_text() + '\n[mail]\ntrusted_authserv_id = "mx.google.com"\n', encoding="utf-8"
    )
    question = gmail(
        "Chitra Iyer <chitra.iyer@example.edu>",
        datetime.now(UTC),
        "Assignment 1 deadline",
        "Is the deadline at midnight?",
    )
    imap.deliver(results_header + question.as_bytes())
    done = once(course, imap, smtp)
    assert "collected 1 message(s)" in done.stderr
    assert "senders are not checked" not in done.stderr
