"""Moodle's "Download all submissions" (``mod/assign/locallib.php``, ``download_submissions``):
``<Full name>_<participant id>_assignsubmission_<plugin>_/<path>`` in folders (the default
since 3.1), ``…_assignsubmission_<plugin>_<file>`` without. ``_`` in the name is made a space,
so the first ``_<digits>_assignsubmission_`` is the anchor. The participant id belongs to the
assignment (``assign_user_mapping``): only its grading worksheet ("Identifier": "Participant
N") joins it to a student, and gives "Last modified (submission)". Only the latest attempt is
zipped; blind marking writes "Participant" for the name; a team's files come once under each
member's name."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import tzinfo

from grader.intake.lms_archives.model import Archive, Identity, Upload

NAME = "Moodle"
_ENTRY = re.compile(
    r"(?P<name>[^/_]*?)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_"
    r"(?P<rest>.+)"
)


def matches(names: list[str]) -> int:
    return sum(1 for name in names if _ENTRY.fullmatch(name))


def read(names: list[str], fetch: Callable[[str], bytes], zone: tzinfo) -> Archive:
    """The archive's submissions by its entries' names (``fetch`` and ``zone`` unused)."""
    folders = any(
        (found := _ENTRY.fullmatch(name)) and found["rest"].startswith("/") for name in names
    )
    archive = Archive(f"{NAME} ({'in folders' if folders else 'flat'})", export_key="Identifier")
    by_participant: dict[str, Upload] = {}
    for entry in names:
        found = _ENTRY.fullmatch(entry)
        if found is None:
            archive.set_aside[entry] = "not named as Moodle names a submission's files"
            continue
        participant = found["participant"]
        submission = by_participant.get(participant)
        if submission is None:
            who = Identity(participant, name=found["name"])
            submission = Upload(f"{found['name']}_{participant}", who)
            by_participant[participant] = submission
        path = found["rest"].lstrip("/")
        if found["plugin"] == "onlinetext" and path.lower().endswith("onlinetext.html"):
            submission.text_entries.append(entry)
            continue
        submission.entries.append(entry)
        submission.names[entry] = path
    archive.submissions = list(by_participant.values())
    return archive
