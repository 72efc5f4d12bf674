"""Text a student controls, quoted in what the grader writes (feedback.html, results.json, the
dashboard): cut to a stated length (:data:`~grader.limits.GRADING`'s ``quoted_chars`` and
``note_chars``), so that a hand-in cannot make those any size. A notebook's metadata, a
constant's value or a name in its code may be megabytes long."""

from __future__ import annotations

import reprlib

from grader.limits import GRADING


def cut(text: str, chars: int) -> str:
    """``text``, or its first ``chars`` characters and how long it was."""
    if len(text) <= chars:
        return text
    return f"{text[:chars]}… ({len(text):,} characters in all)"


def _shortened(chars: int) -> reprlib.Repr:
    """A repr that never builds the whole text of a long string or a long list first."""
    shortened = reprlib.Repr()
    shortened.maxstring = shortened.maxother = shortened.maxlong = chars
    shortened.maxlist = shortened.maxtuple = shortened.maxdict = shortened.maxset = 16
    return shortened


def quoted(value: object, chars: int = GRADING.quoted_chars) -> str:
    """``value`` as the student wrote it (a str quoted), cut to about ``chars`` characters."""
    try:
        return cut(_shortened(chars).repr(value), chars)
    except ValueError:  # an integer too long to write out in decimal
        return "a number too long to show"
