"""``google.colab.drive`` in the grading sandbox: "My Drive" is the submission's own folder."""

from __future__ import annotations

import os


def _submission_folder() -> str:
    return os.environ.get("GRADER_SUBMISSION_DIR") or os.getcwd()


def mount(
    mountpoint: str,
    force_remount: bool = False,
    timeout_ms: int = 120000,
    readonly: bool = False,
) -> None:
    """Make ``<mountpoint>/MyDrive`` show the submission's files, as Colab shows a Drive."""
    del force_remount, timeout_ms, readonly  # accepted for Colab's signature; nothing to wait for
    mountpoint = os.path.abspath(os.path.expanduser(mountpoint))
    os.makedirs(mountpoint, exist_ok=True)
    my_drive = os.path.join(mountpoint, "MyDrive")
    if not os.path.lexists(my_drive):
        os.symlink(_submission_folder(), my_drive)
    print(f"Mounted at {mountpoint} (the grader maps MyDrive to the submission's own folder)")


def flush_and_unmount(timeout_ms: int = 86400000) -> None:
    """Nothing to flush: the files already live in the submission's folder."""
    del timeout_ms
