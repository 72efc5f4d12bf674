"""Intake's invariants under any mix of hand-ins (issue 95), by mail and in each LMS's layout:
students named with any of Unicode's letters and marks, composed or decomposed, each sending
good and unreadable files in any order. Every readable file is collected for its student,
every unreadable one is listed by its name with its reason, nothing is filed for anyone else.
``collect`` runs in-process; a few dozen mixes per source keep each test to seconds."""

from __future__ import annotations

import csv
import tempfile
import unicodedata
from pathlib import Path

import pytest
from handin_mix_kit import BROKEN_ZIP, LMS, SOURCES, Student, check_collected, handed_in
from handin_mix_kit import roster_csv as roster_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lms_archive_kit import plain_notebook

from grader import intake
from grader.intake.lms_archives import LmsOptions
from grader.roster import load_roster

PROPERTIES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LETTERS = st.characters(categories=["L"])
MARKS = st.characters(categories=["M"])


@st.composite
def words(draw: st.DrawFn, longest: int = 8) -> str:
    """A word of Unicode's letters and marks (a letter first), in NFC or NFD."""
    rest = draw(st.lists(st.one_of(LETTERS, MARKS), max_size=longest - 1))
    word = draw(LETTERS) + "".join(rest)
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), word)


def _key(text: str) -> str:
    """Names told apart as the LMSs tell them: composed, case and spaces aside."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


@st.composite
def files(draw: st.DrawFn, student: int) -> tuple[tuple[str, bytes], ...]:
    """Good files (notebooks, data) and unreadable ones (a zip that is no zip, an empty file),
    in any order; each named by a word of its own."""
    kinds = draw(st.lists(st.sampled_from(["notebook", "data", "broken zip", "empty"]),
                          min_size=1, max_size=4))  # fmt: skip
    names = draw(st.lists(words(), min_size=len(kinds), max_size=len(kinds), unique_by=_key))
    made = []
    for number, (kind, name) in enumerate(zip(kinds, names, strict=True)):
        own = f"student {student} file {number}"
        made.append(
            {
                "notebook": (f"{name}.ipynb", plain_notebook(f"x = {own!r}")),
                "data": (f"{name}.csv", f"t,y\n{own},1\n".encode()),
                "broken zip": (f"{name}.zip", BROKEN_ZIP),
                "empty": (f"{name}.csv", b""),
            }[kind]
        )
    return tuple(made)


@st.composite
def classes(draw: st.DrawFn) -> list[Student]:
    """One to three students with names no two of which the LMSs would confuse."""
    names = draw(
        st.lists(st.tuples(words(), words()), min_size=1, max_size=3,
                 unique_by=lambda name: _key(name[0] + name[1]))
    )  # fmt: skip
    return [
        Student(f"20230{n:02d}", first, last, 48200 + n, draw(files(n)))
        for n, (first, last) in enumerate(names)
    ]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def collected(source: str, students: list[Student]) -> None:
    with tempfile.TemporaryDirectory(prefix="intake-mix-") as folder:
        root = Path(folder)
        roster = root / "roster.csv"
        nfc = [
            Student(
                s.id,
                *(unicodedata.normalize("NFC", p) for p in (s.first, s.last)),
                s.lms_id,
                s.files,
            )  # fmt: skip
            for s in students
        ]
        roster.write_text(roster_text(nfc), encoding="utf-8")
        inbox, export = handed_in(source, students, root / "handed-in")
        out = root / "out"
        intake.collect(
            inbox,
            out,
            roster=load_roster(roster),
            merged_pdf=False,
            lms=LmsOptions(export) if source in LMS else None,
        )
        check_collected(out, students, read_csv(out / "REJECTED.csv"))


@pytest.mark.parametrize("source", SOURCES)
@PROPERTIES
@given(students=classes())
def test_every_readable_file_is_collected_and_every_unreadable_one_listed(
    source: str, students: list[Student]
) -> None:
    collected(source, students)
