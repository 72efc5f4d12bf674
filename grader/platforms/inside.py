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

from grader.grading.grader_process import plan_for, trial_run
from grader.limits import PLATFORMS
from grader.platforms import results_formats
from grader.platforms.build_check import BuildCheck, read_record, write_record
from grader.platforms.carried import FOLDER, Carried
from grader.platforms.container_memory import container_memory
from grader.platforms.container_walls import end_student_processes, raise_walls
from grader.platforms.upload import Outcome, grade_upload, student_of


def gradescope(root: Path) -> dict[str, Any]:
    """Grade ``root``/submission; Gradescope's results."""
    private = [root / "source", root / "submission", root / "results", root / "run_autograder"]
    carried = root / "source" / FOLDER
    users = _read_json(root / "submission_metadata.json").get("users")
    users = [user for user in users if isinstance(user, dict)] if isinstance(users, list) else []
    memory = _DEFAULT_MEMORY["gradescope"]
    outcome = _graded(private, carried, root / "submission", users, memory)
    if outcome.document is not None:
        return results_formats.gradescope(outcome.document, outcome.seconds)
    said = outcome.refused or results_formats.GRADER_FAULT
    return results_formats.gradescope_refused(said, outcome.seconds)


def prairielearn(root: Path) -> dict[str, Any]:
    """Grade ``root``/student; PrairieLearn's results."""
    private = [root / "tests", root / "serverFilesCourse", root / "data", root / "results"]
    memory = _DEFAULT_MEMORY["prairielearn"]
    outcome = _graded(private, root / "tests" / FOLDER, root / "student", [], memory)
    if outcome.document is not None:
        return results_formats.prairielearn(outcome.document)
    return results_formats.prairielearn_refused(outcome.refused or results_formats.GRADER_FAULT)


def _graded(
    private: list[Path], course: Path, upload: Path, users: list, default_memory: int
) -> Outcome:
    """``default_memory``: the platform's documented container memory, where the container's
    own limit cannot be read."""
    began = time.monotonic()
    try:
        carried = Carried.at(course)
        memory = container_memory(default_memory)
        checked, said = read_record(carried, memory.student_bytes)
        walls = raise_walls(private, None if checked is None else checked.namespaces)
        print("\n".join([*walls.lines, memory.line(carried.memory_bytes()), said]), flush=True)
        student = student_of(users, carried.roster())
        print(f"grading {carried.assignment} for {student}", flush=True)
        with tempfile.TemporaryDirectory(prefix="grader-platform-") as work:
            outcome = grade_upload(
                carried,
                upload,
                student,
                Path(work),
                walls.namespaces,
                memory.student_bytes,
                trial=checked is None,
            )
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
# Each platform's documented container memory, where the container's own limit cannot be read.
_DEFAULT_MEMORY = {
    "gradescope": PLATFORMS.gradescope_memory_bytes,
    "prairielearn": PLATFORMS.prairielearn_memory_bytes,
}


def build_check(platform: str, course: Path) -> int:
    """At the image's build, once: the sandbox checked and the trial notebook run as each
    submission's run would (its walls, the student's memory limit), and recorded for the runs
    (:mod:`grader.platforms.build_check`). A failure is said and recorded nowhere: each run
    then checks at its start, and says what is wrong in its results."""
    try:
        carried = Carried.at(course)
        memory = container_memory(_DEFAULT_MEMORY[platform])
        walls = raise_walls([course])
        with tempfile.TemporaryDirectory(prefix="grader-build-") as out:
            plan = plan_for(
                carried.assignment_dir,
                Path(out),
                unsafe_no_sandbox=not walls.namespaces,
                decimals=carried.decimals,
                memory_ceiling_bytes=memory.student_bytes,
            )
            seconds = trial_run(plan)
        end_student_processes()
        check = BuildCheck(walls.namespaces, seconds)
        path = write_record(carried, memory.student_bytes, check)
    except Exception:  # the build goes on: the runs check for themselves
        traceback.print_exc(file=sys.stdout)
        print("the build's check failed: each run checks the sandbox at its start", flush=True)
        return 0
    print(f"the sandbox checked and the trial notebook run ({seconds:.1f} s): {path}", flush=True)
    return 0


def main(argv: list[str]) -> int:
    """``PLATFORM ROOT``: grade the submission; ``--build PLATFORM COURSE``: the build's check."""
    if argv[0] == "--build":
        return build_check(argv[1], Path(argv[2]))
    platform, root = argv[0], Path(argv[1])
    document = _RUNS[platform](root)
    end_student_processes()  # again: none may outlive the run to touch what is written next
    _write(root / "results", document)
    print(f"score {document.get('score')}: wrote {root / 'results' / 'results.json'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
