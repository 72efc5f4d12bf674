"""Measure: how many of the real Colab notebooks in ../shared/corpus/colab run to the end in the
projects' Colab-like runtime (`make projects-runtime`), and why the others stop.

Run it behind a second fence, as every run of notebooks from the wild:
    unshare --pid --fork --mount-proc .venv/bin/python benchmarks/projects_corpus.py
Each notebook runs alone in the sandbox, with the limits of assignments/projects/projects.toml,
its own folder empty but for the notebook (the corpus ships no datasets), no network.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from grader import engine
from grader.course.rubric import load_projects
from grader.grading.notebook_facts import run_facts, saved_outputs
from grader.limits import COURSE, RunLimits

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "colab"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/colab")


def write_stand_ins(folder: Path) -> None:
    rows = (ROOT / "examples/students/CS21B042/data/monthly_passengers.csv").read_text()
    body = rows.split("\n", 1)[1]
    (folder / "airline-passengers.csv").write_text('"Month","Passengers"\n' + body)
    (folder / "AirPassengers.csv").write_text("Month,#Passengers\n" + body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notebook-timeout",
        type=float,
        default=None,
        help="seconds per notebook (default: projects.toml's; less keeps the measurement short)",
    )
    parser.add_argument("--only", default="", help="run only notebooks whose name has this")
    parser.add_argument(
        "--stand-in-data",
        action="store_true",
        help="put stand-ins for the datasets students hand in beside each notebook (the corpus "
        "ships none): the sample student's monthly passengers, under the names and column "
        "headers of the public airline-passengers files the notebooks open",
    )
    options = parser.parse_args()
    os.chdir(ROOT)  # projects.toml names the runtime relative to the repository
    projects = load_projects(ROOT / "assignments" / "projects")
    runtime = projects.runtime_path()
    notebook_timeout = options.notebook_timeout or projects.notebook_timeout
    limits = RunLimits.for_assignment(
        dataclasses.replace(projects, notebook_timeout=notebook_timeout),
        timeout=min(projects.cell_timeout, notebook_timeout),
        disk_bytes=COURSE.project_disk_bytes,
    )
    notebooks = sorted(p for p in CORPUS.glob("*.ipynb") if options.only in p.name)
    ran = 0
    started = time.monotonic()
    for number, notebook in enumerate(notebooks, 1):
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / notebook.name
            shutil.copy(notebook, copy)
            if options.stand_in_data:
                write_stand_ins(Path(folder))
            result = engine.run_submission(copy, [], limits, Path(folder), runtime=runtime)
        facts = run_facts(result)
        ran += facts["status"] == "ran to the end"
        where = ""
        if "first_failing_cell" in facts:
            where = f" at cell {facts['first_failing_cell']}: {facts['error'][:160]}"
        reads = saved_outputs(notebook).get("reads_files")
        print(
            f"[{number}/{len(notebooks)}] {notebook.name[:70]}: {facts['status']}{where} "
            f"({facts['duration_s']} s, {facts['failing_cells']} failing cells, reads {reads})",
            flush=True,
        )
        if result.reason:
            print(f"    reason: {result.reason[:200]}", flush=True)
    elapsed = time.monotonic() - started
    print(f"{ran} of {len(notebooks)} ran to the end in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
