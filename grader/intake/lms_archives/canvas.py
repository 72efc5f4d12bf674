"""Canvas's "Download Submissions" (canvas-lms ``lib/content_zipper.rb``): flat entries
``<sortable name>[_LATE]_<user id>_<attachment id>_<file>``, ``…_<user id>_text.html`` (a text
entry) and ``…_<user id>_link.html`` (a URL). The name is lower-cased with every non-word
character removed and never holds ``_<digits>_`` (Canvas strips it), so the first
``_<digits>_`` is the user id; anonymous grading writes ``anon_<5 base58>`` instead. Only the
current attempt is in the zip, with Canvas's LATE verdict and no time; a re-uploaded file's
name carries ``-1`` (``Attachment.make_unique_filename``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import tzinfo

from grader.intake.lms_archives.model import Archive, Identity, Upload, is_word

NAME = "Canvas"
_ENTRY = re.compile(
    r"(?:(?P<name>[^/]*?)(?P<late>_LATE)?_(?P<user>\d+)"
    r"|(?P<anon_late>LATE_)?(?P<anon>anon_[1-9A-HJ-NP-Za-km-z]{5}))_"  # anonymous: no name
    r"(?:(?P<kind>text|link)\.html|(?P<attachment>\d+)_(?P<file>.+))"
)
# make_unique_filename's "-N" before the first run of dotted extensions
_RENAMED = re.compile(
    r"^(?P<stem>.+?)-\d{1,2}(?P<ext>(?:\.[A-Za-z][A-Za-z0-9]*)*(?:\.[A-Za-z0-9]*))$"
)


def _entry(name: str) -> re.Match[str] | None:
    """An entry's parts, where it is named as Canvas names a submission's files: no folder, a
    name of word characters (letters, marks, numbers: :func:`is_word`)."""
    found = _ENTRY.fullmatch(name) if "/" not in name else None
    return found if found is not None and is_word(found["name"] or "") else None


def matches(names: list[str]) -> int:
    """How many entries are named as Canvas names them (no folders)."""
    return sum(1 for name in names if _entry(name))


def original_name(display: str) -> str:
    """A file's name before Canvas added ``-1`` to a re-upload of the same name."""
    found = _RENAMED.match(display)
    return f"{found['stem']}{found['ext']}" if found else display


def read(names: list[str], fetch: Callable[[str], bytes], zone: tzinfo) -> Archive:
    """The archive's submissions by its entries' names (``fetch`` and ``zone`` unused)."""
    archive = Archive(NAME, export_key="ID")
    by_user: dict[str, Upload] = {}
    for entry in names:
        found = _entry(entry)
        if found is None:
            archive.set_aside[entry] = "not named as Canvas names a submission's files"
            continue
        user, late = found["user"] or found["anon"], found["late"] or found["anon_late"]
        label = f"{found['name']}{late or ''}_{user}" if found["user"] else f"{late or ''}{user}"
        submission = by_user.get(user)
        if submission is None:
            who = Identity(user, name=found["name"] or "")
            submission = by_user[user] = Upload(label, who)
            if late:
                submission.late_verdict = "Canvas's LATE mark"
        if found["kind"]:
            submission.text_entries.append(entry)
            continue
        submission.entries.append(entry)
        display = found["file"]
        submission.names[entry] = original_name(display)
        if submission.names[entry] != display:
            submission.notes.append(
                f"{display}: Canvas's name for a re-upload of {submission.names[entry]}"
            )
    archive.submissions = list(by_user.values())
    return archive
