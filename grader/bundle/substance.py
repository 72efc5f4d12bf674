"""What the course's checks of substance will find in each project of a bundle, told to the
student before sending: the same checks ``grader grade`` runs (:func:`grader.projects.handin.
substance`), on the same files laid out as the course receives them, without the sandbox's
run (the notebook's saved outputs are what is read), in the sentences of
:mod:`grader.projects.telling`. Notes only: they never stop a bundle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.bundle.submission import Submission
from grader.projects.handin import told_to_student


@dataclass(frozen=True)
class ProjectNotes:
    number: int
    title: str
    notes: tuple[str, ...]


def project_notes(
    submission: Submission, root: Path, paths: Sequence[Mapping[str, str]]
) -> list[ProjectNotes]:
    """Each project's notes; ``root`` holds the files at ``paths`` (role -> path inside the
    bundle), as the course unpacks them."""
    told = []
    for number, (project, where) in enumerate(zip(submission.projects, paths, strict=True), 1):
        files = {role: root / where[role] if role in where else None
                 for role in ("notebook", "report", "dataset")}  # fmt: skip
        said = told_to_student(files, root, submission.kept_from_students)
        told.append(ProjectNotes(number, project.title, tuple(said)))
    return told


def render(told: list[ProjectNotes]) -> str:
    """The notes as ``grader bundle`` prints them."""
    lines = ["What the course's checks will find (notes: they do not stop the bundle):"]
    for project in told:
        lines.append(f"project {project.number} ({project.title or 'untitled'}):")
        lines += [f"  - {note}" for note in project.notes] or ["  - nothing to note"]
    return "\n".join(lines)
