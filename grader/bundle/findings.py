"""What the course's checks will find in each project of a bundle, told to the student before
sending: the same checks ``grader grade`` runs (:func:`grader.projects.analysis.analyse_handin`),
on the same files laid out as the course receives them, without the sandbox's run (the
notebook's saved outputs are what is read), in the sentences of :mod:`grader.projects.findings`.
The watch's receipt tells the same. Notes only: they never stop a bundle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.bundle.submission import Submission
from grader.projects.kinds import FILE_ROLES


@dataclass(frozen=True)
class ProjectFindings:
    number: int
    title: str
    findings: tuple[str, ...]


def findings_for_student(
    files: Mapping[str, Path | None], folder: Path, kept: frozenset[str]
) -> list[str]:
    """What the course's checks find in one project (``files``: each role's file, None when
    not handed in), from the saved outputs (nothing is run, so no tolerance applies), less the
    kinds ``kept`` from students; a fault of the grader is said in a sentence, never raised."""
    # the checks and the PDF reader load where a project is checked, not with every bundle's
    # manifest that intake reads
    from grader.projects.analysis import analyse_handin
    from grader.projects.cells import notebook_reads
    from grader.projects.findings import findings_in_words
    from grader.report.facts import report_text

    try:
        reads = notebook_reads(files.get("notebook"))
        checks = analyse_handin(files, folder, None, 0.0, reads, report_text)
        return findings_in_words(checks, kept)
    except Exception as error:  # noqa: BLE001 - a grader fault said in words, not a traceback
        return [f"not checked: the course's checks could not run here (grader fault: {error!r})"]


def project_findings(
    submission: Submission, root: Path, paths: Sequence[Mapping[str, str]]
) -> list[ProjectFindings]:
    """Each project's findings; ``root`` holds the files at ``paths`` (role -> path inside the
    bundle), as the course unpacks them."""
    told = []
    for number, (project, where) in enumerate(zip(submission.projects, paths, strict=True), 1):
        files = {role: root / where[role] if role in where else None for role in FILE_ROLES}
        said = findings_for_student(files, root, submission.kept_from_students)
        told.append(ProjectFindings(number, project.title, tuple(said)))
    return told


def findings_text(told: list[ProjectFindings]) -> str:
    """The findings as ``grader bundle`` prints them."""
    lines = ["What the course's checks will find (notes: they do not stop the bundle):"]
    for project in told:
        lines.append(f"project {project.number} ({project.title or 'untitled'}):")
        lines += [f"  - {finding}" for finding in project.findings] or ["  - nothing to note"]
    return "\n".join(lines)
