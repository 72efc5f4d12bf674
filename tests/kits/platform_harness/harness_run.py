"""What one harness run gives back (a build or a submission), the same for both platforms."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .container import Outcome


@dataclass(frozen=True)
class HarnessRun:
    """One run in the container: its exit, output, results file, time and memory."""

    returncode: int
    stdout: str
    stderr: str
    results: dict | None  # the parsed results.json (as the platform reports it), else None
    results_error: str | None  # why results is None
    wall_s: float
    peak_memory_bytes: int | None
    root: Path  # the run's changes to the container root on the host: root / "autograder" ...
    timed_out: bool = False
    limits_applied: tuple[str, ...] = ()  # which mechanism held each limit, in words
    # processes still running when run_autograder exited (Gradescope); None where not counted
    leftover_processes: int | None = None


def read_results(path: Path, most_bytes: int | None = None) -> tuple[dict | None, str | None]:
    """The results file at ``path`` parsed, or None and why not."""
    if not path.is_file():
        return None, f"no {path.name} written"
    data = path.read_bytes()
    if most_bytes is not None and len(data) > most_bytes:
        return None, f"{path.name} is {len(data)} bytes, over the platform's {most_bytes}"
    try:
        parsed = json.loads(data.decode("utf-8", errors="replace").replace("\0", "\ufffd"))
    except json.JSONDecodeError as wrong:
        return None, f"{path.name} is not valid JSON: {wrong}"
    if not isinstance(parsed, dict):
        return None, f"{path.name} holds a {type(parsed).__name__}, not an object"
    return parsed, None


def harness_run(
    outcome: Outcome, root: Path, results: dict | None, results_error: str | None
) -> HarnessRun:
    """The record of a run whose outcome and results are known."""
    return HarnessRun(
        returncode=outcome.returncode,
        stdout=outcome.stdout,
        stderr=outcome.stderr,
        results=results,
        results_error=results_error,
        wall_s=outcome.wall_s,
        peak_memory_bytes=outcome.peak_memory_bytes,
        root=root,
        timed_out=outcome.timed_out,
        limits_applied=outcome.limits_applied,
        leftover_processes=outcome.leftover_processes,
    )


def must_have_built(build: HarnessRun | None) -> None:
    """Refuse a submission to an image not built, or whose build failed, as the platform
    does (it grades nothing until a build succeeds)."""
    if build is None:
        raise RuntimeError("no image yet: call build() before submit()")
    if build.returncode != 0 or build.timed_out:
        raise RuntimeError(
            f"the build failed (exit {build.returncode}), so nothing is graded: "
            f"{build.stderr[-2000:] or build.stdout[-2000:]}"
        )
