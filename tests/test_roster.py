"""The roster file: reading it, finding people by address and by id, and its bad input."""

from pathlib import Path

import pytest

from grader.errors import UserError
from grader.roster import load_roster


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_students_staff_and_several_addresses(tmp_path):
    roster = load_roster(
        write(
            tmp_path,
            "id,name,email,role\n"
            'CS21B042,Asha Rao,"asha@iitm.ac.in; Asha.Rao@Gmail.com",\n'
            "EE21B017,भाविन पटेल,bhavin@iitm.ac.in,student\n"
            "TA1,Ravi (TA),ravi@iitm.ac.in,staff\n",
        )
    )
    assert [p.id for p in roster.students] == ["CS21B042", "EE21B017"]
    assert [p.id for p in roster.staff] == ["TA1"]
    assert roster.by_email("asha.rao@gmail.com").id == "CS21B042"
    assert roster.by_email("nobody@x.org") is None
    assert roster.students[1].name == "भाविन पटेल"


def test_ids_are_found_as_whole_words_only(tmp_path):
    roster = load_roster(
        write(tmp_path, "id,name,email,role\nCS21B042,A,a@x.org,\nTA1,T,t@x.org,staff\n")
    )
    assert [p.id for p in roster.ids_in(["Project 1 - cs21b042.pdf"])] == ["CS21B042"]
    assert roster.ids_in(["XCS21B0421 report"]) == []
    assert roster.ids_in(["from TA1"]) == []  # staff ids never attribute a hand-in


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        (
            "name,phone\nA,123\n",
            "or email; columns found: 'name', 'phone'",
        ),
        ("id,name,email,role\n", "nobody on it"),
        ("id,name,email,role\na/b,A,a@x.org,\n", "line 2: id 'a/b'"),
        ("id,name,email,role\nA1,A,a@x.org,\nA1,B,b@x.org,\n", "line 3: id A1 is also on line 2"),
        ("id,name,email,role\nA1,A,a@x.org,wizard\n", "role 'wizard'"),
        ("id,name,email,role\nA1,A,not-an-address,\n", "'not-an-address' is not an email"),
        ("id,name,email,role\nA1,A,a@x.org,\nA2,B,A@x.org,\n", "line 3: a@x.org is also on line 2"),
    ],
)
def test_bad_rosters_say_what_and_where(tmp_path, text, says):
    with pytest.raises(UserError, match=says.replace("(", r"\(").replace(")", r"\)")):
        load_roster(write(tmp_path, text))


def test_missing_file_is_a_message(tmp_path):
    with pytest.raises(UserError, match="no such roster file"):
        load_roster(tmp_path / "absent.csv")
