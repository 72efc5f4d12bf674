"""The exact cases of a regrade request's grading run again: the same notebook, the seed the
grading recorded, ``grader grade`` in the sandbox as always, into a folder of the request's own
(``<out>/.requests/request-<n>/``), so the gradebook and the student's marks stay as they are.
The marker reads each named function's score and diagnosis from its ``results.json``."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from grader.assignment.config import load_config
from grader.bundle import MANIFEST_NAME, MANIFEST_SCHEMA
from grader.course.config import Course
from grader.errors import UserError
from grader.feedback import results_file
from grader.gradebook import book_reading
from grader.gradebook.course_book import BOOK_NAME
from grader.gradebook.results import Row
from grader.regrades.book import Request
from grader.regrades.decision import graded_row
from grader.web.regrade import regrade_timeout

RERUNS = ".requests"


def folder(out: Path, request: Request) -> Path:
    return out / RERUNS / f"request-{request.id}"


def graded_notebook(out: Path, request: Request) -> Path | None:
    """The notebook the grading ran, as a student folder of the request's own (the watch
    grades a copy it removes after; its bytes stay in the watch's jobs); None if it is gone."""
    student_folder = folder(out, request) / "source" / request.student
    kept = sorted(student_folder.glob("*.ipynb"))
    if kept:
        return kept[0]
    row = graded_row(out, request)
    if row is None:
        return None
    found = _in_source(row) or _in_watch_jobs(out, row, request.component)
    if found is None:
        return None
    name, data = found
    student_folder.mkdir(parents=True, exist_ok=True)
    manifest = {"schema": MANIFEST_SCHEMA, "student": {"id": row.student}}
    (student_folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    (student_folder / Path(name).name).write_bytes(data)
    return student_folder / Path(name).name


def _graded(row: Row, data: bytes) -> bool:
    return hashlib.sha256(row.student.encode() + data).hexdigest() == row.sha256


def _in_source(row: Row) -> tuple[str, bytes] | None:
    source = Path(row.source)
    candidates = [source] if source.is_file() else sorted(source.rglob("*.ipynb"))
    for path in candidates:
        if path.suffix == ".ipynb" and _graded(row, path.read_bytes()):
            return path.name, path.read_bytes()
    return None


def _in_watch_jobs(out: Path, row: Row, component: str) -> tuple[str, bytes] | None:
    jobs = book_reading.rows(
        out / BOOK_NAME,
        "watch_jobs",
        "SELECT notebook_name, notebook FROM watch_jobs WHERE student = ? AND assignment = ?"
        " ORDER BY id DESC",
        (row.student, component),
    )
    return next(((name, data) for name, data in jobs if _graded(row, data)), None)


def rerun(course: Course, out: Path, request: Request) -> tuple[bool, str]:
    """(succeeded, what to tell the marker)."""
    row = graded_row(out, request)
    if row is None or row.seed is None:
        return False, "no grading with a recorded seed to run again"
    notebook = graded_notebook(out, request)
    if notebook is None:
        return False, "the graded notebook is no longer kept"
    assignment = course.assignment_folder(request.component)
    try:
        timeout = regrade_timeout(load_config(assignment))
    except UserError as error:
        return False, f"cannot run the cases again: {error}"
    command = [
        *(sys.executable, "-m", "grader.cli", "grade", "--assignment", str(assignment)),
        *("--out", str(folder(out, request) / "rerun"), "--workers", "1", "--seed", str(row.seed)),
        str(notebook.parent),
    ]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"the run took over {timeout:g} s and was stopped"
    if run.returncode != 0 and not results(out, request):
        last = (run.stderr.strip().splitlines() or ["no message"])[-1]
        return False, f"the run failed: {last}"
    return True, f"ran again with seed {row.seed}"


def results(out: Path, request: Request) -> dict[str, dict]:
    """Each graded function's test of the re-run (score, max_score, status, output), by name;
    {} before any re-run."""
    found = sorted(folder(out, request).glob("rerun/*/results.json"))
    if not found:
        return {}
    try:
        document = results_file.read_results_json(found[0])
        return {test["name"]: test for test in document.get("tests", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
