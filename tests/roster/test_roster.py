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
    assert roster.people[0].emails == ("asha@iitm.ac.in", "Asha.Rao@Gmail.com")  # as written
    assert roster.by_email("ASHA@IITM.AC.IN").id == "CS21B042"
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
        ("id,name,email,role\nA1,A,a@x.org,\nA2,B,A@x.org,\n", "line 3: A@x.org is also on line 2"),
    ],
)
def test_bad_rosters_say_what_and_where(tmp_path, text, says):
    with pytest.raises(UserError, match=says.replace("(", r"\(").replace(")", r"\)")):
        load_roster(write(tmp_path, text))


def test_missing_file_is_a_message(tmp_path):
    with pytest.raises(UserError, match="no such roster file"):
        load_roster(tmp_path / "absent.csv")


# ---- rosters as instructors get them (issue 26)

CANVAS = (  # Canvas > Grades > Export: its second row holds the points possible
    "Student,ID,SIS User ID,SIS Login ID,Section,Project 1 (1234),Current Score\n"
    "    Points Possible,,,,,100.00,(read only)\n"
    '"Verma, Asha",10234,CS21B001,asha@iitm.ac.in,LSTM 2023 (Section A),88.00,88.00\n'
    '"Menon, Rahul",10235,EE21B002,ee21b002,LSTM 2023 (Section B),,\n'
    '"Student, Test",10299,,,LSTM 2023 (Section A),,\n'
)
MOODLE = (  # Moodle > Grades > Export > Plain text file (its participants download: the same)
    "First name,Last name,ID number,Institution,Department,Email address,"
    "Assignment: Project 1 (Real),Last downloaded from this course\n"
    "Asha,Verma,CS21B001,IIT Madras,CSE,asha@iitm.ac.in,88.00,1673798400\n"
    "भाविन,पटेल,,IIT Madras,EE,bhavin@iitm.ac.in,-,1673798400\n"
)


def test_a_canvas_gradebook_export(tmp_path):
    roster = load_roster(write(tmp_path, CANVAS))
    assert [(p.id, p.name, p.emails, p.section) for p in roster.people] == [
        ("CS21B001", "Verma, Asha", ("asha@iitm.ac.in",), "LSTM 2023 (Section A)"),
        ("EE21B002", "Menon, Rahul", (), "LSTM 2023 (Section B)"),  # a login, not an address
    ]
    assert roster.columns == (
        "roster.csv: id from 'SIS User ID', name from 'Student', email from 'SIS Login ID', "
        "section from 'Section'"
    )


def test_a_moodle_export_joins_first_and_last_names(tmp_path):
    roster = load_roster(write(tmp_path, MOODLE))
    assert [(p.id, p.name, p.emails) for p in roster.people] == [
        ("CS21B001", "Asha Verma", ("asha@iitm.ac.in",)),
        ("bhavin", "भाविन पटेल", ("bhavin@iitm.ac.in",)),  # no ID number: the address names them
    ]
    assert roster.columns == (
        "roster.csv: id from 'ID number', first name from 'First name', last name from "
        "'Last name', email from 'Email address'"
    )


def test_a_university_spreadsheet(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["CS6910 Deep Learning - Jan 2023 - Class list"])  # a title above the header
    sheet.append([])
    sheet.append(["S.No", "Roll No", "Name", "Email ID", "Role"])
    sheet.append([1, "CS21B001", "Asha Verma", "asha@iitm.ac.in", "Student"])
    sheet.append([2, 2021103042, "Rahul Menon", "rahul@iitm.ac.in", None])  # a number cell
    sheet.append([3, None, "Meera Krishnan", "meera@iitm.ac.in", "Teaching Assistant"])
    book.save(tmp_path / "class list.xlsx")
    roster = load_roster(tmp_path / "class list.xlsx")
    assert [(p.id, p.name, p.role) for p in roster.people] == [
        ("CS21B001", "Asha Verma", "student"),
        ("2021103042", "Rahul Menon", "student"),
        ("", "Meera Krishnan", "staff"),
    ]
    assert roster.by_email("meera@iitm.ac.in").label == "Meera Krishnan"
    assert roster.by_id("") is None
    assert roster.columns == (
        "class list.xlsx: id from 'Roll No', name from 'Name', email from 'Email ID', "
        "role from 'Role'"
    )


def test_staff_need_no_id(tmp_path):
    roster = load_roster(
        write(tmp_path, "id,name,email,role\nCS21B001,A,a@x.org,\n,Ravi (TA),ravi@x.org,staff\n")
    )
    assert [(p.id, p.label) for p in roster.staff] == [("", "Ravi (TA)")]


def test_an_ambiguous_roster_is_refused_with_the_columns_found(tmp_path):
    text = "Roll No,Student ID,Name,Email\nCS21B001,42,A,a@x.org\n"
    with pytest.raises(UserError) as refused:
        load_roster(write(tmp_path, text))
    assert str(refused.value) == (
        f"{tmp_path / 'roster.csv'}: the columns 'Roll No', 'Student ID' could each be the id: "
        "keep one, or rename the others (columns found: 'Roll No', 'Student ID', 'Name', "
        "'Email')"
    )
