"""Scratch folders of a command that may be killed: ``<parent>/<prefix>XXXX``, each locked
(``flock`` on its ``.lock``) while its command runs. A command that ends as it should removes
its own; one killed (SIGKILL, the OOM killer, a power cut, a closed laptop's battery) cannot,
so each run, as it makes its folder, removes every folder of its kind whose lock is free: the
kernel releases a killed process's locks, never by chance, so a folder in use is never taken.
``grader collect``'s staging in the submissions folder, its IMAP spool and unpacked bundles,
``grader grade``'s hand-ins, trial notebook and staged projects in the temporary folder,
``grader similarity``'s unpacked hand-ins, and the watch's staging use it."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

LOCK = ".lock"


class Scratch:
    """``with Scratch(parent, prefix) as folder:``: a new folder of this run's, the stale ones
    of killed runs removed first (:attr:`removed`). ``parent`` None: the temporary folder."""

    def __init__(self, parent: Path | None, prefix: str):
        root = Path(parent) if parent is not None else Path(tempfile.gettempdir())
        root.mkdir(parents=True, exist_ok=True)
        self.removed = _remove_stale(root, prefix)
        self.path, self._lock = _made(root, prefix)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _made(root: Path, prefix: str) -> tuple[Path, int | None]:
    """A new folder, locked. Another run starting at the same moment may take it for a killed
    one's before it is locked (and remove it, or hold its lock while it does): then it is left
    to that run, and another is made."""
    for _ in range(_TRIES):
        path = Path(tempfile.mkdtemp(dir=root, prefix=prefix))
        try:
            descriptor = _locked(path / LOCK)
        except OSError:  # BlockingIOError: another run is removing it; or it is gone already
            continue
        try:
            if os.stat(path / LOCK).st_ino == os.fstat(descriptor).st_ino:
                return path, descriptor
        except OSError:  # removed while we locked its lock
            pass
        os.close(descriptor)
    raise OSError(f"could not make a scratch folder in {root} (it keeps being removed)")


_TRIES = 20


def _locked(path: Path) -> int:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _remove_stale(root: Path, prefix: str) -> list[Path]:
    """This user's folders of the kind whose run no longer runs (their lock is free), removed
    while their lock is held: a run never loses the folder it is making."""
    removed = []
    for path in root.glob(f"{prefix}*"):
        try:
            if not path.is_dir() or path.is_symlink() or path.stat().st_uid != os.getuid():
                continue
            descriptor = _locked(path / LOCK)
        except OSError:  # its run goes on (BlockingIOError), or it went meanwhile
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(descriptor)
        if not path.exists():
            removed.append(path)
    return removed
