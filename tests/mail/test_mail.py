"""``grader mail`` against a real SMTP server on loopback (aiosmtpd, with AUTH, STARTTLS or
implicit TLS and a self-signed certificate made here): what the students receive, a stop half
way and a restart that sends nothing twice, a refused recipient reported while the rest go on."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys

import pytest
from course_kit import make_course
from disk_kit import needs_root_mounts, with_full
from smtp_kit import PASSWORD, USER, Mailbox, mail_args, mail_once, start

from grader import cli
from grader.gradebook.course_book import CourseBook


@pytest.fixture
def course(tmp_path):
    course, projects = make_course(tmp_path)
    out = tmp_path / "graded"
    with CourseBook(out / "gradebook.sqlite") as book:
        for student in ("CS21B042", "EE21B017", "ME21B103"):
            for criterion in projects.rubric.criteria:
                comment = "Figures <b>explained</b> well" if criterion.id == "visualization" else ""
                book.set_mark(student, "project1", criterion.id, criterion.points, comment, by="ta")
    return course, out


@pytest.fixture
def credentials(monkeypatch):
    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", PASSWORD)


def test_without_send_it_writes_eml_files_for_review(course, capsys):
    course, out = course
    code = cli.main(
        ["mail", "--course", str(course.path), "--out", str(out), "--from", "TA <ta@example.edu>"]
    )
    assert code == 0
    files = sorted((out / "mail").glob("*.eml"))
    assert [f.stem for f in files] == ["CS21B042", "EE21B017", "ME21B103"]
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "Asha Verma <asha.verma@example.edu>"
    text = message.get_body(("plain",)).get_content()
    assert "Project 1: 100%" in text and "Standing so far: 100 out of 100" in text
    assert "Assignment 1: LSTM gates: pending (not graded yet)" in text
    html = message.get_body(("html",)).get_content()
    assert "<table" in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "project1-feedback.html"
    page = attachment.get_content()
    assert "Figures &lt;b&gt;explained&lt;/b&gt; well" in page  # escaped, not live HTML
    assert "checks:" not in page and "ta," not in page  # the marker's notes stay with the marker
    with CourseBook(out / "gradebook.sqlite") as book:
        assert book.sent() == []


@needs_root_mounts
def test_a_full_disk_for_the_eml_files_is_one_line_naming_their_folder(course, tmp_path):
    course, out = course
    folder = tmp_path / "review"
    folder.mkdir()
    mail = [sys.executable, "-m", "grader.cli", "mail", "--course", str(course.path)]
    mail += ["--out", str(out), "--from", "'TA <ta@example.edu>'", "--eml", str(folder)]
    # a 64 kB disk: the first message's feedback page does not fit
    done = with_full(folder, " ".join(mail), size="64k", taken=60_000)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    (said,) = [line for line in done.stderr.splitlines() if line.startswith("grader mail: ")]
    assert said.startswith(f"grader mail: the disk is full: {folder} (")
    assert "run the same command again" in said


def test_starttls_with_login_delivers_one_message_per_student(
    course, certificate, credentials, capsys
):
    course, out = course
    mailbox = mail_once(course, out, certificate)
    assert sorted(m["To"].addresses[0].addr_spec for m in mailbox.received) == [
        "asha.verma@example.edu",
        "priya.nair@example.edu",
        "rahul.menon@example.edu",
    ]
    assert mailbox.logins  # it logged in, after STARTTLS (the server requires it)
    said = capsys.readouterr()
    assert "sent 3, already sent before 0, rejected 0" in said.out
    # counts and the time left, one line a message (issue 67: progress on every long stage)
    progress = [line for line in said.err.splitlines() if line.startswith("[")]
    assert progress[0].startswith("[1/3] ") and "(time left known after the next)" in progress[0]
    assert progress[1].startswith("[2/3] ") and progress[1].endswith(" left)"), progress
    assert progress[2].startswith("[3/3] ") and progress[2].endswith(": sent (done)"), progress
    with CourseBook(out / "gradebook.sqlite") as book:
        assert len(book.sent()) == 3


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(course, certificate, credentials):
    course, out = course
    mailbox = Mailbox()
    controller = start(mailbox, certificate, implicit_tls=True)
    try:
        assert cli.main(mail_args(course, out, controller, certificate, "--security", "tls")) == 0
    finally:
        controller.stop()
    assert len(mailbox.received) == 3


def test_a_wrong_password_is_a_clear_error(course, certificate, monkeypatch, capsys):
    course, out = course
    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", "wrong")
    controller = start(Mailbox(), certificate)
    try:
        assert cli.main(mail_args(course, out, controller, certificate)) == 2
    finally:
        controller.stop()
    assert "refused the login" in capsys.readouterr().err


def test_an_untrusted_certificate_is_refused(course, certificate, credentials, capsys):
    course, out = course
    controller = start(Mailbox(), certificate)
    try:
        args = mail_args(course, out, controller, certificate)
        args = args[: args.index("--cafile")]  # the self-signed certificate is not trusted
        assert cli.main(args) == 2
    finally:
        controller.stop()
    assert "CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().err


def test_a_refused_recipient_is_reported_and_the_rest_go_on(
    course, certificate, credentials, capsys
):
    course, out = course
    mailbox = Mailbox(refuse=True)
    controller = start(mailbox, certificate)
    try:
        assert cli.main(mail_args(course, out, controller, certificate)) == 1
    finally:
        controller.stop()
    captured = capsys.readouterr()
    assert [m["To"].addresses[0].addr_spec for m in mailbox.received] == [
        "asha.verma@example.edu",
        "priya.nair@example.edu",
    ]
    assert "rejected: EE21B017: rahul.menon@example.edu: 550" in captured.err
    with CourseBook(out / "gradebook.sqlite") as book:
        assert sorted(s["student"] for s in book.sent()) == ["CS21B042", "ME21B103"]


def test_a_run_stopped_half_way_and_started_again_sends_nothing_twice(course, certificate):
    course, out = course
    environment = logged_in()
    first = Mailbox(hold_at=2)
    controller, command = serving(first, course, out, certificate)
    try:
        sender = subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert first.holding.wait(60), "the second message never arrived"
        sender.kill()  # stopped half way: the second message was never accepted
        sender.wait(30)
    finally:
        controller.stop()
    assert [m["To"].addresses[0].addr_spec for m in first.received] == ["asha.verma@example.edu"]
    with CourseBook(out / "gradebook.sqlite") as book:
        assert [s["student"] for s in book.sent()] == ["CS21B042"]

    second = Mailbox()
    done = sent_again(course, out, second, certificate, environment)
    assert done.returncode == 0, done.stderr
    assert "sent 2, already sent before 1, rejected 0" in done.stdout
    assert [m["To"].addresses[0].addr_spec for m in second.received] == [
        "rahul.menon@example.edu",
        "priya.nair@example.edu",
    ]
    with CourseBook(out / "gradebook.sqlite") as book:
        assert sorted(s["student"] for s in book.sent()) == ["CS21B042", "EE21B017", "ME21B103"]


def logged_in() -> dict[str, str]:
    """The environment of a `grader mail --send` that logs in to the loopback server."""
    return {**os.environ, "GRADER_SMTP_USER": USER, "GRADER_SMTP_PASSWORD": PASSWORD}


def serving(mailbox: Mailbox, course, out, certificate):
    """A loopback server for ``mailbox``, and the `grader mail --send` command that uses it."""
    controller = start(mailbox, certificate)
    return controller, [
        sys.executable, "-m", "grader.cli", *mail_args(course, out, controller, certificate)
    ]  # fmt: skip


def sent_again(
    course, out, mailbox: Mailbox, certificate, environment
) -> subprocess.CompletedProcess:
    """`grader mail --send` run again, to its end, through a server with ``mailbox``."""
    controller, command = serving(mailbox, course, out, certificate)
    try:
        return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)
    finally:
        controller.stop()


def test_credentials_never_come_from_the_command_line():
    from grader.cli import build_parser

    parser = build_parser()
    help_text = parser._subparsers._group_actions[0].choices["mail"].format_help()
    assert "password" not in help_text.lower().replace("grader_smtp_password", "")


def test_a_run_killed_after_the_server_took_a_message_sends_it_again_as_the_same_message(
    course, certificate
):
    """SIGKILL of the mailer's process group once the server has taken the second message and
    before the mailer hears its 250: the rerun says that send was uncertain and sends it again
    with the first attempt's Message-ID and Date; every other student gets one message."""
    course, out = course
    environment = logged_in()
    first = Mailbox(kill_at=2)
    controller, command = serving(first, course, out, certificate)
    try:
        sender = subprocess.Popen(
            command,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        first.victim = sender.pid  # its process group: the new session's leader
        sender.wait(120)
    finally:
        controller.stop()
    assert first.killed.is_set(), "the server never reached the second message"
    assert sender.returncode == -9
    taken = [m["To"].addresses[0].addr_spec for m in first.received]
    assert taken == ["asha.verma@example.edu", "rahul.menon@example.edu"]
    with CourseBook(out / "gradebook.sqlite") as book:
        assert [s["student"] for s in book.sent()] == ["CS21B042"]

    second = Mailbox()
    done = sent_again(course, out, second, certificate, environment)
    assert done.returncode == 0, done.stderr
    assert "sent 2, already sent before 1, rejected 0" in done.stdout
    assert f"uncertain: EE21B017 {first.received[1]['Message-ID']}" in done.stdout
    assert "uncertain: ME21B103" not in done.stdout
    again = second.received[0]
    assert again["To"].addresses[0].addr_spec == "rahul.menon@example.edu"
    assert again["Message-ID"] == first.received[1]["Message-ID"]
    assert again["Date"] == first.received[1]["Date"]
    assert [m["To"].addresses[0].addr_spec for m in second.received[1:]] == [
        "priya.nair@example.edu"
    ]
    # Every student's feedback once, or twice as one message.
    every = first.received + second.received
    ids = {m["To"].addresses[0].addr_spec: set() for m in every}
    for message in every:
        ids[message["To"].addresses[0].addr_spec].add(message["Message-ID"])
    assert all(len(found) == 1 for found in ids.values()), ids
    with CourseBook(out / "gradebook.sqlite") as book:
        assert sorted(s["student"] for s in book.sent()) == ["CS21B042", "EE21B017", "ME21B103"]
        mid = {s["student"]: s["message_id"] for s in book.sent()}
    assert mid["EE21B017"] == first.received[1]["Message-ID"]

    third = Mailbox()
    done = sent_again(course, out, third, certificate, environment)
    assert "sent 0, already sent before 3" in done.stdout and "uncertain" not in done.stdout
    assert third.received == []
