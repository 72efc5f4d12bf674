"""``grader watch`` reports as it goes, each line timed; ``-q`` keeps its warnings and errors
only, and ``--log-file`` keeps a copy with every line's level (grader/logs.py)."""

from __future__ import annotations

import re
import subprocess

from imap_kit import HAND_INS, Dovecot, needs_dovecot
from watch_kit import environment, watch_command

pytestmark = [needs_dovecot]

TIMED = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d "


def test_watch_says_when_and_quiet_says_only_what_went_wrong(
    course,
    imap: Dovecot,  # noqa: F811
    smtp,  # noqa: F811
    tmp_path,
) -> None:
    imap.make_folders(HAND_INS)  # an empty mailbox: nothing to grade
    log = tmp_path / "watch.log"
    command = watch_command(course, imap, smtp, "--once", "--log-file", str(log))
    done = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert re.search(rf"^{TIMED}watching imaps://", done.stderr, re.M), done.stderr
    assert re.search(rf"^{TIMED}INFO watching imaps://", log.read_text(), re.M)

    quiet = subprocess.run(
        [*watch_command(course, imap, smtp, "--once", "-q")],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert quiet.returncode == 0, quiet.stderr
    assert "watching" not in quiet.stderr

    refused = subprocess.run(
        [*watch_command(course, imap, smtp, "--once", "-q")],
        env=environment("not the password"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert refused.returncode != 0
    assert refused.stderr.strip(), "an error is said however quiet the watch is"
