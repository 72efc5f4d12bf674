"""What ``grader grade`` grades: one :class:`HandIn` per path the user named (a notebook, a
student folder written by ``grader collect``, or a bundle zip), with the notebook handed in for
the assignment picked from a folder (by collect's slot, the release's mark, or the graded
functions it defines), and students optionally named by roster id; the .py files beside it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from grader import engine, forbidden
from grader.assignment import AssignmentConfig
from grader.bundle import MANIFEST_NAME, MANIFEST_SCHEMA
from grader.errors import UserError
from grader.feedback import export
from grader.gradebook import schema
from grader.hand_in_time import UNKNOWN, HandInTime
from grader.inputs.json_input import NotJSON, load_json, object_at
from grader.intake.common import HISTORY
from grader.intake.handed_in import HandedIn, assignment_time
from grader.intake.unreadable import held_unreadable
from grader.limits import GRADING
from grader.roster import Roster


@dataclass(frozen=True)
class HandIn:
    """One student's hand-in as found on disk."""

    student: str
    source: Path  # what the user named: a notebook, a student folder or a bundle zip
    notebook: Path | None  # the notebook to grade, None when there is none
    files_dir: Path | None  # the student's files, copied beside the notebook in the sandbox
    late: bool | None
    problem: str | None = None  # why it cannot be run, when it cannot
    handed_in: HandInTime = UNKNOWN  # when this notebook was handed in, where the folder says
    # the files of this hand-in that could not be read (name, why): collect listed them
    unreadable: tuple[tuple[str, str], ...] = ()

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256(self.student.encode())
        try:
            if self.notebook is None:
                raise engine.NotANotebook(str(self.problem))
            digest.update(engine.read_notebook_bytes(self.notebook))
        except engine.NotANotebook as refused:  # graded as refused: the reason is the version
            digest.update(str(refused).encode())
        return digest.hexdigest()

    @property
    def key(self) -> tuple[str, str]:
        """Which hand-in this is, to the gradebook: its student and the digest of its bytes."""
        return self.student, self.sha256


def _late(
    manifest: dict, handed: HandedIn | None, path: str | None, deadline: datetime | None
) -> bool | None:
    """Whether the graded notebook came late: collect's verdict on that very file (the course's
    deadline, the student's extension, the grace period), else its own time against the
    assignment's deadline, else the folder's verdict (a folder from before per-file times)."""
    if path is not None and isinstance(manifest.get("late_files"), list) and "slots" in manifest:
        return path in manifest["late_files"]
    submitted = handed.at if handed and handed.at else None
    submitted = submitted or manifest.get("submitted_at") or manifest.get("created")
    if "late" in manifest and (deadline is None or not submitted):
        return bool(manifest["late"])
    if deadline is None or not submitted:
        return None
    try:
        return datetime.fromisoformat(submitted) > deadline
    except (TypeError, ValueError):
        return None


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if HISTORY not in p.relative_to(folder).parts)


def _released_as(path: Path) -> str | None:
    """The assignment a released notebook names in its metadata (``grader assign`` writes it)."""
    with contextlib.suppress(NotJSON, OSError):
        named = object_at(object_at(load_json(path.read_bytes()), "metadata"), "grader")
        found = named.get("assignment")
        return found if isinstance(found, str) else None
    return None


def _handed_in_for(folder: Path, manifest: dict, config: AssignmentConfig) -> Path | str:
    """The notebook a student folder of ``grader collect`` holds for this assignment: the one
    collect filed under it, else one whose metadata names it (filed elsewhere: collect did not
    know the course); or why there is none. Another assignment's notebook is never taken."""
    filed = manifest.get("assignments") or {}
    if config.name in filed and (folder / filed[config.name]).is_file():
        return folder / filed[config.name]
    others = {folder / path for name, path in filed.items() if name != config.name}
    unfiled = [p for p in _notebooks(folder) if p not in others]
    named = [p for p in unfiled if _released_as(p) == config.name]
    if named:
        return named[0]
    if not filed:  # no notebook filed under any assignment (collect did not know which):
        # the one that defines the graded functions, or the folder's only one
        return _pick_notebook(folder, config, unfiled)
    held = f" (it holds {', '.join(sorted(filed))} only)" if filed else ""
    return f"no hand-in for {config.name}{held}"


def _pick_notebook(folder: Path, config: AssignmentConfig, notebooks: list[Path]) -> Path | str:
    """The notebook of ``folder`` that defines the most graded functions (a lone one, even
    one that defines none or does not open), or why none does."""
    if not notebooks:
        return f"no notebook (.ipynb) in {folder.name}/"
    named = [p for p in notebooks if p.stem == config.name]
    if named:
        return named[0]
    graded = {f.name for f in config.functions}

    def defined(path: Path) -> int:
        try:
            cells = engine.read_code_cells(path)
        except Exception:  # an unreadable notebook defines nothing
            return 0
        return len(graded & forbidden.defined_functions(cells))

    count, best = max(((defined(path), path) for path in notebooks), key=lambda pair: pair[0])
    if count == 0 and len(notebooks) > 1:
        names = ", ".join(p.name for p in notebooks)
        return f"none of the notebooks ({names}) defines a graded function"
    return best


def _from_folder(folder: Path, config: AssignmentConfig) -> HandIn:
    manifest_path = folder / MANIFEST_NAME
    manifest: dict = {}
    if manifest_path.is_file():
        try:
            read = load_json(manifest_path.read_bytes())
        except (NotJSON, OSError):  # a folder's own manifest is optional: none, then
            read = None
        schema.check_record(manifest_path, read, MANIFEST_SCHEMA)
        manifest = read if isinstance(read, dict) else {}
    claimed = str(object_at(manifest, "student").get("id") or "")
    student = claimed if export.is_plain_name(claimed) else folder.name
    if "slots" in manifest or "assignments" in manifest:  # collected, each file in its place
        picked = _handed_in_for(folder, manifest, config)
    else:
        picked = _pick_notebook(folder, config, _notebooks(folder))
    if isinstance(picked, str):
        unreadable = tuple(held_unreadable(manifest).items())
        return HandIn(student, folder, None, folder, None, problem=picked, unreadable=unreadable)
    path = picked.relative_to(folder).as_posix()
    handed = assignment_time(folder, config.name, path) if manifest else None
    late = _late(manifest, handed, path, config.deadline)
    unreadable = tuple(held_unreadable(manifest, _source_of(manifest, path)).items())
    return HandIn(
        student,
        folder,
        picked,
        folder,
        late,
        handed_in=handed.time if handed else UNKNOWN,
        unreadable=unreadable,
    )


def _source_of(manifest: dict, path: str) -> str | None:
    """The item (a mail, an LMS submission) that brought the file at ``path`` of a collected
    folder, where its slot says; None where none does (a bundle, a folder made by hand)."""
    slots = manifest.get("slots")
    entries = slots.values() if isinstance(slots, dict) else ()
    found = (e.get("source") for e in entries if isinstance(e, dict) and e.get("path") == path)
    source = next(found, None)
    return source if isinstance(source, str) else None


# What tells that a hand-in changed on disk: its folder's inode (collect swaps a changed
# student's folder for a new one) and its notebook's inode, size and modification time.
Version = tuple[int | None, tuple[int, int, int] | None]


def version_of(submission: HandIn) -> Version:
    """The hand-in's files as they are now on disk (None for what is not there)."""

    def status(path: Path | None) -> os.stat_result | None:
        try:
            return None if path is None else os.lstat(path)
        except OSError:
            return None

    folder, notebook = status(submission.files_dir), status(submission.notebook)
    return (
        None if folder is None else folder.st_ino,
        None if notebook is None else (notebook.st_ino, notebook.st_size, notebook.st_mtime_ns),
    )


def vanished(submission: HandIn) -> bool:
    """Whether the notebook listed for grading is no longer there (another program, collect
    or the watch, replaced or removed it since): never the student's doing."""
    return submission.notebook is not None and not os.path.lexists(submission.notebook)


def as_now(submission: HandIn, config: AssignmentConfig) -> HandIn:
    """The hand-in as its folder holds it now (collect may have placed a newer one since it
    was listed), under the same student and source; a lone notebook as it was listed."""
    folder = submission.files_dir
    if folder is None or submission.source.suffix.lower() == ".zip" or not folder.is_dir():
        return submission
    return replace(
        _from_folder(folder, config), student=submission.student, source=submission.source
    )


def find_submissions(
    paths: Sequence[Path], config: AssignmentConfig, scratch: Path
) -> list[HandIn]:
    """One :class:`HandIn` per PATH (bundle zips are unpacked into ``scratch``)."""
    from grader import intake

    found = []
    for path in paths:
        if not path.exists() and not path.is_symlink():  # a link that leads nowhere is graded
            raise UserError(
                f"{path}: no such file or folder; give notebooks, student folders "
                "(from `grader collect`) or bundle zips"
            )
        if path.is_dir():
            found.append(_from_folder(path, config))
        elif path.suffix.lower() == ".zip" and path.is_file():
            target = scratch / path.stem
            try:
                intake.extract_bundle(path, target)
            except intake.Rejected as error:
                problem = f"bundle rejected: {error.reason}"
                found.append(
                    HandIn(error.student or path.stem, path, None, None, None, problem=problem)
                )
                continue
            found.append(replace(_from_folder(target, config), source=path))
        else:
            found.append(HandIn(path.stem, path, path, None, None))
    by_student: dict[str, list[Path]] = {}
    for submission in found:
        by_student.setdefault(submission.student, []).append(submission.source)
    clashes = {s: p for s, p in by_student.items() if len(p) > 1}
    if clashes:
        listing = "; ".join(f"{s}: {', '.join(map(str, p))}" for s, p in clashes.items())
        raise UserError(
            f"several submissions for one student ({listing}); "
            "grade them in separate runs or rename them"
        )
    return found


def named_by_roster(submissions: Sequence[HandIn], roster: Roster) -> list[HandIn]:
    """The submissions named by roster id (found by manifest email or id, folder or file name);
    those the roster does not know keep their name, with a warning."""
    from grader.intake.attribute import roster_id_for

    named = []
    for submission in submissions:
        manifest: object = {}  # roster_id_for takes any JSON
        if submission.files_dir is not None:
            path = submission.files_dir / MANIFEST_NAME
            with contextlib.suppress(OSError, NotJSON):
                manifest = load_json(path.read_bytes())
            schema.check_record(path, manifest, MANIFEST_SCHEMA)
        roster_id = roster_id_for(submission.source, manifest, roster)
        if roster_id is None:
            print(f"warning: {submission.source} is not on the roster", file=sys.stderr)
        named.append(replace(submission, student=roster_id or submission.student))
    ids = [s.student for s in named]
    if clashes := sorted({i for i in ids if ids.count(i) > 1}):
        raise UserError(f"several submissions for roster id(s) {', '.join(clashes)}")
    return named


def _small_file(path: Path) -> bool:
    """A regular file (not a link, nor a pipe that would block its reader) to scan."""
    try:
        found = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(found.st_mode) and found.st_size <= GRADING.scanned_file_bytes


def python_files(files_dir: Path | None) -> list[tuple[str, str]]:
    """``(path, text)`` of the .py files copied beside the notebook, which it can import."""
    if files_dir is None:
        return []
    found = []
    for folder, subfolders, files in os.walk(files_dir):  # never follows links
        subfolders.sort()
        for name in sorted(f for f in files if f.endswith(".py")):
            path = Path(folder, name)
            if not _small_file(path):
                continue
            relative = path.relative_to(files_dir).as_posix()
            found.append((relative, path.read_text(encoding="utf-8", errors="replace")))
            if len(found) == GRADING.scanned_files:
                return found
    return found
