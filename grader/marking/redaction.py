"""Taking the students' names, ids and addresses out of what a blind marker sees.

A name hides in more than words between spaces: ``chitra_gradients.png``, ``Report_Chitra_Rao``,
``s1234567_final``, ``plotChitraRao`` and "Zoe Angstrom" for the roster's "Zoë Ångström". So a
text is read as runs of letters and digits (``_``, ``-``, ``.`` and everything else separate
them), each run split where letters meet digits and at camelCase humps, and every piece compared
accent-folded and case-folded with the roster's names; ids are looked for anywhere inside a run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from grader.roster import Person

REDACTED = "[redacted]"
_RUN = re.compile(r"[^\W_]+")
# A full name's parts, each redacted, read as the one name they are ("Asha Verma").
_TOGETHER = re.compile(re.escape(REDACTED) + r"(?:[ \t]+" + re.escape(REDACTED) + ")+")
_JOINED = 4  # humps of a run read together as one name at most ("AshaKumariVermaRao")
# Letters NFKD leaves whole: folded as a reader would write them on an English keyboard.
_PLAIN = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L", "đ": "d"})


def fold(text: str) -> str:
    """``text`` without accents, case-folded: "Zoë Ångström" reads "zoe angstrom"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _humps(run: str) -> list[tuple[int, int]]:
    """Where ``run`` splits into the words it was made of: letters and digits apart, and a
    capital after a small letter (``plotChitraRao``) or before one (``PDFReport``)."""
    cuts = [0]
    for i in range(1, len(run)):
        before, here = run[i - 1], run[i]
        after = run[i + 1] if i + 1 < len(run) else ""
        if (
            before.isdigit() != here.isdigit()
            or (before.islower() and here.isupper())
            or (before.isupper() and here.isupper() and after.islower())
        ):
            cuts.append(i)
    cuts.append(len(run))
    return list(zip(cuts, cuts[1:], strict=False))


def _longer_number(run: str, start: int, end: int) -> bool:
    """The digits at an edge of ``run[start:end]`` go on: s12345678 is not s1234567."""
    before = start > 0 and run[start - 1].isdigit() and run[start].isdigit()
    after = end < len(run) and run[end].isdigit() and run[end - 1].isdigit()
    return before or after


def _spans(run: str, names: set[str], ids: list[str]) -> list[tuple[int, int]]:
    """The parts of one run that are a student's name or id."""
    found = []
    lowered = run.casefold()
    if len(lowered) == len(run):  # ids are plain letters and digits: find them inside the run
        for student_id in ids:
            start = lowered.find(student_id)
            while start != -1:
                end = start + len(student_id)
                if not _longer_number(lowered, start, end):
                    found.append((start, end))
                start = lowered.find(student_id, start + 1)
    humps = _humps(run)
    for first in range(len(humps)):
        longest = min(len(humps), first + _JOINED) - 1
        for last in range(longest, first - 1, -1):  # the longest run of humps first
            start, end = humps[first][0], humps[last][1]
            if fold(run[start:end]) in names:
                found.append((start, end))
                break
    return found


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redactor(people: Iterable[Person]) -> Callable[[str], str]:
    """A function that replaces every roster name, part of a name, id and e-mail address in a
    text, wherever it stands inside a token, with or without its accents, in any case."""
    names: set[str] = set()
    ids: set[str] = set()
    emails: set[str] = set()
    for person in people:
        parts = [p for p in re.split(r"[\W_]+", person.name) if len(p) > 1]
        names.update(fold(p) for p in parts)
        if len(parts) > 1:
            names.add(fold("".join(parts)))  # "chitrairer" written as one word
        if person.id:
            ids.add(fold(person.id))
        emails.update(e for e in person.emails if e)
    if not (names or ids or emails):
        return lambda text: text
    by_length = sorted(ids, key=len, reverse=True)
    addresses = (
        re.compile("|".join(re.escape(e) for e in sorted(emails, key=len, reverse=True)), re.I)
        if emails
        else None
    )

    def one_run(match: re.Match[str]) -> str:
        run = match.group()
        spans = _merged(_spans(run, names, by_length))
        if not spans:
            return run
        pieces, last = [], 0
        for start, end in spans:
            pieces += [run[last:start], REDACTED]
            last = end
        return "".join([*pieces, run[last:]])

    def redact(text: str) -> str:
        if addresses is not None:
            text = addresses.sub(REDACTED, text)
        return _TOGETHER.sub(REDACTED, _RUN.sub(one_run, text))

    return redact
