"""Run submissions through :func:`grader.engine.run_submission` and print the results as JSON.

Tests start this script inside ``unshare --pid --fork --mount-proc``: a second fence behind the
product's sandbox, so that a hostile notebook escaping it could not end the test session. The
job file names the runs (in order, or ``parallel`` at once in threads) and a marker; afterwards
the script reports the processes of its pid namespace whose command line holds the marker, and
its own peak memory.

Where cgroup v1 holds the pids and memory controllers, the script first moves itself into fresh
cgroups of its own, so that the grader makes its run cgroups there and nowhere else: it reports
the ones left afterwards, and with ``watch_cgroups`` the ones it saw during the runs. With
``cgroups_read_only`` it first remounts every cgroup hierarchy read-only (in the fence's own
mount namespace), as on a machine where the grader cannot make cgroups.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np

from grader.engine import ProbeCall, RunLimits, RunResult, run_submission
from grader.engine.run import warm
from grader.engine.walls import cgroups


def _argument(value):
    if isinstance(value, dict):
        return {key: np.asarray(item, dtype=np.float64) for key, item in value.items()}
    return np.asarray(value, dtype=np.float64)


def _run(spec: dict) -> dict:
    calls = [ProbeCall(c["function"], tuple(map(_argument, c["args"]))) for c in spec["calls"]]
    files_dir = Path(spec["files_dir"]) if spec.get("files_dir") else None
    runtime = Path(spec["runtime"]) if spec.get("runtime") else None
    limits = RunLimits(**spec["limits"])
    result = run_submission(Path(spec["notebook"]), calls, limits, files_dir, runtime=runtime)
    return _as_json(result)


def _as_json(result: RunResult) -> dict:
    data = asdict(result)
    data["probes"] = [
        {"value": _plain(p.value), "error": p.error, "dtype": _dtypes(p.value)}
        for p in result.probes
    ]
    return data


def _plain(value):
    if isinstance(value, tuple):
        return [v.tolist() for v in value]
    return None if value is None else value.tolist()


def _dtypes(value):
    if isinstance(value, tuple):
        return [str(v.dtype) for v in value]
    return None if value is None else str(value.dtype)


def _processes_with(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in command:
            found.append(f"{entry.name}: {command}")
    return found


def _remount_cgroups_read_only() -> None:
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields, _, tail = line.partition(" - ")
        if tail.split()[0] in ("cgroup", "cgroup2"):
            mount_point = fields.split()[4]
            subprocess.run(["mount", "-o", "remount,bind,ro", mount_point], check=True)


def _enter_cgroup_fence() -> list[Path] | None:
    """Move this process into a fresh child of its own cgroup in the pids and memory
    hierarchies (cgroup v1 only); return those children, or None where that cannot be done."""
    v1, _ = cgroups.own_cgroup_folders(
        Path("/proc/self/cgroup").read_text(), Path("/proc/self/mountinfo").read_text()
    )
    if not {"pids", "memory"} <= v1.keys():
        return None
    fence = [v1[name] / f"tests-{uuid.uuid4().hex[:12]}" for name in ("pids", "memory")]
    made = []
    try:
        for folder in fence:
            folder.mkdir()
            made.append(folder)
    except OSError:  # read-only
        for folder in made:
            folder.rmdir()
        return None
    for folder in fence:
        (folder / "cgroup.procs").write_text(str(os.getpid()))
    return fence


def _leave_cgroup_fence(fence: list[Path]) -> None:
    for folder in fence:
        (folder.parent / "cgroup.procs").write_text(str(os.getpid()))
        for child in _children(folder):
            child.rmdir()  # only if the grader left one; the report already says so
        for _ in range(100):  # the warm processes' last members may take a moment to go
            try:
                folder.rmdir()
                break
            except OSError:
                time.sleep(0.05)
        else:
            folder.rmdir()


def _children(folder: Path) -> list[Path]:
    return sorted(entry for entry in folder.iterdir() if entry.is_dir())


def _holds_a_process(cgroup: Path) -> bool:
    try:
        return bool((cgroup / "cgroup.procs").read_text().split())
    except OSError:
        return False


_LIMIT_FILES = ("pids.max", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes")


class _CgroupWatch:
    """The cgroups the grader makes in the fence while the runs go on, with their limits as
    first seen holding a process. The grader writes a cgroup's limits between its mkdir and the
    first process joining: read in that moment, a file still says the parent's ``max``, which
    no process of the run ever ran under."""

    def __init__(self, fence: list[Path]):
        self.seen: dict[str, dict[str, str]] = {}
        self._fence = fence
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            for folder in self._fence:
                for child in _children(folder):
                    if not _holds_a_process(child):
                        continue
                    for name in _LIMIT_FILES:
                        try:
                            value = (child / name).read_text().strip()
                        except OSError:
                            continue
                        self.seen.setdefault(str(child), {}).setdefault(name, value)

    def stop(self) -> dict[str, dict[str, str]]:
        self._done.set()
        self._thread.join()
        return self.seen


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    if job.get("cgroups_read_only") and os.getuid() == 0:  # an ordinary user's already are
        _remount_cgroups_read_only()
    fence = _enter_cgroup_fence()
    # The grader checks once per process that it can make cgroups by making and removing a
    # trial one (pids.max 16); checked before the watch starts, the watch sees only the runs'.
    support = cgroups.cgroup_support()
    watch = _CgroupWatch(fence) if fence and job.get("watch_cgroups") else None
    try:
        if job.get("parallel"):
            with ThreadPoolExecutor(max_workers=job["parallel"]) as pool:
                results = list(pool.map(_run, job["runs"]))
        else:
            results = [_run(spec) for spec in job["runs"]]
        cgroups.wait_removed()  # the runs' cgroups are removed in the background
        report = {
            "results": results,
            "leftover": _processes_with(job["marker"]) if job.get("marker") else [],
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "cgroup_support": support,
            "cgroups_seen": watch.stop() if watch else None,
            "cgroups_left": [str(c) for f in fence for c in _children(f)] if fence else None,
        }
    finally:
        warm.stop_all()  # the warm processes live in the fence's cgroups too
        if fence:
            _leave_cgroup_fence(fence)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
