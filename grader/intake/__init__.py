"""Turn inboxes of hand-ins into one folder per student (``grader collect``).

An inbox is a folder of bundle zips, ``.eml`` and Outlook ``.msg`` messages and mbox files (a
Gmail Takeout export, say), or one such file; several inboxes are read as one, a message in two
of them once. Mail from the mailbox owner and from staff is never a submission; a forward counts
as its original sender's. All of a student's emails make one submission in ``OUT/<student-id>/``
(the files and a ``manifest.json``), earlier versions under ``history/<time>/``. Hostile input
(zip slip, absolute paths, symlinks, zip bombs, huge attachments, undecodable names) rejects
that one item, with its reason in ``OUT/REJECTED.csv``; nothing is ever written outside ``OUT``.
Every item read has one outcome (see :mod:`grader.intake.index`): ``OUT/index.csv`` has a row
per student, ``OUT/UNATTRIBUTED.csv`` lists mail that is no student's submission and why,
``OUT/NO_HANDIN.csv`` mail with no file and no link, and ``OUT/all_submissions.pdf`` holds
every submission behind a clickable index.

Modules: ``mail`` (reading a message; ``defects`` says what was broken in it), ``received`` (a
message parsed once, for every step that reads it), ``attribute`` (whose it is), ``unpack``
(zips), ``links`` and ``fetch`` (Colab and Drive links, downloading notebooks), ``pairing`` (which
project), ``parcels`` (one item read into a parcel), ``inbox`` (the inboxes as items: another
source of mail, such as IMAP, gives items whose ``read`` calls ``parcels.read_message``),
``placing`` (merging into student folders), ``index`` and ``merged_pdf`` (what the instructor
reads), ``run`` (:func:`collect` takes the inboxes and returns the accounting;
``collect_items`` takes items, such as ``grader watch``'s messages read already), ``command``
(``grader collect``'s flags, mailboxes fetched by ``imap_collect`` before ``run``).
"""

from grader.intake.common import Limits, Rejected, is_late, parse_deadline, safe_relpath
from grader.intake.manifest import (
    check_manifest,
    load_manifest,
    missing_items,
    student_id_from_address,
)
from grader.intake.run import collect, summary_lines
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
