"""What every LMS reader gives: the archive's submissions (one per student and attempt, with
the LMS's own ids for the student, its time or late verdict, its entries), and the entries
that are no student's, each with its reason."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, tzinfo


@dataclass(frozen=True)
class Identity:
    """Who the LMS says a submission is by: its own key in the archive (``key``: a Canvas user
    id, a Moodle participant id, a Blackboard username, a Gradescope SID...), and whatever else
    the archive or the export gives."""

    key: str
    name: str = ""
    email: str = ""
    student_id: str = ""  # the SIS id, ID number, Org Defined ID, SID
    login: str = ""


@dataclass
class Upload:
    """One student's submission in the archive: one attempt, its files and text entries."""

    label: str  # how the archive names it, for the instructor ("müllerjürgen_LATE_48213")
    who: Identity
    entries: list[str] = field(default_factory=list)  # its files, by entry name
    names: dict[str, str] = field(default_factory=dict)  # entry -> the file's own name
    text_entries: list[str] = field(default_factory=list)  # HTML text entries (not files)
    text: str = ""  # text the LMS wrote beside the files (Blackboard's Submission Field)
    sent_at: str = ""  # ISO 8601 with offset; '' where the LMS gives no time
    late_verdict: str = ""  # the LMS's own LATE, where it gives no time
    attempt: str = ""  # which attempt, where the archive holds several
    notes: list[str] = field(default_factory=list)


@dataclass
class Archive:
    lms: str  # "Canvas", "Moodle (in folders)", ...
    submissions: list[Upload] = field(default_factory=list)
    set_aside: dict[str, str] = field(default_factory=dict)  # entry -> why it is no one's
    receipts: list[str] = field(default_factory=list)  # entries read as metadata, not files
    export_key: str = ""  # the export's column the archive's key is joined on


def local_time(moment: datetime, zone: tzinfo) -> str:
    """A time the LMS wrote with no zone, read in the course's zone, as ISO 8601."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat(timespec="seconds")


def is_word(text: str, numbers: bool = True) -> bool:
    """Whether ``text`` holds only what the LMSs keep of a name as a word: Unicode's letters,
    marks and (``numbers``) numbers and connector punctuation such as ``_`` (Ruby's
    ``[[:word:]]``, Canvas's), composed or decomposed alike. Python's ``\\w`` misses the marks:
    the grave of Yoruba's ``ọ̀`` is one even in NFC."""
    kept = "LMNP" if numbers else "LM"
    return all(
        (category := unicodedata.category(char))[0] in kept
        and (category[0] != "P" or category == "Pc")
        for char in text
    )


def squeezed(name: str) -> str:
    """A name as Canvas writes it in its entries (lower case, only word characters: see
    :func:`is_word`); names compared so (D2L's display name with its export's first and last
    names)."""
    return "".join(char for char in unicodedata.normalize("NFC", name) if is_word(char)).lower()
