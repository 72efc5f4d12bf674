"""How every entry point ends (``grader``, ``python -m grader.demo``): a user's error, a missing
package of the instructor's install, Ctrl-C or SIGTERM each in one line saying what to do, the
same line whichever entry point met it; never a traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator

from grader.disk_full import met_anywhere, no_space
from grader.errors import UserError

# Packages of the instructor's install (``[instructor]``) that a student's does not have.
INSTRUCTOR_PACKAGES = frozenset(
    {"IPython", "tqdm", "dask", "distributed"}
    | {"starlette", "uvicorn", "jinja2", "markupsafe"}
    | {"nbconvert", "extract_msg", "openpyxl", "datasketch"}
    | {"jwt", "cryptography"}
    | {"idna", "dkim", "dns", "imapclient"}
)


def ended_in_one_line(name: str, work: Callable[[], int]) -> int:
    """``work()``'s exit code; a :class:`UserError` (``SandboxUnavailable`` among them) is
    printed as ``name: message`` and exits 2, as is a full disk wherever the command met it;
    Ctrl-C and SIGTERM exit as the signal does."""
    try:
        with _terminated_as_interrupted():
            return work()
    except KeyboardInterrupt as stopped:
        how = "terminated" if isinstance(stopped, _Terminated) else "interrupted"
        print(f"{name}: {how}; every result written so far is kept", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(stopped, _Terminated) else signal.SIGINT)
    except UserError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 2
    except (OSError, sqlite3.OperationalError) as error:
        if not no_space(error):
            raise
        print(f"{name}: {met_anywhere(error)}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in INSTRUCTOR_PACKAGES:
            raise
        print(
            f"{name}: this command is for instructors and needs packages a "
            f"student's install does not have ({error.name}). Install them with: "
            "pip install 'lstm-course-grader[instructor]'",
            file=sys.stderr,
        )
        return 2


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, as Ctrl-C raises KeyboardInterrupt."""


@contextlib.contextmanager
def _terminated_as_interrupted() -> Iterator[None]:
    """SIGTERM (``kill``, a service manager's stop) ends the command as Ctrl-C does, so that
    what it holds (a run's sandbox and cgroup, a watch's graders) is cleaned up on the way
    out. A process forked from this one (a pool's grader worker) keeps the default: it dies."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def stop(number: int, _frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        raise _Terminated

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)
