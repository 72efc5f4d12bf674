"""One upload graded as ``grader grade`` grades it: the student named by the roster, the hidden
cases drawn from the course's secret for that student and assignment (a resubmission is graded
on the same cases), their own values where the assignment has them; then every process of the
student's ended before the caller writes a word of the results."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.feedback.export import is_plain_name
from grader.gradebook.results import GRADER_ERROR
from grader.grading.command import grade
from grader.grading.seeds import case_seed
from grader.platforms.carried import Carried
from grader.platforms.container_walls import end_student_processes
from grader.roster import Roster

REFUSED = ("missing", "invalid")  # the statuses of a hand-in with no notebook to run
_UNNAMED = "student"  # the hand-in of someone the roster does not know, and no address


@dataclass(frozen=True)
class Outcome:
    """One upload's grading: the grader's results for it (:mod:`grader.feedback.export`), or
    why it could not be graded (the student's upload), or the grader's own failure."""

    seconds: float
    document: Mapping[str, Any] | None = None
    refused: str = ""
    fault: str = ""


def student_of(users: Sequence[Mapping[str, Any]], roster: Roster) -> str:
    """The roster id of the first submitter the roster knows (by email, else by id, as
    ``grader grade`` names a hand-in); else the first one's address, else a plain name."""
    for user in users:
        for person in (
            roster.by_email(str(user.get("email") or "")),
            roster.by_id(str(user.get("sid") or "")),
        ):
            if person is not None and not person.is_staff:
                return person.id
    for user in users:
        address = str(user.get("email") or user.get("sid") or "")
        if is_plain_name(address):
            return address
    return _UNNAMED


def grade_upload(
    carried: Carried,
    upload: Path,
    student: str,
    work: Path,
    namespaces: bool,
    memory_ceiling_bytes: int | None = None,
    *,
    trial: bool = True,
) -> Outcome:
    """Grade the files of ``upload`` (a folder) for ``student``, in ``work`` (the grader's
    own folder), its memory no more than ``memory_ceiling_bytes`` where given (what the
    container leaves the student); ``trial``: False where the image's build ran the trial
    notebook with these limits."""
    began = time.monotonic()
    try:
        handed = laid_out(upload, student, work / "in")
        carried.place_record()
        seed = case_seed(carried.key(), carried.assignment, student)
        out = work / "out"
        run = grade(
            [handed],
            carried.assignment_dir,
            out,
            seed=seed,
            unsafe_no_sandbox=not namespaces,
            decimals=carried.decimals,
            memory_ceiling_bytes=memory_ceiling_bytes,
            trial=trial,
        )
    finally:
        end_student_processes()
    seconds = time.monotonic() - began
    (row,) = run.rows
    if row.status == GRADER_ERROR:
        return Outcome(seconds, fault=row.reason or "")
    if row.status in REFUSED:
        return Outcome(seconds, refused=row.reason or "no notebook was found")
    document = json.loads((out / row.student / "results.json").read_text())
    return Outcome(seconds, document=document)


def laid_out(upload: Path, student: str, into: Path) -> Path:
    """The upload as ``grader grade`` takes it, named by ``student``: its folder, or the one
    bundle zip it holds where it holds no notebook."""
    files = [p for p in upload.rglob("*") if p.is_file() and not p.is_symlink()]
    notebooks = [p for p in files if p.suffix.lower() == ".ipynb"]
    zips = [p for p in files if p.suffix.lower() == ".zip"]
    into.mkdir(parents=True)
    if not notebooks and len(zips) == 1:
        return Path(shutil.copyfile(zips[0], into / f"{student}.zip"))
    folder = into / student
    shutil.copytree(upload, folder, symlinks=True)
    return folder
