"""A real Dask cluster on loopback whose processes share no folder with the course: each in
mount and pid namespaces of its own where an empty file system lies over the folders it must
not see (the course; for the scheduler, the grader's package too)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DASK = str(Path(sys.executable).with_name("dask"))


def hidden(over: list[Path], folder: Path, command: list[str]) -> list[str]:
    """``command`` run in ``folder``, in mount and pid namespaces of its own where each of
    ``over`` is an empty tmpfs (killing the returned process ends all of it)."""
    mounts = " && ".join(f"mount -t tmpfs none '{path}'" for path in over)
    script = f"{mounts} && cd '{folder}' && exec \"$@\""
    return [
        *("unshare", "--mount", "--propagation", "private", "--pid", "--fork"),
        *("--mount-proc", "--kill-child", "sh", "-c", script, "sh", *command),
    ]


def wait_for_workers(address: str, count: int, logs: Path) -> None:
    """Return once ``count`` workers joined the scheduler at ``address``."""
    from dask.distributed import Client

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with Client(address, timeout=10) as client:
                client.wait_for_workers(count, timeout=max(deadline - time.monotonic(), 1))
                return
        except (OSError, TimeoutError):
            time.sleep(1)
    raise AssertionError("the workers did not join:\n" + said(logs))


def said(logs: Path) -> str:
    """The last lines of every log in ``logs``."""
    return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(logs.iterdir()))


def stop(process: subprocess.Popen) -> None:
    """SIGKILL ``process`` (and so its namespace) unless it ended; wait for it."""
    if process.poll() is None:
        process.kill()
    process.wait(60)


def end_gracefully(process: subprocess.Popen, timeout: float = 120) -> None:
    """SIGTERM to the program ``hidden`` runs (unshare ignores it), as a service manager
    stops a worker; wait for it to end."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), signal.SIGTERM)
    process.wait(timeout)
