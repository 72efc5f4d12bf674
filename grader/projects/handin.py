"""One project as handed in, through the checks of substance: its notebook, its report's PDF
and its dataset, read from files. The instructor's ``grader grade`` (with the sandbox's rerun)
and the student's ``grader bundle`` (without one: the saved outputs only) both call
:func:`substance`, so the two say the same of the same files. Only the base install's
packages are imported here: a student's ``pip install`` has them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.projects.analysis import analyse_files
from grader.projects.cells import files_opened, read_project_notebook

SUBSTANCE = ("model", "numbers", "pitfalls", "provenance", "baselines")


def substance(
    files: dict[str, Path | None],
    folder: Path | None,
    rerun: str | None,
    tolerance: float,
    reads: list[str],
) -> dict[str, Any]:
    """The model, numbers, pitfalls and provenance of one project, and ``substance_notes``
    (what could not be read or checked). ``files``: the ``notebook``, ``report`` (PDF) and
    ``dataset``, each None when not handed in; ``reads``: the files the notebook names."""
    from grader.report.facts import report_text  # the PDF reader: only where a report is

    report = files.get("report")
    found = analyse_files(
        files.get("notebook"),
        report_text(report) if report is not None else None,
        rerun=rerun,
        tolerance=tolerance,
        dataset=files.get("dataset"),
        folder=folder,
        reads=tuple(reads),
    )
    if report is None:
        found["notes"].append("no report was handed in: no numbers to check")
    result = {key: found[key] for key in SUBSTANCE}
    result["substance_notes"] = found["notes"]
    result["seeded"] = found["seeded"]
    return result


def told_to_student(files: dict[str, Path | None], folder: Path, kept: frozenset[str]) -> list[str]:
    """What the course's checks find in one project, in the sentences of
    :func:`grader.projects.telling.notes`, from the saved outputs (nothing is run, so no
    tolerance applies), less the kinds ``kept`` from students; a fault of the grader is said in
    a sentence, never raised."""
    from grader.projects.telling import notes

    try:
        checks = substance(files, folder, None, 0.0, notebook_reads(files.get("notebook")))
        return notes(checks, kept)
    except Exception as error:  # noqa: BLE001 - a grader fault said in words, not a traceback
        return [f"not checked: the course's checks could not run here (grader fault: {error!r})"]


def notebook_reads(notebook: Path | None) -> list[str]:
    """The files a notebook's code names for a reader (what ``grader grade`` reads from it
    before its run); none for a notebook that cannot be read."""
    if notebook is None:
        return []
    read = read_project_notebook(notebook)
    return files_opened("\n".join(c.source for c in read.cells if c.kind == "code"))
