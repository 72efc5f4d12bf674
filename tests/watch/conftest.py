"""The watch's tests' fixtures: a course made by the kit, a Dovecot and an SMTP server on
loopback (the kits are imported in the fixtures: a suite run without the mail servers' packages
still collects)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def course(tmp_path: Path) -> Path:
    from course_kit import ROOT, make_course
    from watch_kit import ROSTER

    from grader.demo import this_terms_deadlines

    made, _ = make_course(tmp_path, ROSTER, this_terms_deadlines)  # hand-ins sent now are on time
    shutil.copytree(ROOT / "assignments" / "lstm_gates", made.path.parent / "lstm_gates")
    return made.path


@pytest.fixture
def imap():
    from imap_kit import Dovecot

    dovecot = Dovecot().start()
    yield dovecot
    dovecot.remove()


@pytest.fixture
def smtp(tmp_path_factory):
    from smtp_kit import Mailbox, make_certificate, start

    certificate = make_certificate(tmp_path_factory.mktemp("smtp-cert"))
    mailbox = Mailbox()
    controller = start(mailbox, certificate)
    yield mailbox, controller, certificate
    controller.stop()
