"""When a component of a student's hand-in was handed in: the one answer every reader of a
hand-in time asks for (``grader grade``'s ``late``, the feedback page, ``grader final`` and what
it feeds: the LMS files, the LTI push, the feedback mail, the dashboard).

A student folder (``grader collect``) records each file's own time in its slot
(``assignment/<id>``, ``project2/report``), so an assignment handed in on 5 November is
measured by 5 November, whatever the student sent later. A project's time is its last file's:
it was complete then. A folder collected before slots were recorded keeps one time per
student; there the time a file first appears in the folder's history stands in for it, else
the student's newest mail, and the answer says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grader.hand_in_time import UNKNOWN, HandInTime
from grader.intake.common import HISTORY, held_manifest
from grader.intake.pairing import ASSIGNMENT_SLOT


@dataclass(frozen=True)
class HandedIn:
    """When one component's hand-in came (:class:`HandInTime`: unknown where nothing was
    handed in, or where the LMS gave only its verdict); ``replaced``: the times of the earlier
    versions of it the student sent and this one replaced; ``note``: how the time was found
    when it is not the file's own (a folder collected by an earlier version)."""

    time: HandInTime = UNKNOWN
    replaced: tuple[str, ...] = ()
    note: str = ""

    @property
    def at(self) -> str | None:
        """The time as recorded (ISO 8601 with offset, as the mail said); None if unknown."""
        return self.time.at or None


NOTHING = HandedIn()


def assignment_slot(component_id: str) -> str:
    """The slot an auto-graded assignment's notebook is filed under."""
    return ASSIGNMENT_SLOT + component_id


def project_prefix(number: int) -> str:
    """The slots of the ``number``-th project (1-based) all start so."""
    return f"project{number}/"


def read_manifest(folder: Path) -> dict[str, Any]:
    """A student folder's manifest as a dict; {} when it has none or it does not read."""
    try:
        data = held_manifest(folder)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def assignment_time(folder: Path, component_id: str, path: str | None = None) -> HandedIn:
    """When the notebook of assignment ``component_id`` in ``folder`` was handed in: the
    version at ``path`` (relative to the folder; the one being graded) if given, else the one
    the folder holds now."""
    manifest = read_manifest(folder)
    slots = manifest.get("slots")
    if not isinstance(slots, dict):
        return _time_without_slot(folder, manifest, path)
    slot = assignment_slot(component_id)
    if path is not None:  # the notebook graded: its own slot (another, when only its metadata
        # named the assignment)
        slot = next(
            (s for s, e in slots.items() if isinstance(e, dict) and e.get("path") == path), slot
        )
    entry = slots.get(slot)
    return _slot_time(manifest, slot, entry) if isinstance(entry, dict) else NOTHING


def project_time(folder: Path, number: int) -> HandedIn:
    """When project ``number`` (1-based) was handed in: its last file's or link's time."""
    manifest = read_manifest(folder)
    slots = manifest.get("slots")
    if not isinstance(slots, dict):
        return _time_without_slot(folder, manifest, None)
    prefix = project_prefix(number)
    times = [
        _slot_time(manifest, slot, entry)
        for slot, entry in slots.items()
        if slot.startswith(prefix) and isinstance(entry, dict)
    ]
    known = [handed for handed in times if handed.at]
    if not known:  # no time: the LMS's verdict on a file of it, if it gave one
        return next((handed for handed in times if handed.time.late_verdict), NOTHING)
    last = max(known, key=lambda handed: _instant(handed.at))
    replaced = tuple(sorted({at for handed in known for at in handed.replaced}))
    return HandedIn(last.time, replaced)


def _slot_time(manifest: Mapping[str, Any], slot: str, entry: Mapping[str, Any]) -> HandedIn:
    """A slot's own time, with the times of the versions it replaced (the manifest's record of
    every mail: what each one replaced)."""
    replaced = [
        str(item.get("at"))
        for email in manifest.get("emails") or ()
        if isinstance(email, dict)
        for item in email.get("replaced") or ()
        if isinstance(item, dict) and item.get("slot") == slot and item.get("at")
    ]
    return HandedIn(HandInTime.of_record(entry), tuple(sorted(set(replaced))))


def _time_without_slot(folder: Path, manifest: Mapping[str, Any], path: str | None) -> HandedIn:
    """A folder collected before each file's time was recorded: the time of the first state
    of the folder (its history, then now) that held this very file, where one did; else the
    student's newest mail."""
    newest = manifest.get("submitted_at")
    if not newest:
        return NOTHING
    digest = (manifest.get("files") or {}).get(path) if path else None
    if digest:
        states = [read_manifest(old) for old in sorted((folder / HISTORY).glob("*"))]
        holding = [
            state.get("submitted_at")
            for state in [*states, manifest]
            if digest in (state.get("files") or {}).values() and state.get("submitted_at")
        ]
        if holding:
            first = min(holding, key=_instant)
            note = (
                f"the time of the first mail that brought {path}: collected by an earlier "
                "version, which kept no time per file"
            )
            return HandedIn(HandInTime(str(first)), (), note)
    note = (
        "the time of the student's newest mail: collected by an earlier version, which kept "
        "no time per file (collect the mailbox into a new folder for each file's own time)"
    )
    return HandedIn(HandInTime(str(newest)), (), note)


def _instant(at: str | None) -> datetime:
    """A time for ordering: one without an offset is taken as it reads."""
    try:
        moment = datetime.fromisoformat(str(at))
    except ValueError:
        return datetime.min
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
