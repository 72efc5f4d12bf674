"""What was wrong with a message's structure, in words for the instructor's notes."""

from __future__ import annotations

import email.errors
from email.message import Message

# What each defect Python's parser records means, for the instructor's notes. The parser still
# reads such a message (a missing final boundary ends the last part at the end of the mail).
_DEFECT_NOTES = {
    email.errors.CloseBoundaryNotFoundDefect: "the message ends without its final MIME boundary "
    "(cut short, or written by a careless program): its last part was read to the end",
    email.errors.StartBoundaryNotFoundDefect: "the message's MIME boundary never appears, so "
    "its parts could not be told apart",
    email.errors.NoBoundaryInMultipartDefect: "the message says it has several parts but names "
    "no boundary between them, so its parts could not be told apart",
    email.errors.MultipartInvariantViolationDefect: "a part says it holds several parts but "
    "holds one",
    email.errors.FirstHeaderLineIsContinuationDefect: "its first header line is indented, as if "
    "it continued a line before it",
    email.errors.MissingHeaderBodySeparatorDefect: "a header line is malformed; what follows it "
    "was read as the body",
}
DAMAGED_ENCODING = (
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
)


def defect_notes(message: Message) -> list[str]:
    """What was wrong with the message's structure, in words, once each."""
    notes = []
    for part in message.walk():
        for defect in part.defects:
            note = next(
                (text for kind, text in _DEFECT_NOTES.items() if isinstance(defect, kind)), ""
            )
            if note and note not in notes:
                notes.append(note)
    return notes
