"""Measure: the projects' checks of a class on one machine (`grader grade --assignment
assignments/projects --workers W`: W threads sharing one warm process) against the same on a
loopback Dask cluster of W worker processes (`--dask local --workers W`: each worker its own
warm process, every hand-in sent as bytes and checked in the worker's scratch folder), run one
after the other in the same process; the figure is their ratio, and the time per project that
gives a class of the corpus its time.

The class: ``--copies`` times the students of tests/kits/project_class.py (two projects each,
from tests/kits/project_notebooks.py) and students whose two projects are the small PyTorch
classifier of tests/kits/gpu_notebooks.py, written for the CPU and for Colab's GPU (they train:
seconds each). The notebooks run in the projects' runtime when it is built (`make
projects-runtime`), else in a light one (the grader's packages: the TensorFlow and pandas
notebooks stop at their imports, as in the tests).

    .venv/bin/python benchmarks/projects_dask.py --copies 2 --workers 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from gpu_notebooks import pytorch_gpu, pytorch_on_cpu  # noqa: E402
from project_class import CLASS, hand_in, light_runtime  # noqa: E402
from sandbox_fence import FENCE  # noqa: E402

from grader.course.rubric import load_projects  # noqa: E402

PROJECTS = ROOT / "assignments" / "projects"


def a_class(folder: Path, copies: int) -> list[Path]:
    folders = []
    for copy in range(copies):
        for student, kits in CLASS.items():
            folders.append(hand_in(folder, f"{student}c{copy}", tuple(make() for make in kits)))
        folders.append(hand_in(folder, f"gpu{copy}", (pytorch_on_cpu(), pytorch_gpu("cuda"))))
    return folders


def checked(folders: list[Path], out: Path, environment: dict, *extra: str) -> float:
    command = [sys.executable, "-m", "grader.cli", "grade", "--assignment", str(PROJECTS)]
    command += ["--out", str(out), *extra, *map(str, folders)]
    started = time.perf_counter()
    done = subprocess.run(
        [*FENCE, *command], env=environment, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"grader grade {' '.join(extra)} failed:\n{done.stderr[-3000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1, help="copies of the kit's class")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as base:
        folders = a_class(Path(base) / "submissions", options.copies)
        projects = 2 * len(folders)
        os.chdir(ROOT)  # projects.toml names the runtime relative to the repository
        runtime = load_projects(PROJECTS).runtime_folder().absolute()
        if not (runtime / ".installed").is_file():
            runtime = light_runtime(Path(base) / "runtime")
            print("the projects' runtime is not built: a light one (TensorFlow stops at import)")
        environment = {**os.environ, "GRADER_PROJECTS_RUNTIME": str(runtime)}
        workers = ("--workers", str(options.workers))
        checked(folders[:1], Path(base) / "warm-up", environment)  # the sandbox prepared once
        here = checked(folders, Path(base) / "here", environment, *workers)
        on_dask = checked(folders, Path(base) / "dask", environment, "--dask", "local", *workers)
    print(f"{projects} projects, {options.workers} workers, on {os.cpu_count()} cores")
    print(f"one machine:         {here:7.1f} s  ({here / projects:5.2f} s a project)")
    print(f"loopback Dask:       {on_dask:7.1f} s  ({on_dask / projects:5.2f} s a project)")
    print(f"ratio Dask / one machine: {on_dask / here:.2f}")
    per = on_dask / projects * options.workers  # seconds of one worker per project
    print(
        f"a class of 200 with two projects, at this corpus' {per:.1f} s of a worker each: "
        f"{400 * per / 3600:.1f} worker-hours, {400 * per / 3600 / 10:.2f} h on 10 workers"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
