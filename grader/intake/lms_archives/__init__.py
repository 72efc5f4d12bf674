"""Hand-ins from an LMS's download of an assignment's submissions: one more source of items
for ``grader collect``, beside mail and IMAP.

``recognise`` tells which LMS made an archive from its entries' names; one module per LMS
reads its names (``canvas``, ``moodle``, ``blackboard``, ``d2l``, ``gradescope``: each cites
the LMS's code or the parsers its layout is known from) into ``model``'s submissions;
``entries`` opens the archive as a bundle is opened (names, sizes, links checked); ``exports``
reads the LMS's roster or grade export, and ``join`` ties the archive's ids through it to the
course's roster; ``items`` makes each submission an item read into a parcel as a mail is, so
attribution's outcome, placing, the manifest, history and the index are the mail's own.
"""

from grader.intake.lms_archives.items import LmsOptions, lms_options, split_archives

__all__ = ["LmsOptions", "lms_options", "split_archives"]
