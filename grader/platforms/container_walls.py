"""The walls inside a platform's container, where student code would otherwise run as root.

Where namespaces can be made, the sandbox's usual walls (:mod:`grader.engine.walls`). Where
they cannot (Docker's default seccomp profile refuses a root without CAP_SYS_ADMIN its user
namespaces), the walls that remain, each tried: the student's code under a user of its own
(:mod:`grader.engine.walls.student_user`), which may read none of the grader's files and
signal none of its processes; the sandbox's seccomp filter; its rlimits (address space, file
size, the processes of that user); a fresh process per graded function; the out-of-memory
killer pointed at the student's processes before the grader. The run's log (stdout: the
instructor's, on Gradescope) says which were raised and which the container did not allow."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader import engine
from grader.engine.walls import student_user, wall_checks
from grader.limits import PLATFORMS, RUN

# The student's user and group in the container: an id no image's account has (Ubuntu's system
# and regular ranges end at 60000; 65534 is "nobody", which other services may share; above
# 65535 a container whose user namespace maps 65,536 ids has none), drawn afresh for each run.
# The kernel counts a user's processes and threads (RLIMIT_NPROC) over every container of the
# host that shares its user namespace, as Docker's do, and a host runs several submissions at
# once: under one id, a run's forks were refused for another container's threads.
STUDENT_IDS = range(61000, 65000)


@dataclass(frozen=True)
class Walls:
    """What the container allowed: whether the sandbox's namespaces can be made, and the log's
    lines, one per wall."""

    namespaces: bool
    lines: tuple[str, ...]


def raise_walls(private: Iterable[Path], namespaces: bool | None = None) -> Walls:
    """Make ``private`` (the grader's files: hidden cases, secret, results) root's alone, then
    try every wall; with no namespaces, name the student's own user for the runs.
    ``namespaces``: whether they can be made, where the image's build found it out."""
    lines = []
    for path in private:
        with contextlib.suppress(FileNotFoundError):
            path.chmod(0o700)
    lines.append("raised: the grader's files and the results folder readable by root alone")
    namespaces = _namespaces() if namespaces is None else namespaces
    if namespaces:
        lines.append("raised: the sandbox's namespaces (users, processes, mounts, network)")
    else:
        lines.append(
            "not allowed by the container: namespaces (Docker's default profile?); the walls "
            "that remain follow"
        )
        uid = secrets.choice(STUDENT_IDS)
        refused = _cannot_become(uid)
        if refused is None:
            os.environ[student_user.VARIABLE] = f"{uid}:{uid}"
            lines.append(f"raised: the student's code runs as uid {uid}, not root")
        else:
            lines.append(f"not allowed by the container: a user of the student's own ({refused})")
    lines += [_seccomp_line()]
    lines.append(
        "raised: rlimits (address space, file size, no core; processes of the student's user)"
    )
    lines.append("raised: a fresh process per graded function, forked after the cells")
    try:
        Path("/proc/self/oom_score_adj").write_text("-1000")
        lines.append("raised: the out-of-memory killer takes the student's processes first")
    except OSError as error:
        lines.append(f"not allowed by the container: the grader kept from the OOM killer ({error})")
    return Walls(namespaces, tuple(lines))


def _namespaces() -> bool:
    try:
        engine.check_sandbox(RUN)
    except engine.SandboxUnavailable:
        return False
    return True


def _seccomp_line() -> str:
    (wall,) = [w for w in wall_checks.checked_walls() if "seccomp" in w.name]
    return wall.line().replace("works:", "raised:", 1).replace("missing:", "not allowed:", 1)


def _cannot_become(uid: int) -> str | None:
    """Why this process may not become ``uid`` (tried in a child); None: it may."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's outcome is read from the pipe
        os.close(read)
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            said = b""
        except OSError as error:
            said = str(error).encode() or b"refused"
        os.write(write, said)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()
    os.waitpid(child, 0)
    return said.decode() or None


def end_student_processes() -> int:
    """Kill every process of the student's user, those left behind included, until none is
    left (stopped first, so that none forks another as the others die); how many there were."""
    user = student_user.student_user()
    if user is None:  # the run named no user of the student's own: there is none to end
        return 0
    ended: set[int] = set()
    for _ in range(PLATFORMS.ending_rounds):
        found = list(_processes_of(user[0]))
        if not found:
            return len(ended)
        for number in (signal.SIGSTOP, signal.SIGKILL):
            for pid in found:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, number)
        ended.update(found)
        time.sleep(0.05)
    return len(ended)


def _processes_of(uid: int) -> Iterable[int]:
    """The live processes of ``uid`` (a zombie is dead already: its parent reaps it)."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid != uid:
                    continue
                state = Path(f"/proc/{entry.name}/stat").read_bytes().rpartition(b")")[2].split()
                if state and state[0] != b"Z":
                    yield int(entry.name)
