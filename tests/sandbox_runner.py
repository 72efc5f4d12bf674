"""Run submissions through :func:`grader.execute.run_submission` and print the results as JSON.

Tests start this script inside ``unshare --pid --fork --mount-proc``: a second fence behind the
product's sandbox, so that a hostile notebook escaping it could not end the test session. The
job file names the runs (in order, or ``parallel`` at once in threads) and a marker; afterwards
the script reports the processes of its pid namespace whose command line holds the marker, and
its own peak memory.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np

from grader.execute import Limits, ProbeCall, RunResult, run_submission


def _argument(value):
    if isinstance(value, dict):
        return {key: np.asarray(item, dtype=np.float64) for key, item in value.items()}
    return np.asarray(value, dtype=np.float64)


def _run(spec: dict) -> dict:
    calls = [ProbeCall(c["function"], tuple(map(_argument, c["args"]))) for c in spec["calls"]]
    files_dir = Path(spec["files_dir"]) if spec.get("files_dir") else None
    result = run_submission(Path(spec["notebook"]), calls, Limits(**spec["limits"]), files_dir)
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


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    if job.get("parallel"):
        with ThreadPoolExecutor(max_workers=job["parallel"]) as pool:
            results = list(pool.map(_run, job["runs"]))
    else:
        results = [_run(spec) for spec in job["runs"]]
    report = {
        "results": results,
        "leftover": _processes_with(job["marker"]) if job.get("marker") else [],
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
