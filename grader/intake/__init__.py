"""Turn inboxes of hand-ins into one folder per student (``grader collect``).

An inbox is an LMS's download of an assignment's submissions, or a folder of bundle zips,
``.eml`` and Outlook ``.msg`` messages and mbox files (a Gmail Takeout export, say), or one such
file; several inboxes are read as one, a message in two
of them once. Mail from the mailbox owner and from staff is never a submission; a forward counts
as its original sender's. All of a student's emails make one submission in ``OUT/<student-id>/``
(the files and a ``manifest.json``), earlier versions under ``history/<time>/``. Hostile input
(zip slip, absolute paths, symlinks, zip bombs, huge attachments, undecodable names) rejects
that one item, with its reason in ``OUT/REJECTED.csv``; nothing is ever written outside ``OUT``.
A hand-in is taken file by file: a file that cannot be read (a broken zip, an empty file) is
listed there by its name with its reason, and the rest of the hand-in is collected.
Every item read has one outcome (see :mod:`grader.intake.index`): ``OUT/index.csv`` has a row
per student, ``OUT/UNATTRIBUTED.csv`` lists mail that is no student's submission and why,
``OUT/NO_HANDIN.csv`` mail with no file and no link, and ``OUT/all_submissions.pdf`` holds
every submission behind a clickable index.

Modules: ``message`` (one email read: ``reading`` it, its ``mime_parts``, what ``defects`` it
had, the message ``received`` and parsed once for every later step, the ``reply_text`` a student
wrote, ``bounces``), ``attribute`` (whose it is), ``zips`` (what a zip member may be, what
makes a zip a bundle: asked by every reader), ``unpack`` (zips unpacked), ``unreadable`` (which
files of a hand-in cannot be read, and why), ``links`` and ``fetch``
(Colab and Drive links, downloading notebooks), ``pairing`` (which project), ``parcels`` (one
item read into a parcel), ``inbox`` (the inboxes as items: another source of mail, such as IMAP,
gives items whose ``read`` calls ``parcels.read_message``), ``deadlines`` (when each file was
due, and whether it came late), ``handed_in`` (when each component was handed in: its own file's
time, never the student's newest mail), ``placing`` (merging into student folders), ``manifest``
(a bundle's manifest checked, a student folder's read), ``index``, ``summary_text`` (what
collect prints) and ``merged_pdf`` (what the instructor reads), ``common`` (what every stage
shares: caps, the rejection, safe writing),
``run`` (:func:`collect` takes the inboxes and returns the accounting; ``collect_items`` takes
items, such as ``grader watch``'s messages read already), ``imap`` (mailboxes over IMAP: a
session, the spool ``grader collect`` reads, waiting with IDLE), ``command`` (``grader
collect``'s flags; mailboxes fetched before ``run``), ``lms_archives`` (an LMS's download of an
assignment's submissions, Canvas, Moodle, Blackboard, D2L or Gradescope: one more source of
items, each its student's by the LMS's ids joined through its export).
"""

from grader.intake.common import Limits, Rejected, is_late, parse_deadline, safe_relpath
from grader.intake.manifest import (
    check_manifest,
    load_manifest,
    missing_items,
    student_id_from_address,
)
from grader.intake.run import collect
from grader.intake.summary_text import summary_lines
from grader.intake.unpack import extract_bundle

__all__ = [
    "Limits",
    "Rejected",
    "check_manifest",
    "collect",
    "extract_bundle",
    "is_late",
    "load_manifest",
    "missing_items",
    "parse_deadline",
    "safe_relpath",
    "student_id_from_address",
    "summary_lines",
]
