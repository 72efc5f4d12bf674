"""A course's hand-ins as ``grader watch`` reads them, and the watch's command line and
environment against the loopback servers (imap_kit's Dovecot, smtp_kit's aiosmtpd), for the
tests in tests/watch/."""

from __future__ import annotations

import io
import os
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from course_kit import ROOT
from imap_kit import PASSWORD as IMAP_PASSWORD
from imap_kit import Dovecot
from mailkit import gmail, notebook
from sandbox_fence import FENCE
from smtp_kit import PASSWORD, SENDER, USER

ROSTER = (
    "id,name,email,role\n"
    "asha,Asha Rao,asha.rao@example.edu,student\n"
    "bhavin,Bhavin Patel,bhavin.patel@example.edu,student\n"
    "chitra,Chitra Iyer,chitra.iyer@example.edu,student\n"
    "TA01,Kiran Rao,kiran.rao@example.edu,staff\n"
)
NAMES = {"asha": "Asha Rao", "bhavin": "Bhavin Patel", "chitra": "Chitra Iyer"}


def notebook_hand_in(student: str, data: bytes | None = None, sent: datetime | None = None):
    data = data or (ROOT / "examples" / "lstm_gates" / f"{student}.ipynb").read_bytes()
    return gmail(
        f"{NAMES[student]} <{student.split('-')[0]}.{surname(student)}@example.edu>",
        sent or datetime.now(UTC),
        "Assignment 1",
        "My notebook for assignment 1.",
        attachments=[("lstm_gates.ipynb", data)],
    )


def escaping_zip_hand_in(sender: str):
    """A hand-in whose zip has a member that climbs out of its folder: one that cannot be
    taken."""
    escaping = io.BytesIO()
    with zipfile.ZipFile(escaping, "w") as archive:
        archive.writestr("../../outside.ipynb", notebook("# Assignment 1"))
    return gmail(
        sender,
        datetime.now(UTC),
        "Assignment 1",
        "zipped",
        attachments=[("work.zip", escaping.getvalue())],
    )


def surname(student: str) -> str:
    return NAMES[student].split()[1].lower()


def watch_command(course: Path, imap: Dovecot, smtp, *extra: str) -> list[str]:
    _, controller, certificate = smtp
    out = course.parent.parent
    return [
        *FENCE,
        sys.executable,
        "-m",
        "grader.cli",
        "watch",
        imap.url,
        "--from",
        SENDER,
        "--course",
        str(course),
        "--out",
        str(out / "graded"),
        "--submissions",
        str(out / "submissions"),
        "--cafile",
        str(imap.cert),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(controller.port),
        "--smtp-cafile",
        str(certificate[0]),
        *extra,
    ]


def environment(imap_password: str = IMAP_PASSWORD) -> dict[str, str]:
    return {
        **os.environ,
        "GRADER_IMAP_PASSWORD": imap_password,
        "GRADER_SMTP_USER": USER,
        "GRADER_SMTP_PASSWORD": PASSWORD,
    }
