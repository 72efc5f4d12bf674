"""Gradescope's "Export Submissions" (closed source; a real export's structure and the parsers
that read it): ``[assignment_<id>_export/]submission_metadata.yml`` and a folder
``submission_<id>/`` per submission. The YAML (Ruby symbols as keys) gives each folder's
``:submitters:`` (``:name:``, ``:sid:``, ``:email:``; a group has several) and ``:created_at:``
(UTC); earlier attempts are only ``:history:`` times, their files not exported, and the active
submission need not be the newest."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

import yaml

from grader.errors import UserError
from grader.intake.lms_archives.model import Archive, Identity, Upload, local_time

NAME = "Gradescope"
METADATA = "submission_metadata.yml"
_ENTRY = re.compile(r"(?P<root>[^/]+/)?(?P<folder>submission_\d+)/(?P<path>.+)")


def matches(names: list[str]) -> int:
    if not any(name.rsplit("/", 1)[-1] == METADATA for name in names):
        return 0
    return sum(1 for name in names if _ENTRY.fullmatch(name)) + 1


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        text = re.sub(r"(\.\d{6})\d*", r"\1", str(value)).replace(" Z", "+00:00")
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _metadata(names: list[str], fetch: Callable[[str], bytes]) -> tuple[str, dict]:
    where = next(name for name in names if name.rsplit("/", 1)[-1] == METADATA)
    try:
        data = yaml.safe_load(fetch(where))
    except yaml.YAMLError as error:
        raise UserError(f"Gradescope's {where} does not read as YAML ({error})") from None
    if not isinstance(data, dict):
        raise UserError(f"Gradescope's {where} holds no submissions")
    return where, data


def read(names: list[str], fetch: Callable[[str], bytes], zone: tzinfo) -> Archive:
    """One submission per submitter of each exported folder (a group's work is each
    member's)."""
    archive = Archive(NAME, export_key="SID")
    where, data = _metadata(names, fetch)
    archive.receipts.append(where)
    files: dict[str, list[tuple[str, str]]] = {}
    for entry in names:
        found = _ENTRY.fullmatch(entry)
        if found and found["folder"] in data:
            files.setdefault(found["folder"], []).append((entry, found["path"]))
        elif entry != where:
            archive.set_aside[entry] = f"not a submission's file that {METADATA} lists"
    for folder, record in data.items():
        record = record if isinstance(record, dict) else {}
        created = _moment(record.get(":created_at"))
        history = [
            _moment(h.get(":created_at"))
            for h in record.get(":history") or []
            if isinstance(h, dict)
        ]
        notes = []
        if history:
            shown = ", ".join(m.isoformat(timespec="seconds") for m in history if m)
            notes.append(f"earlier attempts on Gradescope ({shown}): their files are not exported")
        if created and any(m and m > created for m in history):
            notes.append("the active submission is not the newest: Gradescope's choice")
        if not record.get(":submitters"):
            for entry, _ in files.get(folder, []):
                archive.set_aside[entry] = f"{folder} names no submitter in {METADATA}"
        for person in record.get(":submitters") or []:
            person = person if isinstance(person, dict) else {}
            sid, email = str(person.get(":sid") or ""), str(person.get(":email") or "")
            who = Identity(sid or email, str(person.get(":name") or ""), email, sid)
            submission = Upload(f"{folder} ({who.name or who.key})", who, notes=list(notes))
            submission.sent_at = local_time(created, zone) if created else ""
            for entry, path in files.get(folder, []):
                submission.entries.append(entry)
                submission.names[entry] = path
            archive.submissions.append(submission)
    return archive
