"""Measure: how many of the real Colab notebooks in ../shared/corpus/colab run to the end in the
projects' Colab-like runtime (`make projects-runtime`), and why the others stop.

Run it behind a second fence, as every run of notebooks from the wild:
    unshare --pid --fork --mount-proc .venv/bin/python benchmarks/projects_corpus.py
Each notebook runs alone in the sandbox, with the limits of assignments/projects/projects.toml,
its own folder empty but for the notebook (the corpus ships no datasets), no network.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from grader import execute
from grader.course.notebook_facts import run_facts, saved_outputs
from grader.course.rubric import load_projects

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "colab"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/colab")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notebook-timeout",
        type=float,
        default=None,
        help="seconds per notebook (default: projects.toml's; less keeps the measurement short)",
    )
    options = parser.parse_args()
    projects = load_projects(ROOT / "assignments" / "projects")
    runtime = projects.runtime_path()
    notebook_timeout = options.notebook_timeout or projects.notebook_timeout
    limits = execute.Limits(
        cell_timeout=min(projects.cell_timeout, notebook_timeout),
        notebook_timeout=notebook_timeout,
        memory_bytes=projects.memory_mb * 1024**2,
        disk_bytes=2 * 1024**3,
    )
    notebooks = sorted(CORPUS.glob("*.ipynb"))
    ran = 0
    started = time.monotonic()
    for number, notebook in enumerate(notebooks, 1):
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / notebook.name
            shutil.copy(notebook, copy)
            result = execute.run_submission(copy, [], limits, Path(folder), runtime=runtime)
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
