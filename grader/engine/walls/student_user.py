"""The student's own user, where no namespace can be made (a platform's container under Docker's
default profile: :mod:`grader.platforms`): the warm process, and every process of the
submissions it forks, runs as an unprivileged user that owns none of the grader's files, may
signal none of its processes, and counts its processes against its own ``RLIMIT_NPROC``.

The grader that runs as root there names the user in its environment (``GRADER_STUDENT_USER``,
``uid:gid``) before its first run; the sandbox's namespaces, where they can be made, need none."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

VARIABLE = "GRADER_STUDENT_USER"


def student_user() -> tuple[int, int] | None:
    """``(uid, gid)`` of the user student code runs as without namespaces; None: the grader's."""
    given = os.environ.get(VARIABLE, "")
    uid, _, gid = given.partition(":")
    if not (uid.isdigit() and gid.isdigit()):
        return None
    return int(uid), int(gid)


def hand_to_student(folder: Path) -> None:
    """Make ``folder`` (a run's scratch) the student user's, where there is one."""
    user = student_user()
    if user is not None:
        os.chown(folder, *user)


def first_to_go(pid: int) -> None:
    """Make ``pid`` (the warm process of the student's user) the first the kernel's
    out-of-memory killer picks, before the grader: its submissions inherit it. Best effort."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/oom_score_adj").write_text("1000")
