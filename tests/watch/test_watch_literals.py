"""``grader watch`` against a mailbox server that sends folder names as literals with a NIL
delimiter, and each message as a literal with its UID and INTERNALDATE after it
(tests/kits/scripted_imap_kit.py): the hand-in is seen with the server's receiving time,
answered once, and never read again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from mailkit import gmail, notebook, titled_report
from scripted_imap_kit import ScriptedImap
from smtp_kit import OUTLOOK_IDS, threads_as_written
from watch_kit import environment

from tests.watch.test_watch import from_outlook, once, results

pytestmark = pytest.mark.slow

HAND_INS = "Abgaben für LSTM"


@pytest.fixture
def scripted():
    server = ScriptedImap({HAND_INS: True, "INBOX": False, "[Gmail]/All Mail": True})
    yield server
    server.close()


def test_a_hand_in_from_a_server_that_sends_literals_is_answered_once(
    course: Path, scripted: ScriptedImap, smtp
) -> None:
    mailbox = smtp[0]
    now = datetime.now(UTC).replace(microsecond=0)
    project = gmail(
        "Chitra Iyer <chitra.iyer@example.edu>",
        now - timedelta(minutes=5),
        "Project 1",
        "Project 1 attached.",
        attachments=[
            ("project1.ipynb", notebook("# Project 1: sentiment")),
            ("report.pdf", titled_report("Project 1: sentiment")),
        ],
    )
    received = (now - timedelta(minutes=4)).astimezone(timezone(timedelta(hours=1)))
    uid = scripted.deliver(
        from_outlook(project, OUTLOOK_IDS[2], OUTLOOK_IDS[:2]), HAND_INS, received
    )
    in_utc = {**environment(), "TZ": "UTC"}  # the log's times in UTC, whatever the machine's
    done = once(course, scripted, smtp, env=in_utc)
    assert [m["To"].addresses[0].addr_spec for m in mailbox.received] == [
        "chitra.iyer@example.edu"
    ], done.stderr
    reply = mailbox.received[0]
    assert reply["In-Reply-To"] == project["Message-ID"]
    threads_as_written(mailbox.raw[0], OUTLOOK_IDS[2], OUTLOOK_IDS[:2])
    assert "report: report.pdf" in reply.get_body(("plain",)).get_content()
    # the server's own receiving time (sent at +01:00), not the moment it was fetched
    seen = f"UID={uid}: seen, delivered {(now - timedelta(minutes=4)).isoformat(' ')}"
    assert seen in done.stderr, done.stderr
    assert results(course) == []

    again = once(course, scripted, smtp, env=in_utc)
    assert len(mailbox.received) == 1, again.stderr
    assert "seen, delivered" not in again.stderr
