"""``grader collect``: an inbox into one folder per student, then the index and merged PDF."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from grader.bundle import DEFAULT_PROJECTS
from grader.errors import UserError
from grader.intake.common import (
    DEFAULT_LIMITS,
    MERGED_PDF,
    Limits,
    Rejected,
    parse_deadline,
    progress,
)
from grader.intake.index import (
    SENT_NOTHING,
    Summary,
    current_students,
    index_rows,
    write_lists,
)
from grader.intake.manifest import check_student_id
from grader.intake.merged_pdf import write_merged_pdf
from grader.intake.parcels import Item, Parcel, Settings, inbox_items
from grader.intake.placing import place_student
from grader.roster import Roster, load_roster


def _read_all(items: Sequence[Item], settings: Settings, summary: Summary, staging: Path):
    """Every item read into a parcel, its files staged on disk; the students' parcels."""
    parcels = []
    for number, item in enumerate(progress(items, "collect", lambda item: item.source)):
        try:
            parcel = item.read()
        except Rejected as rejection:
            summary.rejected.append((item.source, rejection.student, rejection.reason))
            continue
        except Exception as error:  # a broken submission is a row, never a crashed run
            reason = f"could not be read ({type(error).__name__}: {error}); please report this"
            summary.rejected.append((item.source, "", reason))
            continue
        listing = (parcel.source, parcel.sender, parcel.sent_at, parcel.subject)
        if parcel.skipped:
            summary.skipped.append((*listing, parcel.skipped))
        elif parcel.unattributed or parcel.student is None:
            summary.unattributed.append((*listing, parcel.unattributed))
        else:
            try:
                check_student_id(parcel.student["id"])
            except Rejected as rejection:
                summary.rejected.append((item.source, parcel.sender, rejection.reason))
                continue
            parcel.stage(staging / f"parcel-{number}")
            parcels.append(parcel)
    return parcels


def collect(
    inbox: Path,
    out: Path,
    deadline: datetime | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    projects_required: int = DEFAULT_PROJECTS,
    roster: Roster | None = None,
    project_titles: Sequence[str] = (),
    fetch: object | None = None,
) -> Summary:
    """Collect every submission in ``inbox`` into ``out``; see the package docstring.

    ``fetch`` (a :class:`grader.intake.fetch.FetchSettings`) downloads the notebooks behind
    Colab links that have no notebook beside them.
    """
    if out.resolve() == inbox.resolve() or inbox.resolve().is_relative_to(out.resolve()):
        raise UserError(f"--out {out} must not be the inbox or hold it: give another folder")
    settings = Settings(limits, roster, projects_required, tuple(project_titles))
    items = inbox_items(inbox, settings)
    summary = Summary(items=len(items))
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".collect-"))
    try:
        parcels = _read_all(items, settings, summary, staging)
        by_student: dict[str, list[Parcel]] = {}
        for parcel in parcels:
            assert parcel.student is not None
            by_student.setdefault(parcel.student["id"], []).append(parcel)
        outcome_lists = {
            "changed": summary.placed,
            "repeat": summary.repeats,
            "already collected": summary.already_collected,
            "empty": summary.empty,
        }
        for student_id, own in by_student.items():
            outcomes = place_student(out / student_id, own, staging, projects_required)
            for source, outcome in outcomes.items():
                outcome_lists[outcome].append(source)
        if fetch is not None:
            from grader.intake.fetch import fetch_notebooks

            fetch_notebooks(out, staging, fetch, summary, projects_required)
        students = current_students(out, deadline)
        rows = index_rows(students, roster, projects_required)
        write_lists(out, summary, rows)
        if students:
            nothing = [row[0] for row in rows if row[-1] == SENT_NOTHING]
            summary.merged_pdf = write_merged_pdf(
                students, out / MERGED_PDF, staging, deadline, len(summary.rejected), nothing
            )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def summary_lines(summary: Summary) -> list[str]:
    lines = [
        f"Read {summary.items} item(s): {len(summary.placed)} collected, "
        f"{len(summary.repeats)} only repeated files already received, "
        f"{len(summary.already_collected)} already collected, "
        f"{len(summary.skipped)} from staff or the mailbox owner, "
        f"{len(summary.unattributed)} unattributed, {len(summary.rejected)} rejected."
    ]
    lines += [
        f"  rejected {source}{f' ({student})' if student else ''}: {reason}"
        for source, student, reason in summary.rejected
    ]
    lines += [f"  unattributed {row[0]} from {row[1]}: {row[4]}" for row in summary.unattributed]
    if summary.fetched or summary.fetch_failed:
        lines.append(
            f"Fetched {summary.fetched} notebook(s) behind Colab links; "
            f"{summary.fetch_failed} could not be fetched (see the notes in index.csv)."
        )
    lines.append(
        f"{summary.students} student(s), {summary.late} late, {summary.incomplete} with "
        f"something missing, {summary.earlier} earlier version(s) kept, "
        f"{summary.sent_nothing} on the roster sent nothing. "
        f"Summary: {summary.index_csv}"
    )
    if summary.rejected:
        lines.append(f"Rejected: {summary.rejected_csv}")
    if summary.unattributed or summary.skipped:
        lines.append(f"Not submissions or not attributed: {summary.unattributed_csv}")
    if summary.merged_pdf:
        lines.append(f"All submissions in one PDF: {summary.merged_pdf}")
    return lines


def cli(args: argparse.Namespace) -> int:
    deadline = parse_deadline(args.deadline) if args.deadline else None
    roster = load_roster(args.roster) if args.roster else None
    fetch = None
    if args.fetch:
        from grader.intake.fetch import FetchSettings

        fetch = FetchSettings.from_environment()
    titles = [t.strip() for t in args.project_titles.split(";")] if args.project_titles else []
    summary = collect(
        Path(args.inbox),
        Path(args.out),
        deadline,
        roster=roster,
        fetch=fetch,
        project_titles=titles,
    )
    print("\n".join(summary_lines(summary)))
    return 0
