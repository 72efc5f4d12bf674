"""One submission's ``run_autograder`` in Gradescope's container, after the build: its seconds
and peak memory at half a CPU and 768 MB (Gradescope's defaults), against ``grader grade`` of
the same notebook on this machine, in the same process (issue 96: the demo's right notebook in
under 15 s and 500 MB).

The shipped course's lstm_gates is exported (``grader autograder``) and built once in the
platform harness (tests/kits/platform_harness: no Docker; ``setup.sh`` installs from a local
index of this environment's packages, or with ``--registries`` from the registries, as on
Gradescope), under a seccomp filter like Docker's default profile (``--namespaces``: without
it, so the sandbox's namespaces are made); then the full-marks sample is submitted ``--runs``
times, each in a fresh container. The baseline is ``grader grade`` of that notebook, for the
same student and seed, inside a pid namespace as a course runs it. Needs root.

    .venv/bin/python benchmarks/autograder_run.py --runs 3
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from platform_course import copied_course, example, export, grader_index  # noqa: E402
from platform_harness import GradescopeHarness, gradescope_metadata  # noqa: E402
from sandbox_fence import FENCE  # noqa: E402

from grader.grading.seeds import case_seed  # noqa: E402
from grader.variants.draw import course_key  # noqa: E402

ASSIGNMENT, STUDENT = "lstm_gates", "asha"
METADATA = gradescope_metadata(email="asha.rao@example.edu", name="Asha Rao", sid="")
MiB = 2**20


def baseline(course: Path, notebook: bytes, folder: Path) -> tuple[float, float]:
    """``grader grade`` of ``notebook`` here: wall seconds, and the largest process's MB."""
    (folder / STUDENT).mkdir()
    (folder / STUDENT / f"{ASSIGNMENT}.ipynb").write_bytes(notebook)
    seed = case_seed(course_key(course.parent), ASSIGNMENT, STUDENT)
    grader = [sys.executable, "-m", "grader", "grade", str(folder / STUDENT)]
    options = ["--assignment", str(course.parent / ASSIGNMENT), "--out", str(folder / "out")]
    began = time.monotonic()
    subprocess.run(
        [*FENCE, *grader, *options, "--seed", str(seed)], check=True, capture_output=True
    )
    took = time.monotonic() - began
    return took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="submissions after the build")
    parser.add_argument("--namespaces", action="store_true", help="no Docker-like seccomp filter")
    parser.add_argument("--registries", action="store_true", help="build from the registries")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="autograder-run-") as scratch:
        folder = Path(scratch)
        course = copied_course(folder / "course")
        made = export(course, ASSIGNMENT, "gradescope", folder / "autograder.zip")
        harness = GradescopeHarness(
            made,
            folder / "harness",
            docker_default_seccomp=not args.namespaces,
            pip_index=None if args.registries else grader_index(),
        )
        began = time.monotonic()
        build = harness.build()
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
        print(f"build: {time.monotonic() - began:.1f} s (setup.sh, once)")
        notebook = example(ASSIGNMENT, STUDENT)
        walls, peaks = [], []
        for _ in range(args.runs):
            run = harness.submit({f"{ASSIGNMENT}.ipynb": notebook}, METADATA)
            assert run.results is not None and run.results["score"] == 100, run.stdout[-3000:]
            walls.append(run.wall_s)
            peaks.append((run.peak_memory_bytes or 0) / MiB)
        (folder / "baseline").mkdir()
        here, here_mb = baseline(course, notebook, folder / "baseline")
    walled = "Docker's default seccomp profile" if not args.namespaces else "namespaces"
    print(f"run_autograder, half a CPU and 768 MB, {walled}, {args.runs} runs:")
    print(f"  {min(walls):.1f} to {max(walls):.1f} s (median {statistics.median(walls):.1f})")
    print(f"  peak memory {min(peaks):.0f} to {max(peaks):.0f} MB (the container's cgroup)")
    print(f"baseline: grader grade of the same notebook here: {here:.1f} s, {here_mb:.0f} MB")
    print(f"  (its largest process); the run costs {statistics.median(walls) / here:.1f} times it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
