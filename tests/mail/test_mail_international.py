"""Roster addresses beyond ASCII, sent through a real SMTP server on loopback (aiosmtpd), with
and without SMTPUTF8 (RFC 6531) offered: a local part beyond ASCII goes out as UTF-8 where the
server takes it, and where it does not that one student is told of, not sent, not recorded, and
sent by the next run; a domain beyond ASCII goes as its IDNA A-labels to any server; a domain
that is no domain name is the roster's error. The watch's replies take the same road."""

from __future__ import annotations

import email
import email.policy

import pytest
from course_kit import ROSTER, make_course
from smtp_kit import PASSWORD, SENDER, USER, Mailbox, header_lines, mail_args, start

from grader import cli
from grader.gradebook.course_book import CourseBook

TOMAS = "tomás.garcía@uni.example"
ANA, ANA_ASCII = "ana.lima@universität.example", "ana.lima@xn--universitt-y5a.example"
ROSTER_WIDE = ROSTER + (f"SE21B007,Tomás García,{TOMAS},student\nBT21B055,Ana Lima,{ANA},student\n")


@pytest.fixture
def course(tmp_path):
    course, projects = make_course(tmp_path, roster=ROSTER_WIDE)
    return course, tmp_path / "graded"


@pytest.fixture
def credentials(monkeypatch):
    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", PASSWORD)


def _send(course, out, certificate, smtputf8: bool) -> tuple[int, Mailbox]:
    mailbox = Mailbox()
    controller = start(mailbox, certificate, smtputf8=smtputf8)
    try:
        return cli.main(mail_args(course, out, controller, certificate)), mailbox
    finally:
        controller.stop()


def _sent(out) -> list[str]:
    with CourseBook(out / "gradebook.sqlite") as book:
        return sorted(row["student"] for row in book.sent())


def test_a_local_part_beyond_ascii_goes_out_as_utf8_where_the_server_offers_smtputf8(
    course, certificate, credentials, capsys
):
    course, out = course
    code, mailbox = _send(course, out, certificate, smtputf8=True)
    assert code == 0
    assert "sent 5, already sent before 0, rejected 0" in capsys.readouterr().out
    [(raw, (rcpt, options))] = [
        (raw, envelope)
        for raw, envelope in zip(mailbox.raw, mailbox.envelopes, strict=True)
        if TOMAS in envelope[0]
    ]
    assert rcpt == [TOMAS] and "SMTPUTF8" in options
    # the address as written, UTF-8 (RFC 6532): never an encoded-word, which names no mailbox
    assert header_lines(raw, "To") == [f"To: Tomás García <{TOMAS}>"]


def test_without_smtputf8_that_student_is_told_of_the_rest_go_and_the_next_run_sends_it(
    course, certificate, credentials, capsys
):
    course, out = course
    code, mailbox = _send(course, out, certificate, smtputf8=False)
    assert code == 1
    captured = capsys.readouterr()
    assert "sent 4, already sent before 0, rejected 1" in captured.out
    [line] = [line for line in captured.err.splitlines() if line.startswith("  rejected:")]
    assert f"SE21B007: {TOMAS} has letters beyond ASCII" in line
    assert "SMTPUTF8" in line and "give this student an ASCII address in the roster" in line
    assert "Traceback" not in captured.err
    assert sorted(envelope[0][0] for envelope in mailbox.envelopes) == sorted(
        [
            "asha.verma@example.edu",
            "rahul.menon@example.edu",
            "priya.nair@example.edu",
            ANA_ASCII,
        ]
    )
    assert "SE21B007" not in _sent(out)  # not recorded as sent: the next run tries it again

    code, mailbox = _send(course, out, certificate, smtputf8=True)
    assert code == 0
    assert "sent 1, already sent before 4, rejected 0" in capsys.readouterr().out
    assert [envelope[0] for envelope in mailbox.envelopes] == [[TOMAS]]
    assert "SE21B007" in _sent(out)


def test_a_domain_beyond_ascii_goes_as_its_a_labels_to_a_server_without_smtputf8(
    course, certificate, credentials
):
    course, out = course
    _, mailbox = _send(course, out, certificate, smtputf8=False)
    [(raw, (_, options))] = [
        (raw, envelope)
        for raw, envelope in zip(mailbox.raw, mailbox.envelopes, strict=True)
        if envelope[0] == [ANA_ASCII]
    ]
    assert "SMTPUTF8" not in options
    assert header_lines(raw, "To") == [f"To: Ana Lima <{ANA_ASCII}>"]


def test_the_eml_for_review_writes_a_local_part_beyond_ascii_as_utf8(course, capsys):
    course, out = course
    assert (
        cli.main(["mail", "--course", str(course.path), "--out", str(out), "--from", SENDER]) == 0
    )
    raw = (out / "mail" / "SE21B007.eml").read_bytes()
    assert header_lines(raw, "To") == [f"To: Tomás García <{TOMAS}>"]
    # read as RFC 6532 says, the headers UTF-8 (Python's bytes parser leaves them undecoded)
    message = email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == TOMAS


def test_a_roster_domain_that_is_no_domain_name_is_the_rosters_error(tmp_path, capsys):
    roster = ROSTER + "SE21B007,Tomás García,tomas@-uni-ü.example,student\n"
    course, _ = make_course(tmp_path, roster=roster)
    args = ["mail", "--course", str(course.path), "--out", str(tmp_path / "graded")]
    code = cli.main([*args, "--from", SENDER])
    assert code != 0
    err = capsys.readouterr().err
    assert "'tomas@-uni-ü.example' is not an email address" in err
    assert "the part after @ is not a valid domain name" in err and "Traceback" not in err


def test_a_watch_reply_to_a_local_part_beyond_ascii_waits_for_a_server_with_smtputf8(
    tmp_path, certificate, credentials
):
    from grader.mail import addresses, smtp
    from grader.mail.composing import MAIL_POLICY, sender_address
    from grader.watch import replies

    thread = replies.Thread("INBOX/7", "<hand-in.7@uni.example>", (), "Assignment 1")
    to = addresses.recipient("Tomás García", TOMAS)  # as the watch answers a hand-in's From:
    digest, student, address, raw = replies.reply(
        sender_address(SENDER), "SE21B007", to, thread, "feedback:7", "Score: 9 / 10"
    )
    # as the watch's queue holds it and Loop.send_replies reads it back
    outgoing = smtp.Outgoing(
        student, [address], email.message_from_bytes(raw, policy=MAIL_POLICY), digest
    )
    with CourseBook(tmp_path / "gradebook.sqlite") as book:
        for smtputf8 in (False, True):
            mailbox = Mailbox()
            controller = start(mailbox, certificate, smtputf8=smtputf8)
            server = smtp.Smtp("127.0.0.1", controller.port, "starttls", certificate[0])
            try:
                report = smtp.send([outgoing], server, book)
            finally:
                controller.stop()
            assert book.was_sent(student, digest) is smtputf8  # kept for the next round till then
    assert report.sent == ["SE21B007"]
    assert header_lines(mailbox.raw[0], "To") == [f"To: Tomás García <{TOMAS}>"]
    assert header_lines(mailbox.raw[0], "In-Reply-To") == ["In-Reply-To: <hand-in.7@uni.example>"]
