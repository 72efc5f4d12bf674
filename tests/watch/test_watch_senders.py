"""``grader watch`` with the course's trusted mail server (issue 64), on the loopback Dovecot
and SMTP servers: a hand-in whose From: the university's server says is forged is never taken
(not placed, not graded), the student it names is told at the roster's address and the forged
message's own addresses get nothing; a genuine resend replaces the earlier hand-in and its
receipt says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imap_kit import needs_dovecot
from mailkit import gmail, notebook, titled_report
from watch_kit import escaping_zip_hand_in, notebook_hand_in

from grader.cli import main
from tests.watch.test_watch import once, results

pytestmark = [needs_dovecot, pytest.mark.slow]

SERVER = "mx.example.edu"
PASSED = f"{SERVER}; spf=pass smtp.mailfrom=example.edu; dkim=pass header.d=example.edu"
FORGED = (
    f"{SERVER}; spf=fail smtp.mailfrom=example.edu; dkim=none; dmarc=fail header.from=example.edu"
)


def received_by_the_server(mail, result: str) -> bytes:
    """``mail`` as the university's server delivers it: its result on top."""
    raw = mail.as_bytes()
    end = b"\r\n" if b"\r\n" in raw else b"\n"
    return f"Authentication-Results: {result}".encode() + end + raw


def project(sent: datetime, code: str, forged: bool = False):
    mail = gmail(
        "Chitra Iyer <chitra.iyer@example.edu>",
        sent,
        "Project 1",
        "Project 1 attached.",
        attachments=[
            ("project1.ipynb", notebook("# Project 1: sentiment", code)),
            ("report.pdf", titled_report("Project 1: sentiment")),
        ],
    )
    if forged:
        mail["Reply-To"] = "prankster@elsewhere.example"
    return mail


def test_a_forged_hand_in_is_refused_and_its_victim_told(course: Path, imap, smtp) -> None:
    course.write_text(course.read_text() + f'\n[mail]\ntrusted_authserv_id = "{SERVER}"\n')
    mailbox = smtp[0]
    now = datetime.now(UTC).replace(microsecond=0)
    imap.deliver(received_by_the_server(project(now - timedelta(hours=2), "x = 1"), PASSED))
    forged = project(now - timedelta(hours=1), "x = 'forged'", forged=True)
    imap.deliver(received_by_the_server(forged, FORGED))
    graded_forgery = notebook_hand_in("asha", sent=now - timedelta(minutes=50))
    imap.deliver(received_by_the_server(graded_forgery, FORGED))
    resend = project(now - timedelta(minutes=30), "x = 2")
    imap.deliver(received_by_the_server(resend, PASSED))
    done = once(course, imap, smtp)

    sent = [(m["To"].addresses[0].addr_spec, m) for m in mailbox.received]
    assert sorted(to for to, _ in sent) == [
        "asha.rao@example.edu",
        "chitra.iyer@example.edu",
        "chitra.iyer@example.edu",
        "chitra.iyer@example.edu",
    ], done.stderr
    texts = {to: [] for to, _ in sent}
    for to, message in sent:
        texts[to].append(message.get_body(("plain",)).get_content())
    refused = [text for text in texts["chitra.iyer@example.edu"] if "was refused" in text]
    assert len(refused) == 1 and "DMARC failed" in refused[0] and "x = 'forged'" not in refused[0]
    notices = [m for _, m in sent if m["Subject"] == "A hand-in in your name was refused"]
    assert len(notices) == 2 and all(m["In-Reply-To"] is None for m in notices)
    (asha,) = texts["asha.rao@example.edu"]
    assert "A message sent in your name was refused" in asha and SERVER in asha
    assert results(course) == []  # the forged notebook is never graded as asha's
    receipts = [text for text in texts["chitra.iyer@example.edu"] if "was received" in text]
    assert len(receipts) == 2
    assert sum("replaces your earlier one" in text for text in receipts) == 1

    submissions = course.parent.parent / "submissions"
    manifest = json.loads((submissions / "chitra" / "manifest.json").read_text())
    placed = [email["sent_at"] for email in manifest["emails"]]
    assert len(placed) == 2  # the genuine two; the forged one never
    held = submissions / "chitra" / "project1" / "project1.ipynb"
    assert "x = 2" in held.read_text() and "forged" not in held.read_text()
    assert not (submissions / "asha").exists()
    unattributed = (submissions / "UNATTRIBUTED.csv").read_text()
    assert unattributed.count("DMARC failed") == 2


def test_a_forged_hand_in_that_cannot_be_taken_either_gets_its_from_nothing(
    course: Path, imap, smtp, tmp_path: Path
) -> None:
    # asha's roster row has a second address; the forgery uses it and carries a zip that
    # escapes its folder: only the refusal notice goes out, to the roster's first address
    course.write_text(course.read_text() + f'\n[mail]\ntrusted_authserv_id = "{SERVER}"\n')
    roster = course.parent / "roster.csv"
    roster.write_text(
        roster.read_text().replace(
            "asha.rao@example.edu", "asha.rao@example.edu;asha@alumni.example.edu"
        )
    )
    forged = escaping_zip_hand_in("Asha Rao <asha@alumni.example.edu>")
    raw = received_by_the_server(forged, FORGED)
    imap.deliver(raw)
    done = once(course, imap, smtp)

    mailbox = smtp[0]
    assert [m["To"].addresses[0].addr_spec for m in mailbox.received] == ["asha.rao@example.edu"], (
        done.stderr
    )
    (notice,) = mailbox.received
    text = notice.get_body(("plain",)).get_content()
    assert notice["Subject"] == "A hand-in in your name was refused"
    assert notice["In-Reply-To"] is None and "DMARC failed" in text
    assert "could not be taken" not in text and "outside.ipynb" not in text
    assert results(course) == []

    # collect lists it as rejected, saying the sender was forged
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "forged.eml").write_bytes(raw)
    out = tmp_path / "collected"
    args = ["collect", str(tmp_path / "mail"), "--course", str(course), "--out", str(out)]
    assert main(args) == 0
    rejected = (out / "REJECTED.csv").read_text(encoding="utf-8")
    assert "outside.ipynb" in rejected and "DMARC failed" in rejected and "forged" in rejected


def test_a_default_course_is_told_of_each_hand_in_its_server_says_is_forged(
    course: Path, imap, smtp
) -> None:
    """Issue 89: a course that trusts no server (as ``grader init`` makes it) is told, in the
    watch's output, of a hand-in whose receiving server says DMARC failed, and which
    trusted_authserv_id to set, though another message has no Authentication-Results at all
    (internal mail), so that no one server tops every message."""
    now = datetime.now(UTC).replace(microsecond=0)
    question = gmail(
        "Asha Rao <asha.rao@example.edu>", now - timedelta(hours=2), "Project 1", "Due when?"
    )
    imap.deliver(question.as_bytes())
    imap.deliver(received_by_the_server(project(now - timedelta(hours=1), "x = 'forged'"), FORGED))
    done = once(course, imap, smtp)
    assert "senders are not checked" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, done.stderr
    assert f"{SERVER} says DMARC failed for chitra.iyer@example.edu" in warnings[0]
    assert f'set trusted_authserv_id = "{SERVER}" under [mail]' in warnings[0]
    assert str(course) in warnings[0]
