"""A local cluster (``--dask local``) is the run's own: Dask's log lines, its workers' and its
scheduler's, reach stderr only with ``-v``. Without it a busy machine printed a worker's
traceback at the end of a run whose every grade was right (a heartbeat that met the scheduler
already closed), and another cluster's dashboard on Dask's port 8787 had this one's scheduler
say that it served on another port."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

# Logs as Dask logs its heartbeat failure (logger.exception, so with a traceback), once in a
# worker process and once in this one, where the local cluster's scheduler runs.
SCRIPT = """
import argparse, logging, sys
from grader import logs
from grader.grading.workers import dask_client

def worker_fails():
    try:
        raise OSError("Stream is closed")
    except OSError:
        logging.getLogger("distributed.worker").exception("worker's heartbeat failed")
    logging.getLogger("distributed.worker").warning("worker's warning")

logs.configure(argparse.Namespace(verbose=sys.argv[1] == "-v"))
with dask_client("local", 1) as client:
    client.run(worker_fails)
    logging.getLogger("distributed.scheduler").error("scheduler's error")
print("graded")
"""


def run(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *flags, ""],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


@contextlib.contextmanager
def dask_dashboard_port_taken():
    """Port 8787 held, as another cluster's dashboard holds it (a test's ``dask scheduler``
    beside this one, an instructor's own cluster). Already held by another, it is left so."""
    with socket.socket() as held:
        with contextlib.suppress(OSError):
            held.bind(("", 8787))
            held.listen()
        yield


def test_without_v_no_line_of_the_local_cluster_s_own_log_reaches_stderr() -> None:
    with dask_dashboard_port_taken():
        done = run()
    assert done.returncode == 0, done.stderr
    assert done.stdout == "graded\n"
    assert "Traceback" not in done.stderr
    assert "heartbeat" not in done.stderr
    assert "warning" not in done.stderr
    assert "scheduler's error" not in done.stderr


def test_with_v_the_local_cluster_s_warnings_and_errors_are_shown() -> None:
    done = run("-v")
    assert done.returncode == 0, done.stderr
    for line in ("worker's heartbeat failed", "OSError: Stream is closed", "worker's warning"):
        assert line in done.stderr
    assert "scheduler's error" in done.stderr
