"""``grader watch`` SIGKILLed (its process group) once the SMTP server has taken a reply and
before the watch heard the server's 250 (the server takes the message, then kills it): the
next run says that send was uncertain and sends it again as the same message (its first
Message-ID), sends the rest once, and grades nothing twice."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest
from imap_kit import needs_dovecot
from watch_kit import environment, notebook_hand_in, watch_command

from grader.gradebook.results import Gradebook

pytestmark = [needs_dovecot, pytest.mark.slow]


def watched_once(course, imap, smtp) -> subprocess.CompletedProcess:
    done = subprocess.run(
        watch_command(course, imap, smtp, "--once"), env=environment(), capture_output=True,
        text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def test_a_reply_the_server_took_before_the_kill_goes_again_as_the_same_message(
    course, imap, smtp
) -> None:
    mailbox = smtp[0]
    imap.deliver(notebook_hand_in("asha").as_bytes())
    mailbox.kill_at = 1  # the first reply the watch sends
    watch = subprocess.Popen(
        watch_command(course, imap, smtp, "--once"),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    mailbox.victim = watch.pid  # its process group, the fence's and the watch's
    watch.wait(900)
    assert mailbox.killed.is_set(), "the watch sent no reply before it was killed"
    (taken,) = mailbox.received
    mailbox.kill_at = None

    again = watched_once(course, imap, smtp)
    assert f"sending it again as the same message {taken['Message-ID']}" in again.stderr
    ids = Counter(message["Message-ID"] for message in mailbox.received)
    assert ids[taken["Message-ID"]] == 2  # twice, as one message: a client shows it once
    assert all(count == 1 for message_id, count in ids.items() if message_id != taken["Message-ID"])
    subjects = [m["Subject"] for m in mailbox.received[1:]]
    assert taken["Subject"] in subjects and len(subjects) == len(set(subjects))

    book = course.parent.parent / "graded" / "lstm_gates" / "gradebook.sqlite"
    with Gradebook(book) as results:
        assert [row.status for row in results.history("asha")] == ["graded"]  # graded once
    watched_once(course, imap, smtp)
    assert len(mailbox.received) == len(ids) + 1  # nothing more sent
