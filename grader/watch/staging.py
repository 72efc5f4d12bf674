"""Where the watch stages what it handles (the notebooks its graders read; the messages it
collects are read in memory, once): ``OUT/.watch-staging/<one folder per running watch>``, each
locked while its watch runs. A watch that ends as it should removes its own; one killed (SIGKILL,
the OOM killer, a power cut) cannot, so each watch, as it starts, removes every folder whose lock
is free: the lock of a killed process is released by the kernel, never by chance."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path

STAGING = ".watch-staging"
_LOCK = ".lock"


class Staging:
    """This watch's staging folder; :meth:`folder` makes a new one inside it."""

    def __init__(self, out: Path):
        root = out / STAGING
        root.mkdir(parents=True, exist_ok=True)
        # Held while the stale folders are removed and ours is made and locked, so two
        # watches starting at once never take each other's new folder for a stale one.
        guard = _locked(root / _LOCK, blocking=True)
        try:
            self.removed = [path for path in _stale(root) if _remove(path)]
            self.path = Path(tempfile.mkdtemp(dir=root, prefix="watch-"))
            self._lock = _locked(self.path / _LOCK, blocking=True)
        finally:
            os.close(guard)

    def folder(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(dir=self.path, prefix=prefix))

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._lock)


def _locked(path: Path, blocking: bool) -> int:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _stale(root: Path) -> list[Path]:
    """The folders of watches that no longer run: their lock is free."""
    found = []
    for path in root.iterdir():
        if not path.is_dir() or path.is_symlink():
            continue
        try:
            descriptor = _locked(path / _LOCK, blocking=False)
        except BlockingIOError:  # its watch runs
            continue
        except OSError:  # removed meanwhile, or not ours to open
            continue
        os.close(descriptor)
        found.append(path)
    return found


def _remove(path: Path) -> bool:
    shutil.rmtree(path, ignore_errors=True)
    return not path.exists()
