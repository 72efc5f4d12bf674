"""Feedback mail as mail servers and filters take it, delivered through a real SMTP server on
loopback (smtp_kit): a Date and a Message-ID in every message, display names with commas,
quotes and Devanagari arriving as the roster writes them, and a login whose password is not
ASCII, by AUTH PLAIN and by AUTH LOGIN, after STARTTLS."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from email.headerregistry import Address

import pytest
from course_kit import WIDE_ROSTER, make_course
from smtp_kit import (
    OUTLOOK_IDS,
    PASSWORD,
    USER,
    Mailbox,
    header_lines,
    mail_args,
    start,
    threads_as_written,
)

from grader import cli
from grader.gradebook.course_book import CourseBook
from grader.mail.composing import MAIL_POLICY, compose
from grader.mail.smtp import Outgoing, Smtp, send

NON_ASCII_PASSWORD = "Pässwörd-ñ-密码 ✓"
NAMES = {
    "asha.verma@example.edu": "Asha Verma",
    "rahul.menon@example.edu": "Rahul Menon",
    "priya.nair@example.edu": "Priya Nair",
    "zoe.unal@example.edu": 'Ünal, Zoë "Z"',
    "ananya.sharma@example.edu": "अनन्या शर्मा",
}


@pytest.fixture
def course(tmp_path):
    course, projects = make_course(tmp_path, WIDE_ROSTER)
    out = tmp_path / "graded"
    with CourseBook(out / "gradebook.sqlite") as book:
        for criterion in projects.rubric.criteria:
            book.set_mark("SE21B007", "project1", criterion.id, criterion.points, "", by="ta")
    return course, out


def send_args(course, out, controller, certificate) -> list[str]:
    return mail_args(
        course, out, controller, certificate, sender='"LSTM course, IIT" <lstm-course@example.edu>'
    )


def dated_and_identified(message: email.message.EmailMessage) -> None:
    when = email.utils.parsedate_to_datetime(message["Date"])
    assert isinstance(when, datetime) and when.tzinfo is not None
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@example.edu>")


def test_every_message_written_for_review_has_a_date_and_a_message_id(course):
    course, out = course
    args = ["mail", "--course", str(course.path), "--out", str(out), "--from", "ta@example.edu"]
    assert cli.main(args) == 0
    files = sorted((out / "mail").glob("*.eml"))
    assert len(files) == 5  # PH21B011 has no email
    ids = set()
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        dated_and_identified(message)
        ids.add(message["Message-ID"])
    assert len(ids) == 5


def deliver(course, out, certificate, password: str, mechanisms: tuple[str, ...] = ()):
    """Run ``grader mail --send`` against a server that takes ``password``; its mailbox."""
    mailbox = Mailbox(password=password)
    controller = start(mailbox, certificate, mechanisms=mechanisms)
    try:
        assert cli.main(send_args(course, out, controller, certificate)) == 0
    finally:
        controller.stop()
    return mailbox


def test_names_with_commas_quotes_and_devanagari_arrive_as_written(
    course, certificate, monkeypatch
):
    course, out = course
    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", PASSWORD)
    mailbox = deliver(course, out, certificate, PASSWORD)
    received = {m["To"].addresses[0].addr_spec: m for m in mailbox.received}
    assert {a: m["To"].addresses[0].display_name for a, m in received.items()} == NAMES
    for message in received.values():
        dated_and_identified(message)
        sender = message["From"].addresses[0]
        assert (sender.display_name, sender.addr_spec) == (
            "LSTM course, IIT",
            "lstm-course@example.edu",
        )
    zoe = received["zoe.unal@example.edu"]
    assert 'Dear Ünal, Zoë "Z",' in zoe.get_body(("plain",)).get_content()
    with CourseBook(out / "gradebook.sqlite") as book:
        recorded = {s["message_id"] for s in book.sent()}
    assert recorded == {m["Message-ID"] for m in received.values()}


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_non_ascii_password_logs_in_after_starttls(
    course, certificate, monkeypatch, capsys, mechanism
):
    course, out = course
    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", NON_ASCII_PASSWORD)
    mailbox = deliver(course, out, certificate, NON_ASCII_PASSWORD, (mechanism,))
    assert "sent 5, already sent before 0, rejected 0" in capsys.readouterr().out
    assert mailbox.logins == [mechanism]
    assert len(mailbox.received) == 5


def test_a_wrong_non_ascii_password_is_refused_clearly(course, certificate, monkeypatch, capsys):
    course, out = course
    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", "Pässwort")
    controller = start(Mailbox(password=NON_ASCII_PASSWORD), certificate)
    try:
        assert cli.main(send_args(course, out, controller, certificate)) == 2
    finally:
        controller.stop()
    err = capsys.readouterr().err
    assert "the SMTP server refused the login (535)" in err and "Traceback" not in err


def test_compose_makes_a_reply_in_the_thread():
    sender = Address("LSTM course", addr_spec="lstm-course@example.edu")
    student = Address('Ünal, Zoë "Z"', addr_spec="zoe.unal@example.edu")
    reply = compose(
        sender,
        student,
        "Re: hand-in",
        "Received, thank you.",
        attachments=[("receipt.txt", b"ok\n")],
        in_reply_to="<b@mail.gmail.com>",
        references=["<a@mail.gmail.com>"],
    )
    parsed = email.message_from_bytes(reply.as_bytes(), policy=email.policy.default)
    assert parsed["In-Reply-To"] == "<b@mail.gmail.com>"
    assert parsed["References"] == "<a@mail.gmail.com> <b@mail.gmail.com>"
    dated_and_identified(parsed)
    assert parsed["To"].addresses[0].display_name == 'Ünal, Zoë "Z"'
    [attachment] = parsed.iter_attachments()
    assert attachment.get_content_type() == "text/plain"
    assert attachment.get_content() == "ok\n"


def test_a_reply_to_outlook_mail_names_its_message_ids_as_written(
    certificate, tmp_path, monkeypatch
):
    assert {len(identifier) for identifier in OUTLOOK_IDS} == {83, 84}
    *earlier, parent = OUTLOOK_IDS
    sender = Address("LSTM course", addr_spec="lstm-course@example.edu")
    student = Address("Asha Rao", addr_spec="asha.rao@outlook.com")
    reply = compose(
        sender, student, "Re: Assignment 1", "Received.", in_reply_to=parent, references=earlier
    )
    threads_as_written(reply.as_bytes(), parent, tuple(earlier))
    # and as it reaches the student: read back from the watch's queue and sent through SMTP
    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", PASSWORD)
    queued = email.message_from_bytes(reply.as_bytes(), policy=MAIL_POLICY)
    mailbox = Mailbox()
    controller = start(mailbox, certificate)
    try:
        server = Smtp("127.0.0.1", controller.port, "starttls", certificate[0])
        with CourseBook(tmp_path / "gradebook.sqlite") as book:
            outgoing = Outgoing("asha", [student.addr_spec], queued, "digest")
            assert send([outgoing], server, book).sent == ["asha"]
    finally:
        controller.stop()
    [raw] = mailbox.raw
    threads_as_written(raw, parent, tuple(earlier))
    assert header_lines(raw, "Message-ID")[0].startswith("Message-ID: <")


def test_course_mail_from_a_long_domain_keeps_its_message_id_whole(course):
    course, out = course
    sender = "LSTM course <lstm-course@students.cse.department-of-computing.iitmadras.ac.in>"
    args = ["mail", "--course", str(course.path), "--out", str(out), "--from", sender]
    assert cli.main(args) == 0
    for path in sorted((out / "mail").glob("*.eml")):
        [line] = header_lines(path.read_bytes(), "Message-ID")
        assert line.startswith("Message-ID: <") and line.endswith(".iitmadras.ac.in>")
