"""Feedback mail as mail servers and filters take it, delivered through a real SMTP server on
loopback (smtp_kit): a Date and a Message-ID in every message, display names with commas,
quotes and Devanagari arriving as the roster writes them, and a login whose password is not
ASCII, by AUTH PLAIN and by AUTH LOGIN, after STARTTLS."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime

import pytest
from course_kit import WIDE_ROSTER, make_course
from smtp_kit import PASSWORD, USER, Mailbox, make_certificate, start

from grader import cli
from grader.course.book import CourseBook

NON_ASCII_PASSWORD = "Pässwörd-ñ-密码 ✓"
NAMES = {
    "asha.verma@example.edu": "Asha Verma",
    "rahul.menon@example.edu": "Rahul Menon",
    "priya.nair@example.edu": "Priya Nair",
    "zoe.unal@example.edu": 'Ünal, Zoë "Z"',
    "ananya.sharma@example.edu": "अनन्या शर्मा",
}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def course(tmp_path):
    course, projects = make_course(tmp_path, WIDE_ROSTER)
    out = tmp_path / "graded"
    with CourseBook(out / "gradebook.sqlite") as book:
        for criterion in projects.rubric.criteria:
            book.set_mark("SE21B007", "project1", criterion.id, criterion.points, "", by="ta")
    return course, out


def send_args(course, out, controller, certificate) -> list[str]:
    return [
        "mail",
        "--course",
        str(course.path),
        "--out",
        str(out),
        "--from",
        '"LSTM course, IIT" <lstm-course@example.edu>',
        "--send",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(controller.port),
        "--cafile",
        str(certificate[0]),
    ]


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
