"""``grader watch`` parses each message once: the hand-in is read at its fetch for its Message-ID
(the headers only: the same message from another folder is stored once) and then once whole,
and collect, the regrade check, the hand-in and the feedback reply in its thread read that."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from contextlib import closing

import pytest
from imap_kit import Dovecot, needs_dovecot
from watch_kit import environment, notebook_hand_in, watch_command

from grader.gradebook.course_book import BOOK_NAME

pytestmark = [needs_dovecot, pytest.mark.slow]

# ``grader watch`` with every parse of a message's bytes noted (the digest of the bytes, one a
# line): the stdlib's byte parser is what every reading of a message calls.
COUNTING = """
import email.parser, hashlib, sys
from grader.cli import main

log = open(sys.argv[1], "a")
parsebytes = email.parser.BytesParser.parsebytes

def noted(self, text, headersonly=False):
    log.write(hashlib.sha256(bytes(text)).hexdigest() + "\\n")
    log.flush()
    return parsebytes(self, text, headersonly)

email.parser.BytesParser.parsebytes = noted
sys.exit(main(sys.argv[2:]))
"""


def test_one_watch_cycle_parses_a_hand_in_once_whole(
    course,
    imap: Dovecot,  # noqa: F811
    smtp,  # noqa: F811
    tmp_path,
) -> None:
    mailbox = smtp[0]
    hand_in = notebook_hand_in("asha")
    imap.deliver(hand_in.as_bytes())
    script, log = tmp_path / "counting.py", tmp_path / "parses.txt"
    script.write_text(COUNTING)
    command = watch_command(course, imap, smtp, "--once")
    at = command.index("grader.cli")
    command[at - 1 : at + 1] = [str(script), str(log)]
    done = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert len(mailbox.received) == 1, done.stderr
    assert mailbox.received[0]["In-Reply-To"] == hand_in["Message-ID"]

    book = course.parent.parent / "graded" / BOOK_NAME
    with closing(sqlite3.connect(book)) as db:
        (raw,) = db.execute("SELECT raw FROM watch_messages").fetchone()
    digest = hashlib.sha256(raw).hexdigest()
    parses = log.read_text().split().count(digest)
    # its headers at the fetch, for its Message-ID; then once whole, for everything else
    assert parses == 2, f"the hand-in was parsed {parses} times"
