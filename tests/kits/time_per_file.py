"""Where the suite's time goes, printed at its end (issue 75): each test file's time (its tests'
setup, call and teardown), the longest files, each process's busy time and when it ran out of
work, and how busy the machine's cores were. CI prints it with `make test`, so every run says
where its minutes went without a second, instrumented run."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest

LONGEST_SHOWN = 25
_per_file: Counter[str] = Counter()
_per_process: Counter[str] = Counter()
_last_report: dict[str, float] = {}
_started = {"wall": time.monotonic(), "cpu": (0, 0)}


def _cpu_ticks() -> tuple[int, int]:
    """The machine's (busy, all) clock ticks since boot, from /proc/stat (zeros elsewhere)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and waiting for I/O
    return sum(fields) - idle, sum(fields)


def pytest_sessionstart(session: pytest.Session) -> None:
    _started.update(wall=time.monotonic(), cpu=_cpu_ticks())


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a process of a parallel run: the controller counts what it reports
    node = getattr(report, "node", None)  # the process a parallel run's report came from
    process = node.gateway.id if node is not None else "main"
    _per_file[report.nodeid.split("::", 1)[0]] += report.duration
    _per_process[process] += report.duration
    _last_report[process] = time.monotonic() - _started["wall"]


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 (pytest's own type)
    if not _per_file:
        return
    say = terminalreporter.write_line
    wall = time.monotonic() - _started["wall"]
    busy, ticks = (now - then for now, then in zip(_cpu_ticks(), _started["cpu"], strict=True))
    terminalreporter.section("time per test file")
    files = f"{len(_per_file)} file{'s' if len(_per_file) != 1 else ''}"
    say(f"{sum(_per_file.values()):.0f} s of tests in {files}, {wall:.0f} s wall")
    for process in sorted(_per_process):
        say(
            f"  {process}: busy {_per_process[process]:.0f} s, "
            f"its last test ended at {_last_report[process]:.0f} s"
        )
    if ticks:
        cores = os.cpu_count() or 1
        say(f"  the machine's {cores} cores were busy {100 * busy / ticks:.0f}% of the run")
    for file, seconds in _per_file.most_common(LONGEST_SHOWN):
        say(f"{seconds:8.1f} s  {file}")
