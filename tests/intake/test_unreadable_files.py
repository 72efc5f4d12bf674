"""A hand-in is taken file by file (issue 95): a file that cannot be read (a zip that is no zip,
an empty file) is listed by its own name with its reason, in the student's folder, index.csv
and REJECTED.csv, and the rest of what the student sent is collected as if it came alone, from
every source (mail, an mbox, Outlook's .msg, a bundle, each LMS's download). A name is read as
the LMS writes it: Unicode's letters and marks, composed or decomposed."""

from __future__ import annotations

import csv
import email
import email.policy
import unicodedata
from datetime import timedelta
from email.headerregistry import Address
from pathlib import Path

import pytest
from course_kit import ROOT, make_course
from handin_mix_kit import BROKEN_ZIP, LMS, SENT, SOURCES, Student, handed_in, roster_csv
from lms_archive_kit import (
    COLAB,
    canvas_prefix,
    canvas_text_page,
    released,
    zipped,
)
from mailkit import gmail, notebook, titled_report
from submission_kit import replace_member, student_folder, with_files

from grader import bundle
from grader.assignment import load_assignment
from grader.cli import main
from grader.grading.submissions import find_submissions
from grader.intake.common import DEFAULT_LIMITS
from grader.intake.manifest import load_manifest
from grader.intake.message.received import receive
from grader.watch.handins import Context, Handled, handle

YORUBA = ("Olúwaseun", "Adébáyọ̀")  # ọ̀ carries a combining grave even in NFC
NOTEBOOK = ("lstm_gates.ipynb", released("lstm_gates"))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def two_students(form: str = "NFC") -> list[Student]:
    """One with a notebook beside a broken zip, one with a notebook alone."""
    first, last = (unicodedata.normalize(form, part) for part in YORUBA)
    return [
        Student("2023001", first, last, 48220, (NOTEBOOK, ("results.zip", BROKEN_ZIP))),
        Student(
            "2023002",
            "Jürgen",
            "Müller",
            48221,
            (("lstm_lab.ipynb", released("lstm_gates", "y = 3")),),
        ),
    ]


def collect(tmp_path: Path, source: str, students: list[Student], *extra: str) -> Path:
    course, _ = make_course(tmp_path, roster_csv(two_students()))
    inbox, export = handed_in(source, students, tmp_path / "handed-in")
    out = tmp_path / "out"
    args = ["collect", str(inbox), "--course", str(course.path), "--out", str(out), *extra]
    if source in LMS:
        args += ["--assignment", "lstm_gates", "--lms-export", str(export)]
    assert main(args) == 0
    return out


@pytest.mark.parametrize("source", SOURCES)
def test_a_notebook_beside_a_broken_zip_is_collected_and_the_zip_listed(
    tmp_path: Path, source: str
) -> None:
    out = collect(tmp_path, source, two_students())
    asha = load_manifest(out / "2023001")
    assert asha["assignments"] == {"lstm_gates": "lstm_gates/lstm_gates.ipynb"}
    assert (out / "2023001" / "lstm_gates" / "lstm_gates.ipynb").read_bytes() == NOTEBOOK[1]
    assert [u["name"] for u in asha["unreadable"]] == ["results.zip"]
    assert "not a readable zip" in asha["unreadable"][0]["reason"]
    assert "BadZipFile" not in asha["unreadable"][0]["reason"]  # the student reads it
    assert not any(path.name == "results.zip" for path in (out / "2023001").rglob("*"))
    rejected = read_csv(out / "REJECTED.csv")
    assert [(r["student"], r["reason"].split(":")[0]) for r in rejected] == [
        ("2023001", "results.zip")
    ]
    assert "not a readable zip" in rejected[0]["reason"]
    rows = {row["student"]: row for row in read_csv(out / "index.csv") if row["student"]}
    assert rows["2023001"]["status"] == "collected" and rows["2023002"]["status"] == "collected"
    assert "results.zip could not be read (not a readable zip" in rows["2023001"]["notes"]
    assert load_manifest(out / "2023002")["assignments"]


def test_only_unreadable_files_are_rejected_naming_each(tmp_path: Path) -> None:
    broken = Student("2023001", *YORUBA, 1, (("results.zip", BROKEN_ZIP), ("data.csv", b"")))
    out = collect(tmp_path, "mail", [broken])
    assert not (out / "2023001").exists()
    [row] = read_csv(out / "REJECTED.csv")
    assert "results.zip: not a readable zip" in row["reason"]
    assert "data.csv: an empty file" in row["reason"]


def test_a_colab_link_beside_a_broken_zip_is_collected(tmp_path: Path) -> None:
    course, _ = make_course(tmp_path, roster_csv(two_students()))
    mail = gmail(
        "Olúwaseun Adébáyọ̀ <s2023001@example.edu>", SENT, "P1",
        f"Project 1: {COLAB}", attachments=[("results.zip", BROKEN_ZIP)],
    )  # fmt: skip
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "m.eml").write_bytes(bytes(mail))
    out = tmp_path / "out"
    assert main(["collect", str(inbox), "--course", str(course.path), "--out", str(out)]) == 0
    assert load_manifest(out / "2023001")["projects"][0]["colab"] == COLAB
    assert read_csv(out / "REJECTED.csv")[0]["reason"].startswith("results.zip: ")


@pytest.fixture(scope="module")
def a_bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    root = tmp_path_factory.mktemp("bundle")
    toml = student_folder(root / "s", "CS21B001", "Asha Verma", "asha@example.edu")
    return bundle.build_bundle(toml, root / "out").zip_path.read_bytes()


@pytest.mark.parametrize(
    ("member", "data", "reason"),
    [
        ("project1/results.zip", BROKEN_ZIP, "not a readable zip"),
        ("project1/notes.txt", b"", "an empty file"),
    ],
)
def test_a_bundle_member_that_cannot_be_read_is_listed_and_the_rest_collected(
    tmp_path: Path, a_bundle: bytes, member: str, data: bytes, reason: str
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "asha.zip").write_bytes(with_files(a_bundle, {member: data}))
    out = tmp_path / "out"
    assert main(["collect", str(inbox), "--out", str(out)]) == 0
    asha = load_manifest(out / "CS21B001")
    assert asha["projects"][0]["notebook"] and asha["projects"][1]["notebook"]
    assert member not in asha["files"]
    [row] = read_csv(out / "REJECTED.csv")
    assert (row["source"], row["student"]) == ("asha.zip", "CS21B001")
    assert row["reason"].startswith(f"{member}: {reason}")


@pytest.mark.parametrize("how", ["inbox", "mail"])
@pytest.mark.parametrize("member", ["project1/project1.csv", "project1/project1.ipynb"])
def test_a_bundle_member_changed_after_bundling_is_listed_and_the_rest_collected(
    tmp_path: Path, a_bundle: bytes, member: str, how: str
) -> None:
    """Its bytes no longer match manifest.json: that file alone is left out, with what to do."""
    changed = replace_member(a_bundle, member, b"t,y\n6,6\n")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    if how == "inbox":
        (inbox / "asha.zip").write_bytes(changed)
    else:
        mail = gmail("Asha Verma <asha@example.edu>", SENT, "Projects", "Attached.",
                     attachments=[("asha.zip", changed)])  # fmt: skip
        (inbox / "asha.eml").write_bytes(bytes(mail))
    out = tmp_path / "out"
    assert main(["collect", str(inbox), "--out", str(out)]) == 0
    asha = load_manifest(out / "CS21B001")
    kept = {name.rsplit("/", 1)[-1] for name in asha["files"]}
    bundled = {f"project{n}.{kind}" for n in (1, 2) for kind in ("ipynb", "pdf", "csv")}
    assert kept == bundled - {member.rsplit("/", 1)[-1]}
    assert asha["projects"][0]["colab"] and asha["projects"][1]["notebook"]
    [listed] = asha["unreadable"]
    assert listed["name"] == member and "no longer match" in listed["reason"]
    assert "bundle again" in listed["reason"]
    [row] = read_csv(out / "REJECTED.csv")
    assert row["student"] == "CS21B001"
    assert row["reason"].startswith(f"{member}: its bytes no longer match")
    row = next(r for r in read_csv(out / "index.csv") if r["student"] == "CS21B001")
    assert row["status"] == "collected" and f"{member} could not be read" in row["notes"]


def test_grade_names_the_files_its_own_hand_in_lost(tmp_path: Path, a_bundle: bytes) -> None:
    """``grader grade`` carries the unreadable files of the hand-in it grades to the feedback:
    those the graded notebook's own mail brought (not those of a mail it replaced), and those
    of a bundle zip graded as it is."""
    config = load_assignment(ROOT / "assignments" / "lstm_gates").config
    course, _ = make_course(tmp_path, roster_csv(two_students()))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sender = "Olúwaseun Adébáyọ̀ <s2023001@example.edu>"
    first = gmail(sender, SENT, "Assignment 1", "Attached.",
                  attachments=[NOTEBOOK, ("results.zip", BROKEN_ZIP)])  # fmt: skip
    (inbox / "1.eml").write_bytes(bytes(first))
    args = ["collect", str(inbox), "--course", str(course.path), "--out", str(tmp_path / "out")]
    assert main(args) == 0
    [graded] = find_submissions([tmp_path / "out" / "2023001"], config, tmp_path / "scratch")
    assert [name for name, _ in graded.unreadable] == ["results.zip"]
    assert "not a readable zip" in graded.unreadable[0][1]
    again = gmail(sender, SENT + timedelta(hours=1), "Assignment 1", "Again.",
                  attachments=[("lstm_gates.ipynb", released("lstm_gates", "y = 2"))])  # fmt: skip
    (inbox / "2.eml").write_bytes(bytes(again))
    assert main(args) == 0
    [graded] = find_submissions([tmp_path / "out" / "2023001"], config, tmp_path / "scratch2")
    assert graded.notebook is not None and graded.unreadable == ()
    changed = tmp_path / "asha.zip"
    changed.write_bytes(replace_member(a_bundle, "project1/project1.csv", b"t,y\n6,6\n"))
    [graded] = find_submissions([changed], config, tmp_path / "scratch3")
    assert [name for name, _ in graded.unreadable] == ["project1/project1.csv"]


@pytest.mark.parametrize("manifest", [b"", b"{ not json", b'{"schema": 1}'])
def test_a_bundle_whose_manifest_cannot_be_read_is_refused_whole(
    tmp_path: Path, a_bundle: bytes, manifest: bytes
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "asha.zip").write_bytes(replace_member(a_bundle, "manifest.json", manifest))
    out = tmp_path / "out"
    assert main(["collect", str(inbox), "--out", str(out)]) == 0
    assert not (out / "CS21B001").exists()
    [row] = read_csv(out / "REJECTED.csv")
    assert row["source"] == "asha.zip" and "manifest.json" in row["reason"]


def test_a_bundle_mailed_beside_a_broken_zip_is_collected(tmp_path: Path, a_bundle) -> None:
    mail = gmail(
        "Asha Verma <asha@example.edu>", SENT, "Projects", "Attached.",
        attachments=[("asha.zip", a_bundle), ("results.zip", BROKEN_ZIP)],
    )  # fmt: skip
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "m.eml").write_bytes(bytes(mail))
    out = tmp_path / "out"
    assert main(["collect", str(inbox), "--out", str(out)]) == 0
    assert load_manifest(out / "CS21B001")["projects"][0]["notebook"]
    [row] = read_csv(out / "REJECTED.csv")
    assert row["student"] == "CS21B001" and row["reason"].startswith("results.zip: not a")


@pytest.mark.parametrize("form", ["NFC", "NFD"])
@pytest.mark.parametrize("source", LMS)
def test_a_name_with_combining_marks_is_attributed(tmp_path: Path, source: str, form: str):
    """The LMS writes the name as the student typed it, composed or not; the roster's is NFC."""
    first, last = (unicodedata.normalize(form, part) for part in YORUBA)
    out = collect(tmp_path, source, [Student("2023001", first, last, 48220, (NOTEBOOK,))])
    assert load_manifest(out / "2023001")["assignments"] == {
        "lstm_gates": "lstm_gates/lstm_gates.ipynb"
    }
    assert not [r for r in read_csv(out / "index.csv") if r["status"] == "unattributed"]


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_canvas_keeps_the_marks_and_the_colab_link_is_attributed_by_name(tmp_path, form):
    """Canvas ``adébáyọ̀olúwaseun_48220_text.html``, no export: attributed by name alone."""
    sortable = unicodedata.normalize(form, f"{YORUBA[1]}, {YORUBA[0]}")
    prefix = canvas_prefix(sortable, 48220, False)
    assert prefix.startswith(unicodedata.normalize(form, "adébáyọ̀olúwaseun"))
    page = canvas_text_page("Assignment 1", "Olúwaseun Adébáyọ̀", f"<p>{COLAB}</p>")
    archive = tmp_path / "submissions.zip"
    archive.write_bytes(zipped({f"{prefix}_text.html": page}))
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_csv(two_students()), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["collect", str(archive), "--roster", str(roster), "--out", str(out)]) == 0
    assert load_manifest(out / "2023001")["projects"][0]["colab"] == COLAB


def watched(tmp_path: Path, subject: str, files: list[tuple[str, bytes]]) -> Handled:
    """What ``grader watch`` does with the mail of the student whose files are ``files`` and a
    broken ``results.zip``."""
    course, projects = make_course(tmp_path, roster_csv(two_students()))
    course_box = Address("Course", "lstm", "example.edu")
    context = Context(course, course.roster(), projects, course_box, frozenset())
    mail = gmail(
        "Olúwaseun Adébáyọ̀ <s2023001@example.edu>", SENT, subject, "Attached.",
        attachments=[*files, ("results.zip", BROKEN_ZIP)],
    )  # fmt: skip
    return handle("m1", receive(bytes(mail), DEFAULT_LIMITS), context)


def test_the_graded_reply_names_the_file_that_could_not_be_read(tmp_path: Path) -> None:
    [job] = watched(tmp_path, "Assignment 1", [NOTEBOOK]).jobs
    assert job["assignment"] == "lstm_gates"
    assert "results.zip could not be read (not a readable zip" in job["note"]


def test_a_project_receipt_names_the_file_that_could_not_be_read(tmp_path: Path) -> None:
    project = [
        ("project1.ipynb", notebook("# Project 1")),
        ("report.pdf", titled_report("Project 1")),
    ]
    handled = watched(tmp_path, "Project 1", project)
    texts = [
        email.message_from_bytes(message, policy=email.policy.default)
        .get_body(("plain",))
        .get_content()
        for _, _, _, message in handled.replies
    ]
    receipts = [text for text in texts if "was received" in text]
    said = "results.zip could not be read (not a readable zip"
    assert receipts and all(said in t for t in receipts)
