"""What the instructor reads first: ``index.csv`` (one row per student, every roster student
included), ``REJECTED.csv``, ``UNATTRIBUTED.csv``, ``NO_HANDIN.csv`` and ``COPIES.csv``, and the
counts of the summary line, all computed from the same rows so that they agree.

Every item read has exactly one outcome: collected into a student's folder (it changed the
submission), a repeat of what the student had sent (recorded in the manifest's ``emails``),
already collected on an earlier run, from staff or the mailbox owner, a bounce (a mail server's
delivery report, returning the course's own mail), no hand-in (no file and
no link: a question, or a forgotten attachment), unattributed, or rejected. An identical copy
of an item (in another inbox, or the same) is no item of its own: ``COPIES.csv`` names it and
the item it was folded into; items that share a Message-ID but differ are never folded."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.bundle import MANIFEST_NAME
from grader.errors import UserError
from grader.gradebook import schema
from grader.intake.common import (
    COPIES_CSV,
    HISTORY,
    INDEX_CSV,
    NO_HANDIN_CSV,
    REJECTED_CSV,
    RELAYED_CSV,
    REPLACED_CSV,
    UNATTRIBUTED_CSV,
    natural_key,
    write_manifest,
)
from grader.intake.deadlines import Deadlines, apply_deadlines
from grader.intake.manifest import load_manifest
from grader.outputs.csvfile import write_csv
from grader.projects.kinds import FILE_ROLES
from grader.roster import Roster

INDEX_HEADER = (
    "student",
    "name",
    "email",
    "submitted_at",
    "late",
    "source",
    "projects",
    "assignments",
    "missing",
    "earlier",
    "notes",
    "late_files",
    "sender_check",
    "status",
)
SENT_NOTHING = "sent nothing"
BOUNCES = "bounces (delivery reports)"


@dataclass
class Summary:
    items: int = 0
    # The server whose Authentication-Results top every message read ('' when not one), for a
    # course that trusts none: its senders are not checked (see unchecked_line)
    receiving_server: str = ""
    # (source, filed for, server, why): hand-ins whose receiving server, which the course does
    # not trust, says their sender failed (see failed_sender_note)
    failed_senders: list[tuple[str, str, str, str]] = field(default_factory=list)
    placed: list[str] = field(default_factory=list)  # items that changed a submission
    repeats: list[str] = field(default_factory=list)  # items that only repeated files held
    already_collected: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    # (source, sender, date, subject, reason): a mail server's report that a message (the
    # course's own, most likely) could not be delivered; never a hand-in
    bounces: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    # (source, sender, date, subject, student if known, reason): mail with no file and no link
    no_handin: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    unattributed: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)
    # (source, student, "name: why"): a file that could not be read in an item whose other
    # files were collected; REJECTED.csv lists it by its own name, not as an item's outcome
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)
    # (source, student, outcome): replies to the feedback mail that ask for a regrade
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    # (source, staff, date, subject, student): staff's mail placed for the student it names
    relayed: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (copy, the item it copies)
    copy_ids: dict[str, str] = field(default_factory=dict)  # copy -> its Message-ID, if any
    # (source, Message-ID, the first item with it): same Message-ID, different content
    same_id: list[tuple[str, str, str]] = field(default_factory=list)
    fetched: int = 0
    fetch_failed: int = 0
    students: int = 0
    late: int = 0
    grace: int = 0  # handed in within the grace period: not late
    incomplete: int = 0  # students with something missing
    earlier: int = 0
    sent_nothing: int = 0
    archive_entries: set[str] = field(default_factory=set)  # the items from LMS downloads
    by_component: list[str] = field(default_factory=list)  # "lstm_gates: 9 handed in", ...
    merged_pdf: Path | None = None
    index_csv: Path | None = None
    rejected_csv: Path | None = None
    unattributed_csv: Path | None = None
    no_handin_csv: Path | None = None
    relayed_csv: Path | None = None
    copies_csv: Path | None = None
    # (student, source, what it replaced, that hand-in's source and time, flag): hand-ins this
    # run placed over an earlier one of the student's
    replaced: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    replaced_csv: Path | None = None

    def outcomes(self) -> dict[str, int]:
        """How many items had each outcome; they add up to ``items``."""
        counts = {
            "collected": len(self.placed),
            "only repeated files already received": len(self.repeats),
            "already collected": len(self.already_collected),
            "from staff or the mailbox owner": len(self.skipped),
            BOUNCES: len(self.bounces),
            "no hand-in (no file, no link)": len(self.no_handin),
            "unattributed": len(self.unattributed),
            "rejected": len(self.rejected),
        }
        if self.requests:  # only a course's collect (--graded) tells them
            counts["regrade requests (replies to the feedback)"] = len(self.requests)
        return counts


def student_dirs(out: Path) -> list[Path]:
    return sorted(
        (
            path
            for path in out.iterdir()
            if path.is_dir() and not path.name.startswith(".") and (path / MANIFEST_NAME).is_file()
        ),
        key=lambda path: natural_key(path.name),
    )


def current_students(out: Path, deadlines: Deadlines) -> list[tuple[Path, dict[str, Any]]]:
    """Every student folder in ``out`` with its manifest, late flags set by ``deadlines``."""
    students = []
    for student_dir in student_dirs(out):
        try:
            manifest = load_manifest(student_dir)
        except schema.NewerState:
            raise
        except UserError as error:  # a folder damaged by hand must not stop the others
            print(f"skipped: {error}", file=sys.stderr)
            continue
        if apply_deadlines(manifest, deadlines):
            write_manifest(student_dir, manifest)
        students.append((student_dir, manifest))
    return students


def _lateness(manifest: dict[str, Any]) -> str:
    """``yes`` (after the deadline and its grace period), ``grace`` (within it: no penalty)
    or ``no``."""
    if manifest["late"]:
        return "yes"
    return "grace" if manifest.get("grace_files") else "no"


def _earlier(student_dir: Path) -> int:
    history = student_dir / HISTORY
    return sum(1 for p in history.iterdir() if p.is_dir()) if history.is_dir() else 0


def _notes(manifest: dict[str, Any]) -> list[str]:
    checks = manifest.get("checks", {})
    found = [f"{path}: {p}" for path, check in checks.items() for p in check["problems"]]
    return [*manifest.get("notes", []), *found]


def _sender_checks(manifest: dict[str, Any]) -> str:
    """What the mail said of the sender of each message whose files are held now."""
    checks = {e["source"]: e.get("sender_check", "") for e in manifest.get("emails", [])}
    held = dict.fromkeys(e["source"] for e in manifest.get("slots", {}).values())
    said = {source: checks[source] for source in held if checks.get(source)}
    if len(set(said.values())) <= 1:
        return next(iter(said.values()), "")
    return "; ".join(f"{source}: {check}" for source, check in said.items())


def replacements(
    students: Sequence[tuple[Path, dict[str, Any]]], placed: Sequence[str] | None = None
) -> list[tuple[str, str, str, str, str, str]]:
    """The hand-ins among ``placed`` (this run's; None: every run's, as the students' manifests
    keep them) that replaced an earlier one, as :attr:`Summary.replaced` lists them."""
    return [
        (manifest["student"]["id"], email["source"], r["what"], r["source"], r["at"], flag)
        for _, manifest in students
        for email in manifest.get("emails", [])
        if placed is None or email["source"] in placed
        for r in email.get("replaced", [])
        for flag in [r.get("flag", "")]
    ]


def index_rows(
    students: Sequence[tuple[Path, dict[str, Any]]], roster: Roster | None, required: int
) -> list[list[Any]]:
    rows = []
    for student_dir, manifest in students:
        rows.append(
            [
                manifest["student"]["id"],
                manifest["student"]["name"],
                manifest["student"]["email"],
                manifest["submitted_at"],
                _lateness(manifest),
                manifest["source"],
                len(manifest["projects"]),
                "; ".join(manifest.get("assignments", {})),
                "; ".join(manifest["missing"]),
                _earlier(student_dir),
                "; ".join(_notes(manifest)),
                "; ".join(manifest.get("late_files", [])),
                _sender_checks(manifest),
                "collected",
            ]
        )
    if roster is not None:
        have = {manifest["student"]["id"].lower() for _, manifest in students}
        for person in roster.students:
            if person.id.lower() not in have:
                email = person.emails[0] if person.emails else ""
                everything = f"everything ({required} projects)"
                rows.append([person.id, person.name, email, "", "", "", 0, "", everything, 0, ""])
                rows[-1] += ["", "", SENT_NOTHING]
    return rows


def component_counts(
    students: Sequence[tuple[Path, dict[str, Any]]], assignments: Sequence[str], required: int
) -> list[str]:
    """Per component, how many students handed something in: each assignment's notebooks (the
    course's assignments, and any other a notebook named), then each project's hand-ins and
    how many of them lack something."""
    manifests = [manifest for _, manifest in students]
    named = {aid for manifest in manifests for aid in manifest.get("assignments", {})}
    counts = [
        f"{aid}: {sum(aid in m.get('assignments', {}) for m in manifests)} handed in"
        for aid in [*assignments, *sorted(named - set(assignments))]
    ]
    for number in range(1, required + 1):
        started = [m for m in manifests if _has_project(m, number)]
        lacking = sum(
            any(item.startswith(f"project {number}:") for item in m["missing"]) for m in started
        )
        counts.append(
            f"project {number}: {len(started)} handed in"
            + (f" ({lacking} with something missing)" if lacking else "")
        )
    return counts


def _has_project(manifest: dict[str, Any], number: int) -> bool:
    projects = manifest["projects"]
    return len(projects) >= number and any(
        projects[number - 1].get(key) for key in (*FILE_ROLES, "colab")
    )


def write_lists(
    out: Path,
    summary: Summary,
    rows: Sequence[Sequence[Any]],
    replaced: Sequence[tuple[str, str, str, str, str, str]] = (),
) -> None:
    """index.csv, REJECTED.csv, UNATTRIBUTED.csv, NO_HANDIN.csv, REPLACED.csv (``replaced``:
    every replacement the folder holds, a killed run's too); the summary's counts from the
    same rows."""
    summary.index_csv = out / INDEX_CSV
    write_csv(summary.index_csv, INDEX_HEADER, [*rows, *_archive_entries_not_filed(summary)])
    summary.rejected_csv = out / REJECTED_CSV
    rejected = [*summary.rejected, *summary.unreadable]
    write_csv(summary.rejected_csv, ["source", "student", "reason"], rejected)
    summary.unattributed_csv = out / UNATTRIBUTED_CSV
    write_csv(
        summary.unattributed_csv,
        ["source", "sender", "date", "subject", "reason"],
        [*summary.unattributed, *summary.skipped, *summary.bounces],
    )
    summary.no_handin_csv = out / NO_HANDIN_CSV
    write_csv(
        summary.no_handin_csv,
        ["source", "sender", "date", "subject", "student", "reason"],
        summary.no_handin,
    )
    summary.relayed_csv = out / RELAYED_CSV  # only when staff relayed something: to confirm
    if summary.relayed:
        header = ["source", "relayed_by", "date", "subject", "student"]
        write_csv(summary.relayed_csv, header, summary.relayed)
    else:
        summary.relayed_csv.unlink(missing_ok=True)
    _write_copies(out, summary)
    summary.replaced_csv = out / REPLACED_CSV
    if replaced:
        header = ["student", "source", "replaced", "replaced_source", "replaced_at", "flag"]
        write_csv(summary.replaced_csv, header, replaced)
    else:
        summary.replaced_csv.unlink(missing_ok=True)
    collected = [dict(zip(INDEX_HEADER, row, strict=True)) for row in rows]
    collected = [row for row in collected if row["status"] != SENT_NOTHING]
    summary.students = len(collected)
    summary.late = sum(1 for row in collected if row["late"] == "yes")
    summary.grace = sum(1 for row in collected if row["late"] == "grace")
    summary.incomplete = sum(1 for row in collected if row["missing"])
    summary.earlier = sum(int(row["earlier"]) for row in collected)
    summary.sent_nothing = len(rows) - len(collected)


def _archive_entries_not_filed(summary: Summary) -> list[list[str]]:
    """index.csv's rows, after the students', for each entry of an LMS's download that is no
    student's hand-in (not on the roster, a test student, staff's, anonymous, corrupt), with
    its reason: every entry of an archive is accounted for in index.csv. The student column
    stays empty (the student's own row is the roster's); the other lists say the same."""
    entries = summary.archive_entries
    listed = [(s, who, at, why, "unattributed") for s, who, at, _, why in summary.unattributed]
    listed += [(s, who, at, why, "skipped") for s, who, at, _, why in summary.skipped]
    listed += [(s, who, at, why, "no hand-in") for s, who, at, _, _, why in summary.no_handin]
    listed += [(s, "", "", f"{who}: {why}" if who else why, "rejected")
               for s, who, why in summary.rejected]  # fmt: skip
    return [
        ["", who, "", at, "", source, "", "", "", "", why, "", "", status]
        for source, who, at, why, status in listed
        if source in entries
    ]


def _write_copies(out: Path, summary: Summary) -> None:
    """``COPIES.csv``, when there are any: every identical copy, by name, with the item it was
    folded into, and every item that shares a Message-ID with another but differs from it
    (read on its own: its outcome is in the other lists)."""
    summary.copies_csv = out / COPIES_CSV
    folded = [
        (
            source,
            summary.copy_ids.get(source, ""),
            into,
            "an identical copy: counted once, as the item it was folded into",
        )
        for source, into in summary.duplicates
    ]
    differing = [
        (
            source,
            message_id,
            "",
            f"shares its Message-ID with {first} but differs in content: "
            "read as a message of its own",
        )
        for source, message_id, first in summary.same_id
    ]
    if folded or differing:
        header = ["source", "message_id", "folded_into", "why"]
        write_csv(summary.copies_csv, header, [*folded, *differing])
    else:
        summary.copies_csv.unlink(missing_ok=True)
