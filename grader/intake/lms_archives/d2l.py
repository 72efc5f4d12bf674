"""D2L Brightspace's folder "Download" (closed source; the layout ``d2lmf``, ``lab-format.sh``
and other parsers show): ``index.html`` and flat entries ``<n>-<n> - <First Last> - <Mon D,
YYYY HMM AM> - <file>`` (no colon in the time; older downloads a folder per submission, whose
``:`` Windows made ``_``). Every submission of every student is in it; the time has no zone
(read in the course's). The only identity is the display name, so the export's first and
last names join it, and a name two students share attributes neither."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo

from grader.intake.lms_archives.model import (
    Archive,
    Identity,
    Upload,
    local_time,
    squeezed,
)

NAME = "D2L Brightspace"
_ENTRY = re.compile(
    r"(?P<ids>\d+-\d+) - (?P<name>.+?) - "
    r"(?P<date>[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}[:_]?\d\d [AP]M)(?: - |/)(?P<file>.+)"
)
_INDEX = "index.html"


def matches(names: list[str]) -> int:
    return sum(1 for name in names if _ENTRY.fullmatch(name))


def _time(text: str, zone: tzinfo) -> str:
    """``Mar 14, 2024 800 PM`` (or ``8:00``, ``8_00``): the last two digits are the minutes
    (``105 PM`` is 1:05, which ``%I%M`` would read as 10:05)."""
    day, clock, half = text.rsplit(" ", 2)
    digits = re.sub(r"\D", "", clock)
    moment = datetime.strptime(f"{day} {digits[:-2]}:{digits[-2:]} {half}", "%b %d, %Y %I:%M %p")
    return local_time(moment, zone)


def read(names: list[str], fetch: Callable[[str], bytes], zone: tzinfo) -> Archive:
    """One submission per student and time (its files share both)."""
    archive = Archive(NAME, export_key="name")
    by_time: dict[tuple[str, str], Upload] = {}
    for entry in names:
        if entry == _INDEX:
            archive.receipts.append(entry)
            continue
        found = _ENTRY.fullmatch(entry)
        if found is None:
            archive.set_aside[entry] = "not named as D2L names a submission's files"
            continue
        key = (found["name"], found["date"])
        submission = by_time.get(key)
        if submission is None:
            who = Identity(squeezed(found["name"]), name=found["name"])
            submission = Upload(f"{found['name']} - {found['date']}", who)
            submission.attempt, submission.sent_at = found["date"], _time(found["date"], zone)
            submission.notes.append("D2L's time has no zone: read in the course's")
            by_time[key] = submission
        submission.entries.append(entry)
        submission.names[entry] = found["file"]
    archive.submissions = list(by_time.values())
    return archive
