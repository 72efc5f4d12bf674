"""Turn an inbox of hand-ins into one folder per student (``grader collect``).

The inbox is a folder of bundle zips and ``.eml`` messages, an mbox file (a Gmail Takeout
export, say), or a single zip or message. Mail from the mailbox owner and from staff is never a
submission; a forward counts as its original sender's. All of a student's emails make one
submission in ``OUT/<student-id>/`` (the files and a ``manifest.json``), earlier versions under
``history/<time>/``. Hostile input (zip slip, absolute paths, symlinks, zip bombs, huge
attachments, undecodable names, broken MIME) rejects that one item, with its reason in
``OUT/REJECTED.csv``; nothing is ever written outside ``OUT``. ``OUT/index.csv`` has a row per
student, ``OUT/UNATTRIBUTED.csv`` lists mail that is no student's submission and why, and
``OUT/all_submissions.pdf`` holds every submission behind a clickable index.

Modules: ``mail`` (reading a message), ``attribute`` (whose it is), ``unpack`` (zips),
``links`` and ``fetch`` (Colab and Drive links, downloading notebooks), ``pairing`` (which
project), ``parcels`` (the inbox read), ``placing`` (merging into student folders), ``index`` and
``merged_pdf`` (what the instructor reads), ``run`` (the command).
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
