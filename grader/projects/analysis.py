"""All the checks of substance for one project, as plain data: ``model``, ``numbers``,
``pitfalls``, ``provenance`` and ``notes`` (what could not be read or checked, in words).
A notebook or report that cannot be read is said so and the other checks still come."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from grader.projects.cells import Notebook, read_project_notebook
from grader.projects.flow import Flow
from grader.projects.kinds import PARTS
from grader.projects.model import model_facts
from grader.projects.numbers import check_numbers
from grader.projects.pitfalls import find_pitfalls
from grader.projects.provenance import provenance
from grader.projects.values import Baseline, Read, Seed

_TOO_DEEP = "the notebook's code is nested too deeply for {}: not checked"
# A report as read for the checks: its text by section and whole, or why it cannot be read.
ReportRead = tuple[dict[str, str], str] | str


def analyse(
    notebook: Notebook,
    sections: dict[str, str] | None,
    report_text: str | None = None,
    *,
    rerun: str | None = None,
    tolerance: float = 0.05,
    dataset: Path | None = None,
    folder: Path | None = None,
    reads: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The checks of one project. ``sections``: the report's text by section (None when it
    could not be read); ``rerun``: the sandbox run's output (None when it did not run)."""
    notes = list(notebook.notes)
    if notebook.problem:
        notes.append(notebook.problem)
    events: list[Any] = []
    try:
        events = Flow(notebook).run().events
    except RecursionError:
        notes.append(_TOO_DEEP.format("its data flow"))
    except Exception as error:  # noqa: BLE001 - a grader fault said in words, never a traceback
        notes.append(f"the notebook's data flow could not be followed (grader fault: {error!r})")
    seeded = any(isinstance(e, Seed) for e in events)
    model = _part(notes, "model", lambda: model_facts(notebook, events, rerun), {})
    if sections is None:
        notes.append("the report could not be read: its numbers were not checked")
    numbers = _part(
        notes,
        "numbers",
        lambda: check_numbers(sections or {}, notebook, rerun, tolerance, seeded),
        [],
    )
    complete = notebook.problem is None and not notebook.notes
    pitfalls = _part(
        notes, "pitfalls", lambda: find_pitfalls(events, model, numbers, sections, complete), []
    )
    opened = tuple(e for e in events if isinstance(e, Read) and e.path)
    read_paths = list(dict.fromkeys([*(e.path for e in opened if e.path), *reads]))
    origin = _part(
        notes,
        "provenance",
        lambda: provenance(notebook, read_paths, dataset, folder, report_text, opened, rerun),
        {},
    )
    return {
        "model": model,
        "numbers": numbers,
        "pitfalls": pitfalls,
        "provenance": origin,
        "baselines": [
            {"how": e.how, "cell": e.where.cell, "line": e.where.line}
            for e in events
            if isinstance(e, Baseline)
        ],
        "seeded": seeded,
        "notes": notes,
    }


def analyse_files(
    notebook: Path | None,
    report: ReportRead | None,
    **options: Any,
) -> dict[str, Any]:
    """:func:`analyse` on files: ``report`` as :func:`grader.report.facts.report_text` gives
    it (sections and text, or the reason it cannot be read), None when there is none."""
    if notebook is None:
        read = Notebook(problem="no notebook was handed in")
    else:
        read = read_project_notebook(notebook)
    sections, text = report if isinstance(report, tuple) else (None, None)
    found = analyse(read, sections, text, **options)
    if isinstance(report, str):
        found["notes"].append(f"the report could not be read ({report})")
    return found


def analyse_handin(
    files: Mapping[str, Path | None],
    folder: Path | None,
    rerun: str | None,
    tolerance: float,
    reads: list[str],
    read_report: Callable[[Path], ReportRead],
) -> dict[str, Any]:
    """One project as handed in, through every check of substance, as its checks record them:
    ``model``, ``numbers``, ``pitfalls``, ``provenance`` and ``baselines``, ``substance_notes``
    (what could not be read or checked) and ``seeded``. ``files``: the ``notebook``, ``report``
    (PDF) and ``dataset``, each None when not handed in; ``reads``: the files the notebook
    names; ``read_report``: the reader of the report's PDF
    (:func:`grader.report.facts.report_text`). The instructor's ``grader grade`` (with the
    sandbox's rerun) and the student's ``grader bundle`` (without one: the saved outputs only)
    both call it, so the two say the same of the same files."""
    report = files.get("report")
    found = analyse_files(
        files.get("notebook"),
        read_report(report) if report is not None else None,
        rerun=rerun,
        tolerance=tolerance,
        dataset=files.get("dataset"),
        folder=folder,
        reads=tuple(reads),
    )
    if report is None:
        found["notes"].append("no report was handed in: no numbers to check")
    result = {key: found[key] for key in (*PARTS, "baselines")}
    result["substance_notes"] = found["notes"]
    result["seeded"] = found["seeded"]
    return result


def _part(notes: list[str], name: str, work: Any, empty: Any) -> Any:
    try:
        return work()
    except RecursionError:
        notes.append(_TOO_DEEP.format(f"the {name} check"))
        return empty
    except Exception as error:  # noqa: BLE001 - a grader fault said in words, never a traceback
        notes.append(f"the {name} check could not be completed (grader fault: {error!r})")
        return empty
