"""Issue 67: finding students in a mail's texts costs the same whatever the size of the class.

``ids_in`` and ``names_in`` searched one regex per roster student per text: above Python's
regex cache (512 patterns) every call compiled N patterns, so a collect of a class of thousands
cost the square of its size. They now use indexes built once per roster; what is counted here is
the regex compilations (``re._compile``, through which ``re.search`` and ``re.compile`` go),
which no longer grow with the roster."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.roster import load_roster

TEXTS = [
    "Assignment 1 from cs21b00042 (Given42 Family42)",
    "Re: lstm_gates - CS21B00007_gates.ipynb",
    "Hello, please find my work attached. Given7   family7, roll number EE21X1",
    "nothing of anyone's here",
]


def roster_of(tmp_path: Path, students: int):
    rows = [f"CS21B{n:05d},Given{n} Family{n},s{n}@example.edu," for n in range(students)]
    path = tmp_path / f"roster-{students}.csv"
    path.write_text("id,name,email,role\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return load_roster(path)


def compilations(monkeypatch, roster) -> tuple[int, list[str], list[str]]:
    counted = [0]
    compile_ = re._compile  # type: ignore[attr-defined]

    def counting(*args, **kwargs):
        counted[0] += 1
        return compile_(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(re, "_compile", counting)
        ids = [p.id for p in roster.ids_in(TEXTS)]
        names = [p.id for p in roster.names_in(TEXTS)]
        for text in TEXTS:  # a collect asks once per mail: the second time costs nothing more
            roster.ids_in([text])
            roster.names_in([text])
    return counted[0], ids, names


def test_the_regex_work_does_not_grow_with_the_class(tmp_path, monkeypatch):
    small, ids, names = compilations(monkeypatch, roster_of(tmp_path, 100))
    large, same_ids, same_names = compilations(monkeypatch, roster_of(tmp_path, 3000))
    assert ids == same_ids == ["CS21B00042", "CS21B00007"]
    assert names == same_names == ["CS21B00042", "CS21B00007"]
    assert large == small  # before issue 67: 3000 per text and kind, 24,000 in all
    assert small <= 4  # one pattern of first names, one per name found


def test_look_ups_by_address_and_id_any_case(tmp_path):
    roster = roster_of(tmp_path, 2000)
    assert roster.by_email(" S1999@Example.EDU ").id == "CS21B01999"
    assert roster.by_id("cs21b00123").name == "Given123 Family123"
    assert roster.by_id("") is None and roster.by_email("") is None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ab-c_report.pdf", ["ab", "ab-c"]),  # both ids end where a word does
        ("xab-c", []),
        ("AB.", ["ab"]),
    ],
)
def test_ids_that_begin_alike_are_each_found(tmp_path, text, found):
    path = tmp_path / "roster.csv"
    path.write_text("id,name,email,role\nab,A B,a@x.org,\nab-c,C D,c@x.org,\n", encoding="utf-8")
    assert [p.id for p in load_roster(path).ids_in([text])] == found


def test_names_that_begin_alike_are_each_found_in_roster_order(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(
        "id,name,email,role\n"
        "p1,Arjun Menon Kumar,a@x.org,\np2,Arjun  Menon,b@x.org,\np3,Arjun Rao,c@x.org,\n",
        encoding="utf-8",
    )
    roster = load_roster(path)
    assert [p.id for p in roster.names_in(["from arjun menon kumar (p9)"])] == ["p1", "p2"]
    assert [p.id for p in roster.names_in(["Arjun Rao", "ARJUN\tMENON!"])] == ["p3", "p2"]
