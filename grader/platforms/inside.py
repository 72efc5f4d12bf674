"""The run inside the platform's container, as root, once per submission:
``python -m grader.platforms.inside gradescope|prairielearn ROOT`` (``/autograder``, ``/grade``).

It raises the walls (:mod:`grader.platforms.container_walls`) and says them on stdout (the
instructor's log), grades the upload (:mod:`grader.platforms.upload`), then writes the results
file alone, once every process of the student's has ended, and exits 0 whatever happened: a
platform shows nothing of a run that failed (PrairieLearn loses the grade), so a hand-in that
cannot be graded, or the grader's own failure, is a result that says so."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.platforms import results_formats
from grader.platforms.carried import FOLDER, Carried
from grader.platforms.container_walls import end_student_processes, raise_walls
from grader.platforms.upload import Outcome, grade_upload, student_of


def gradescope(root: Path) -> dict[str, Any]:
    """Grade ``root``/submission; Gradescope's results."""
    private = [root / "source", root / "submission", root / "results", root / "run_autograder"]
    carried = root / "source" / FOLDER
    users = _read_json(root / "submission_metadata.json").get("users")
    users = [user for user in users if isinstance(user, dict)] if isinstance(users, list) else []
    outcome = _graded(private, carried, root / "submission", users)
    if outcome.document is not None:
        return results_formats.gradescope(outcome.document, outcome.seconds)
    said = outcome.refused or results_formats.GRADER_FAULT
    return results_formats.gradescope_refused(said, outcome.seconds)


def prairielearn(root: Path) -> dict[str, Any]:
    """Grade ``root``/student; PrairieLearn's results."""
    private = [root / "tests", root / "serverFilesCourse", root / "data", root / "results"]
    outcome = _graded(private, root / "tests" / FOLDER, root / "student", [])
    if outcome.document is not None:
        return results_formats.prairielearn(outcome.document)
    return results_formats.prairielearn_refused(outcome.refused or results_formats.GRADER_FAULT)


def _graded(private: list[Path], course: Path, upload: Path, users: list) -> Outcome:
    began = time.monotonic()
    try:
        walls = raise_walls(private)
        print("\n".join(walls.lines), flush=True)
        carried = Carried.at(course)
        student = student_of(users, carried.roster())
        print(f"grading {carried.assignment} for {student}", flush=True)
        with tempfile.TemporaryDirectory(prefix="grader-platform-") as work:
            outcome = grade_upload(carried, upload, student, Path(work), walls.namespaces)
    except Exception:  # the grader's own failure: in the log, and a result that says so
        traceback.print_exc(file=sys.stdout)
        return Outcome(time.monotonic() - began, fault="the grader failed")
    if outcome.fault:
        print(f"the grader could not grade this submission: {outcome.fault}", flush=True)
    return outcome


def _read_json(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"{path}: not read ({error}); grading without it", flush=True)
        return {}
    return found if isinstance(found, dict) else {}


def _write(results: Path, document: dict[str, Any]) -> None:
    """``results.json`` written whole, never seen half-written (Gradescope reads it after)."""
    results.mkdir(parents=True, exist_ok=True)
    results.chmod(0o755)
    partial = results / ".results.json.partial"
    partial.write_text(json.dumps(document, indent=1), encoding="utf-8")
    os.replace(partial, results / "results.json")


_RUNS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "gradescope": gradescope,
    "prairielearn": prairielearn,
}


def main(argv: list[str]) -> int:
    platform, root = argv[0], Path(argv[1])
    document = _RUNS[platform](root)
    end_student_processes()  # again: none may outlive the run to touch what is written next
    _write(root / "results", document)
    print(f"score {document.get('score')}: wrote {root / 'results' / 'results.json'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
