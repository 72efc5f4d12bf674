"""One submission per student, merged from all their parcels, kept in ``OUT/<id>/``.

Each file has a slot (``project2/report``, ``project1/colab``, ``other/notes.docx``): a later file
in the same slot replaces the earlier one, files not sent again stay. A parcel that only repeats
what is held (same SHA-256, same link) changes nothing, its time included. Before a parcel
changes a submission, the submission as it was is copied to ``history/<its time>/``. The folder
is rebuilt beside the old one and swapped in by renames, so nothing half-written shows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from grader.bundle import MANIFEST_NAME, MANIFEST_SCHEMA, check_notebook
from grader.hand_in_time import HandInTime
from grader.intake.common import (
    HISTORY,
    held_manifest,
    time_stamp,
    write_manifest,
    write_new,
)
from grader.intake.manifest import missing_items
from grader.intake.pairing import ASSIGNMENT_SLOT
from grader.intake.parcels import Parcel, StagedFile
from grader.projects.kinds import FILE_ROLES

_KEYS = (*FILE_ROLES, "colab", "dataset_link")


def _slots_of_old_manifest(manifest: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Slots for a folder collected before slots were recorded: all from its one time."""
    at, source = manifest["submitted_at"], manifest["source"]
    slots: dict[str, dict[str, Any]] = {}
    for number, project in enumerate(manifest["projects"], 1):
        for key in _KEYS:
            if value := project.get(key):
                slots[f"project{number}/{key}"] = _entry(value, manifest["files"], at, source)
    used = {entry.get("path") for entry in slots.values()}
    for relpath in manifest["files"]:
        if relpath not in used:
            slots[f"other/{relpath}"] = _entry(relpath, manifest["files"], at, source)
    return slots


def _entry(value: str, files: Mapping[str, str], at: str, source: str) -> dict[str, Any]:
    if value in files:
        return {"path": value, "sha256": files[value], "at": at, "source": source}
    return {"url": value, "at": at, "source": source}


def _projects(slots: Mapping[str, Mapping[str, Any]], titles: Mapping[int, str], required: int):
    numbers = [int(slot.split("/")[0][7:]) for slot in slots if slot.startswith("project")]
    projects = []
    for number in range(1, max([required, *numbers]) + 1):
        project: dict[str, Any] = {"title": titles.get(number) or f"Project {number}"}
        for key in _KEYS:
            entry = slots.get(f"project{number}/{key}") or {}
            project[key] = entry.get("path") or entry.get("url")
        projects.append(project)
    return projects


def refresh(manifest: dict[str, Any], required: int) -> None:
    """Set the fields derived from the slots: projects, files, missing, late_files order."""
    slots = manifest["slots"]
    titles = {n: p.get("title", "") for n, p in enumerate(manifest.get("projects", []), 1)}
    titles |= {int(n): t for n, t in manifest.get("titles", {}).items()}
    manifest["projects"] = _projects(slots, titles, required)
    manifest["files"] = {e["path"]: e["sha256"] for e in slots.values() if "path" in e}
    manifest["missing"] = missing_items(manifest["projects"], required)
    manifest["assignments"] = {
        slot.removeprefix(ASSIGNMENT_SLOT): entry["path"]
        for slot, entry in sorted(slots.items())
        if slot.startswith(ASSIGNMENT_SLOT) and "path" in entry
    }


def check_files(folder: Path, manifest: dict[str, Any]) -> None:
    """``checks``: for each notebook and report, what is wrong with it (checked once per file
    content): a notebook that does not open, a report that fails ``grader report --check``."""
    from grader.report import check_pdf

    old = manifest.get("checks", {})
    checks = {}
    for project in manifest["projects"]:
        for kind in ("notebook", "report"):
            path = project.get(kind)
            if not path or path not in manifest["files"]:
                continue
            digest = manifest["files"][path]
            if old.get(path, {}).get("sha256") == digest:
                checks[path] = old[path]
                continue
            if kind == "notebook":
                reason = check_notebook(folder / path)
                problems = [f"the notebook does not open ({reason})"] if reason else []
            else:
                problems = [
                    problem.removeprefix(f"{folder / path}: ")
                    for problem in check_pdf(folder / path)
                ]
            checks[path] = {"sha256": digest, "problems": problems}
    manifest["checks"] = checks


def _free_path(slots: Mapping[str, Mapping[str, Any]], wanted: str, slot: str) -> str:
    taken = {e.get("path") for s, e in slots.items() if s != slot}
    path, copy = wanted, 2
    while path in taken or path.split("/", 1)[0] in (HISTORY, MANIFEST_NAME):
        stem, suffix = PurePosixPath(wanted).stem, PurePosixPath(wanted).suffix
        path = f"{PurePosixPath(wanted).parent}/{stem}-{copy}{suffix}".removeprefix("./")
        copy += 1
    return path


def _changes(
    manifest: Mapping[str, Any], parcel: Parcel
) -> list[tuple[str, StagedFile | str, str]]:
    """(slot, staged file or url, SHA-256 or url) for what the parcel changes: what this student
    never sent before, in slots that hold nothing newer (mail read out of order)."""
    slots = manifest["slots"]
    changes: list[tuple[str, StagedFile | str, str]] = []
    changes += [(file.slot, file, file.sha256) for file in parcel.staged]
    changes += [(slot, url, url) for slot, url in parcel.links.items()]
    seen = set(manifest["received"])  # every file (SHA-256) and link this student ever sent
    return [
        (slot, what, key)
        for slot, what, key in changes
        if key not in seen
        and (not (old := slots.get(slot)) or HandInTime.of_record(old).gives_way_to(parcel.time))
    ]


def _link_or_copy(source: str, target: str) -> None:
    """A hard link (files are never changed in place, so it is a copy), or a copy where the
    file system has no hard links."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _snapshot(work: Path, manifest: Mapping[str, Any]) -> None:
    """Copy the submission as it is (hard links: files are never changed in place)."""
    history = work / HISTORY
    history.mkdir(exist_ok=True)
    stamp, copy = time_stamp(manifest["submitted_at"]) if manifest["submitted_at"] else "undated", 2
    name = stamp
    while (history / name).exists():
        name, copy = f"{stamp}-{copy}", copy + 1
    shutil.copytree(
        work,
        history / name,
        ignore=lambda folder, _: [HISTORY] if Path(folder) == work else [],
        copy_function=_link_or_copy,
    )


def _replaced(old: dict[str, Any], slot: str, parcel: Parcel) -> dict[str, Any]:
    """What a parcel replaces in a slot, flagged when the new hand-in is unsigned and the one
    it replaces was signed (a forged sender in a mailbox with no trusted server's results)."""
    found = {"slot": slot, "what": old.get("path") or old.get("url", ""), "source": old["source"]}
    found["at"] = old["at"]
    if old.get("signed") and not parcel.signed:
        found["flag"] = (
            f"unsigned ({parcel.sender_check}), it replaces {found['what']} of "
            f"{old['source']}, which was signed: check that the student sent it"
        )
    return found


def _apply(work: Path, manifest: dict[str, Any], parcel: Parcel, changes) -> list[dict]:
    """Apply the changes; what they replaced (see :func:`_replaced`)."""
    slots, replaced = manifest["slots"], []
    for slot, what, key in changes:
        old = slots.get(slot, {})
        if "source" in old:
            replaced.append(_replaced(old, slot, parcel))
        if "path" in old:
            (work / old["path"]).unlink(missing_ok=True)
        entry: dict[str, Any] = parcel.time.record() | {"source": parcel.source}
        entry["signed"] = parcel.signed
        if isinstance(what, str):
            entry["url"] = what
        else:
            path = _free_path(slots, what.relpath, slot)
            with what.path.open("rb") as stream:
                chunks = iter(lambda: stream.read(1 << 20), b"")
                write_new(work, PurePosixPath(path), chunks, what.path.stat().st_size)
            entry |= {"path": path, "sha256": key}
        slots[slot] = entry
    manifest["titles"] = {str(n): t for n, t in parcel.titles.items()} | manifest.get("titles", {})
    manifest["notes"] += [f"{parcel.source}: {note}" for note in parcel.notes]
    unreadable = [{"name": name, "reason": why, "source": parcel.source}
                  for name, why in parcel.unreadable.items()]  # fmt: skip
    manifest["unreadable"] = [*manifest.get("unreadable", []), *unreadable]
    manifest["notes"] += [f"{parcel.source}: {r['flag']}" for r in replaced if "flag" in r]
    if HandInTime(manifest["submitted_at"] or "").gives_way_to(parcel.time):
        manifest["submitted_at"] = parcel.time.at or manifest["submitted_at"]
        manifest["source"] = parcel.source
    return replaced


def _new_manifest(parcel: Parcel) -> dict[str, Any]:
    return {
        "schema": MANIFEST_SCHEMA,
        "student": dict(parcel.student or {}),
        "projects": [],
        # when the folder was made, where the first item gives no time (Canvas): never read
        # as a hand-in time (each slot keeps its own, or none)
        "created": parcel.time.at or datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {},
        "submitted_at": parcel.time.at,
        "late": False,
        "source": parcel.source,
        "missing": [],
        "notes": [],
        "late_files": [],
        "slots": {},
        "emails": [],
        "received": [],
    }


def _order(parcel: Parcel) -> tuple[bool, datetime, str]:
    """Parcels by time, a time-less one (an LMS's current hand-in) after the timed ones."""
    return (*parcel.time.order(), parcel.source)


def place_student(
    student_dir: Path, parcels: Sequence[Parcel], staging: Path, required: int
) -> dict[str, str]:
    """Merge one student's parcels into ``student_dir``; each parcel's source -> outcome
    (``changed``, ``repeat`` or ``already collected``). Every parcel brings a file or a link."""
    outcomes: dict[str, str] = {}
    if student_dir.exists():  # mail read on an earlier run: nothing to do, nothing to copy
        held = held_manifest(student_dir)
        seen = {email["sha256"] for email in held.get("emails", [])}
        outcomes = {p.source: "already collected" for p in parcels if p.digest in seen}
        parcels = [parcel for parcel in parcels if parcel.digest not in seen]
        if not parcels:
            return outcomes
    work = staging / f"work-{uuid.uuid4().hex}"
    manifest: dict[str, Any] | None = None
    if student_dir.exists():
        shutil.copytree(student_dir, work, copy_function=_link_or_copy)
        manifest = held_manifest(work)
        manifest.setdefault("slots", _slots_of_old_manifest(manifest))
        manifest.setdefault("emails", [])
        manifest.setdefault(
            "received", sorted({e.get("sha256", e.get("url")) for e in manifest["slots"].values()})
        )
        manifest.setdefault("notes", [])
    else:
        work.mkdir()
    for parcel in sorted(parcels, key=_order):
        seen = {email["sha256"] for email in manifest["emails"]} if manifest else set()
        if parcel.digest in seen:
            outcomes[parcel.source] = "already collected"
            continue
        manifest = manifest or _new_manifest(parcel)
        changes = _changes(manifest, parcel)
        record: dict[str, Any] = {
            "source": parcel.source,
            "sent_at": parcel.time.at,
            "sha256": parcel.digest,
        }
        record |= {"sender_check": parcel.sender_check, "signed": parcel.signed}
        manifest["emails"].append(record | {"changed": [slot for slot, _, _ in changes]})
        if not changes:
            outcomes[parcel.source] = "repeat"
            continue
        if manifest["slots"]:
            refresh(manifest, required)
            write_manifest(work, manifest)
            _snapshot(work, manifest)
        manifest["emails"][-1]["replaced"] = _apply(work, manifest, parcel, changes)
        manifest["received"] = sorted({*manifest["received"], *(key for _, _, key in changes)})
        outcomes[parcel.source] = "changed"
    if manifest is None:
        shutil.rmtree(work)
        return outcomes
    manifest["notes"] = list(dict.fromkeys(manifest["notes"]))
    refresh(manifest, required)
    check_files(work, manifest)
    write_manifest(work, manifest)
    if student_dir.exists():
        old = staging / f"old-{uuid.uuid4().hex}"
        student_dir.rename(old)
        work.rename(student_dir)
        shutil.rmtree(old)
    else:
        work.rename(student_dir)
    return outcomes
