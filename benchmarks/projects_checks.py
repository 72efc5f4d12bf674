"""Measure: the time of the projects' checks of substance (the model, the report's numbers, the
pitfalls, the provenance: grader.projects, as `grader grade --assignment assignments/projects`
calls it) per project, beside the time of the notebook's own run in the sandbox, the baseline,
measured in the same process. The analysis should cost a small fraction of the run.

Run it behind a second fence, as every run of notebooks from the wild:
    unshare --pid --fork --mount-proc .venv/bin/python benchmarks/projects_checks.py
The projects: the demo's two sample students (bundled and collected as `make demo` does, their
reports built as PDFs), then the real Colab notebooks of ../shared/corpus/colab (no report, no
dataset). They run in the projects' runtime when it is built (`make projects-runtime`), else in
the grader's own environment (where notebooks that import TensorFlow stop at that cell).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from grader import demo, engine
from grader.course.rubric import load_projects
from grader.grading.notebook_facts import run_facts, saved_outputs
from grader.grading.project_checks import _stage, hand_ins
from grader.grading.project_handin import ProjectHandIn
from grader.limits import COURSE, RunLimits
from grader.projects.analysis import analyse_handin
from grader.projects.kinds import FILE_ROLES
from grader.report.facts import report_text

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "colab"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/colab")


def measure(hand_in: ProjectHandIn, limits: RunLimits, runtime: Path | None, tolerance: float):
    """(run seconds, checks seconds, the run's status, what the checks found) for one project."""
    handed = {key: hand_in.file(key) for key in FILE_ROLES}
    handed = {k: p if p is not None and p.is_file() else None for k, p in handed.items()}
    notebook = handed["notebook"]
    assert notebook is not None
    reads = saved_outputs(notebook).get("reads_files", [])
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as stage:
        files, _ = _stage(hand_in, Path(stage), reads)
        started = time.perf_counter()
        run = engine.run_submission(files / notebook.name, [], limits, files, runtime=runtime)
        run_seconds = time.perf_counter() - started
    started = time.perf_counter()
    found = analyse_handin(handed, hand_in.folder, run.output, tolerance, reads, report_text)
    status = run_facts(run)["status"]
    return run_seconds, time.perf_counter() - started, status, found


def corpus_hand_in(notebook: Path, folder: Path, projects) -> ProjectHandIn:  # type: ignore[no-untyped-def]
    (folder / notebook.name).write_bytes(notebook.read_bytes())
    entry = {"notebook": notebook.name}
    return ProjectHandIn(notebook.stem[:40], folder, projects.projects[0], entry, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook-timeout", type=float, default=300, help="seconds per notebook")
    parser.add_argument("--no-corpus", action="store_true", help="the demo's projects only")
    options = parser.parse_args()
    os.chdir(ROOT)
    projects = load_projects(ROOT / "assignments" / "projects")
    runtime = projects.runtime_folder()
    if not (runtime / ".installed").is_file():
        print("the projects' runtime is not built: notebooks run in the grader's own environment")
        runtime = None
    limits = RunLimits.for_assignment(
        projects,
        timeout=min(projects.cell_timeout, options.notebook_timeout),
        disk_bytes=COURSE.project_disk_bytes,
    )
    rows: list[tuple[str, float, float, str]] = []  # name, run s, checks s, run's status
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as base:
        demo.bundle_and_collect(Path(base))
        collected = sorted((Path(base) / "submissions").iterdir())
        todo = [h for folder in collected if folder.is_dir() for h in hand_ins(folder, projects)]
        todo = [h for h in todo if h.file("notebook") is not None]
        if not options.no_corpus:
            for number, notebook in enumerate(sorted(CORPUS.glob("*.ipynb"))):
                folder = Path(base) / f"corpus-{number}"
                folder.mkdir()
                todo.append(corpus_hand_in(notebook, folder, projects))
        for hand_in in todo:
            tolerance = projects.rerun_tolerance
            run_s, checks_s, status, found = measure(hand_in, limits, runtime, tolerance)
            kinds = ",".join(p["kind"] for p in found["pitfalls"]) or "-"
            name = f"{hand_in.student} {hand_in.project.id}"
            rows.append((name, run_s, checks_s, status))
            print(
                f"{name[:48]:48} run {run_s:7.2f} s ({status[:22]:22}) checks "
                f"{1000 * checks_s:6.1f} ms  ratio {checks_s / run_s:6.2%}  pitfalls {kinds}",
                flush=True,
            )
    print(f"\n{len(rows)} projects: the checks took {sum(r[2] for r in rows):.2f} s in all")
    # A notebook that stops at its first cell (a library missing outside the projects'
    # runtime) is no baseline: the ratio is given over the runs that went to the end.
    whole = [r for r in rows if r[3] == "ran to the end"]
    if whole:
        ratios = [checks / run for _, run, checks, _ in whole]
        print(
            f"over the {len(whole)} that ran to the end: the checks cost "
            f"{sum(r[2] for r in whole) / sum(r[1] for r in whole):.2%} of the runs' time "
            f"(median {statistics.median(ratios):.2%}, largest {max(ratios):.2%})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
