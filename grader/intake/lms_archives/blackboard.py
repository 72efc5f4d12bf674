"""Blackboard Learn's "Assignment File Download" (closed source; the layout nbgrader's docs and
fixtures, CodeGra.de's ``psef/blackboard.py`` and instructors' tools show): flat entries
``<Assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>.txt`` (a receipt per attempt) and
``…_attempt_<stamp>_<file>``. ``attempt`` is translated (Dutch ``poging``). Assignment names
and usernames may hold ``_``, so the receipt's ``Name: Full Name (username)`` decides whose it
is, and its ``Original filename:`` the file's name (Blackboard mangles stored names). Every
attempt is in the download; the stamp is the attempt's local time, and the receipt's
``Date Submitted:`` may name its zone."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader.intake.lms_archives.model import Archive, Identity, Upload, is_word, local_time

NAME = "Blackboard"
_ENTRY = re.compile(
    r"(?P<assignment>.+?)_(?P<word>[^\W\d_][^/_]*)_(?P<stamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)"
    r"(?:\.txt|_(?P<file>.+))"
)
_NAME_LINE = re.compile(r"^[^\n:]+: *(?P<name>.*) \((?P<user>[^()\n]*)\)\s*$", re.MULTILINE)
_FILES = re.compile(r"^\t[^\n:]+: *(?P<original>[^\n]+)\n\t[^\n:]+: *(?P<stored>[^\n]+)$", re.M)
_FIELD = re.compile(r"\n\n?[^\n:]*Field:\n(?P<text>.*?)\n\n[^\n]+:\n", re.DOTALL)
_NO_TEXT = "There is no student submission text data for this assignment."
_ZONE = re.compile(r"\b(?P<zone>[A-Z]{2,5})\s*$")


def _entry(name: str) -> re.Match[str] | None:
    """An entry's parts, where it is named as Blackboard names an attempt's files: no folder,
    ``attempt`` in the course's language (letters and marks: :func:`is_word`)."""
    found = _ENTRY.fullmatch(name) if "/" not in name else None
    return found if found is not None and is_word(found["word"], numbers=False) else None


def matches(names: list[str]) -> int:
    return sum(1 for name in names if _entry(name))


def _zone_named(receipt: str, zone: tzinfo) -> tzinfo:
    """The zone the receipt's ``Date Submitted`` names ("… 00:12:09 o'clock CET"), where the
    time zone database knows it by that name; else the course's."""
    dated = next((line for line in receipt.splitlines() if re.search(r"\d\d:\d\d:\d\d", line)), "")
    found = _ZONE.search(dated.replace("o'clock", "").strip())
    if found and os.sep not in found["zone"]:
        try:
            return ZoneInfo(found["zone"])
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return zone


def _user_from_heads(heads: set[str]) -> dict[str, str]:
    """Each ``<assignment>_<username>`` split after the assignment name all share, where the
    receipts do not say (two heads or more)."""
    if len(heads) < 2:
        return {}
    common = os.path.commonprefix(sorted(heads))
    cut = common.rfind("_")
    return {head: head[cut + 1 :] for head in heads} if cut > 0 else {}


def read(names: list[str], fetch: Callable[[str], bytes], zone: tzinfo) -> Archive:
    """The attempts, one submission each, named by their receipts."""
    archive = Archive(NAME, export_key="Username")
    groups: dict[str, list[tuple[str, re.Match[str]]]] = {}
    for entry in names:
        found = _entry(entry)
        if found is None:
            archive.set_aside[entry] = "not named as Blackboard names an attempt's files"
            continue
        groups.setdefault(f"{found['assignment']}_{found['word']}_{found['stamp']}", []).append(
            (entry, found)
        )
    split = _user_from_heads({members[0][1]["assignment"] for members in groups.values()})
    for key, members in groups.items():
        head, stamp = members[0][1]["assignment"], members[0][1]["stamp"]
        receipt_name = f"{key}.txt"
        receipt = fetch(receipt_name).decode("utf-8", "replace") if receipt_name in names else ""
        receipt = receipt.replace("\r\n", "\n")
        person = _NAME_LINE.search(receipt)
        user = person["user"].strip() if person else split.get(head, head)
        who = Identity(user, name=person["name"].strip() if person else "", login=user)
        moment = datetime.strptime(stamp, "%Y-%m-%d-%H-%M-%S")
        submission = Upload(f"{head}_{stamp}", who, attempt=stamp)
        named = _zone_named(receipt, zone)
        submission.sent_at = local_time(moment, named)
        if named is zone:
            submission.notes.append("the attempt's time names no zone: read in the course's")
        original = {m["stored"].strip(): m["original"].strip() for m in _FILES.finditer(receipt)}
        field = _FIELD.search(receipt)
        if field and field["text"].strip() != _NO_TEXT:
            submission.text = field["text"].strip()
        if receipt_name in names:
            archive.receipts.append(receipt_name)
        for entry, found in members:
            if found["file"] is None:
                continue
            submission.entries.append(entry)
            submission.names[entry] = original.get(entry, found["file"])
        archive.submissions.append(submission)
    return archive
