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
    """Return once ``count`` workers joined the scheduler at ``address`` (0: once it answers)."""
    from dask.distributed import Client

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with Client(address, timeout=10) as client:
                if count:
                    client.wait_for_workers(count, timeout=max(deadline - time.monotonic(), 1))
                return
        except (OSError, TimeoutError):
            time.sleep(1)
    raise AssertionError("the workers did not join:\n" + said(logs))


def moves(address: str, prefix: str) -> list[tuple[str, str]]:
    """(key, state it moved to) of each task whose key starts with ``prefix``, in the order of
    the transition log of the scheduler at ``address``."""
    import cloudpickle
    from dask.distributed import Client

    # The scheduler cannot import this kit: the function goes to it by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with Client(address, timeout=30) as client:
        return [tuple(move) for move in client.run_on_scheduler(_moves, prefix)]


def computed_again(address: str, prefix: str) -> list[str]:
    """The tasks whose key starts with ``prefix`` that the scheduler at ``address`` set to run
    again after their result was in: one whose worker died holding it before the client took
    it, or one a client had taken and still held. A task whose worker died running it is
    not one."""
    done: set[str] = set()
    again = []
    for key, finish in moves(address, prefix):
        if finish == "memory":
            done.add(key)
        elif finish == "processing" and key in done:
            again.append(key)
    return again


def let_go(address: str, prefix: str, part: str, timeout: float = 60) -> None:
    """Return once the scheduler at ``address`` forgot the task whose key starts with
    ``prefix`` and holds ``part``: no client holds its result any longer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(part in key and state == "forgotten" for key, state in moves(address, prefix)):
            return
        time.sleep(0.2)
    raise AssertionError(f"the run still holds the result of {prefix}*{part}*")


def _moves(prefix: str, dask_scheduler=None) -> list[tuple[str, str]]:
    log = dask_scheduler.transition_log  # type: ignore[union-attr]
    return [(str(t.key), t.finish) for t in log if str(t.key).startswith(prefix)]


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
