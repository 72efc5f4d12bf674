"""``grader collect``: bundle zips, .eml folders and mbox files into student folders, safely."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import mailbox
import os
import stat
import struct
import unicodedata
import warnings
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader
from scratch_kit import temporary_after_a_killed_run
from submission_kit import (
    colab,
    drawn_width,
    message,
    notebook_file,
    page_fonts,
    page_text,
    replace_member,
    report_pdf,
    rezip,
    set_widths,
    student_folder,
    with_files,
)

from grader import bundle, intake
from grader.cli import main
from grader.errors import UserError
from grader.intake import Limits, load_manifest, merged_pdf

IST = timezone(timedelta(hours=5, minutes=30))
DEADLINE = datetime(2023, 1, 15, 23, 59, tzinfo=IST)
BEFORE, AFTER = DEADLINE - timedelta(hours=3), DEADLINE + timedelta(hours=2)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Bundle zips of two students, built by ``grader bundle``."""
    root = tmp_path_factory.mktemp("students")
    zips = {}
    for student_id, name in (("CS21B001", "Asha Verma"), ("EE21B002", "Rahul Menon")):
        address = f"{name.split()[0].lower()}@example.edu"
        toml = student_folder(root / student_id, student_id, name, address)
        zips[student_id] = bundle.build_bundle(toml, root / "out").zip_path.read_bytes()
    return zips


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def files_outside(root: Path, out: Path) -> set[Path]:
    """Every path under ``root`` but ``out``, its contents and the folders that lead to it."""
    return {
        path
        for path in root.rglob("*")
        if out not in path.parents and path != out and path not in out.parents
    }


def eml(folder: Path, name: str, mail) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(mail.as_bytes() if hasattr(mail, "as_bytes") else mail)
    return path


# ---------------------------------------------------------------------------------------------
# The ordinary cases


def test_a_folder_of_bundles_becomes_student_folders(tmp_path: Path, bundles) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for student_id, data in bundles.items():
        (inbox / f"{student_id}.zip").write_bytes(data)
    out = tmp_path / "submissions"

    summary = intake.collect(inbox, out)

    assert sorted(summary.placed) == ["CS21B001.zip", "EE21B002.zip"]
    manifest = load_manifest(out / "CS21B001")
    assert manifest["schema"] == 1
    assert manifest["student"] == {
        "id": "CS21B001",
        "name": "Asha Verma",
        "email": "asha@example.edu",
    }
    assert manifest["submitted_at"] == manifest["created"]
    assert manifest["late"] is False
    assert manifest["source"] == "CS21B001.zip"
    assert manifest["missing"] == []
    for relpath, digest in manifest["files"].items():
        assert hashlib.sha256((out / "CS21B001" / relpath).read_bytes()).hexdigest() == digest
    for project in manifest["projects"]:
        for key in ("notebook", "report", "dataset"):
            assert (out / "CS21B001" / project[key]).is_file()
    assert [row["student"] for row in read_csv(out / "index.csv")] == ["CS21B001", "EE21B002"]
    assert read_csv(out / "REJECTED.csv") == []
    assert sorted(p.name for p in out.iterdir()) == [
        "CS21B001",
        "EE21B002",
        "NO_HANDIN.csv",
        "REJECTED.csv",
        "UNATTRIBUTED.csv",
        "all_submissions.pdf",
        "index.csv",
    ]


def test_a_bundle_unpacked_by_a_killed_run_is_removed_by_the_next(
    tmp_path: Path, bundles, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a student's bundle, unpacked by a killed run
    temporary = temporary_after_a_killed_run(tmp_path, monkeypatch, "grader-bundle-")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "CS21B001.zip").write_bytes(bundles["CS21B001"])
    assert intake.collect(inbox, tmp_path / "submissions").placed == ["CS21B001.zip"]
    assert not list(temporary.glob("grader-bundle-*"))  # the killed run's and this run's


def test_a_bundle_may_hold_any_file_name_the_scratch_folder_uses(tmp_path: Path, bundles) -> None:
    """A bundle is unpacked into an empty folder of the Scratch, never beside its lock."""
    source = zipfile.ZipFile(io.BytesIO(bundles["CS21B001"]))
    manifest_name = next(n for n in source.namelist() if n.endswith("manifest.json"))
    prefix = manifest_name[: -len("manifest.json")]
    manifest = json.loads(source.read(manifest_name))
    manifest["files"][".lock"] = hashlib.sha256(b"mine").hexdigest()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with zipfile.ZipFile(inbox / "CS21B001.zip", "w") as bundled:
        for name in source.namelist():
            if name != manifest_name:
                bundled.writestr(name, source.read(name))
        bundled.writestr(prefix + ".lock", b"mine")
        bundled.writestr(manifest_name, json.dumps(manifest))
    assert intake.collect(inbox, tmp_path / "submissions").placed == ["CS21B001.zip"]
    assert (tmp_path / "submissions" / "CS21B001" / ".lock").read_bytes() == b"mine"


def test_merged_pdf_has_a_clickable_index_and_bookmarks(tmp_path: Path, bundles) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for student_id, data in bundles.items():
        (inbox / f"{student_id}.zip").write_bytes(data)
    summary = intake.collect(inbox, tmp_path / "out")

    reader = PdfReader(summary.merged_pdf)
    per_student = 5  # cover, two one-page reports, two one-page notebook appendices
    assert len(reader.pages) == 1 + 2 * per_student
    index_text = reader.pages[0].extract_text()
    assert "CS21B001" in index_text and "Rahul Menon" in index_text
    page_refs = [page.indirect_reference for page in reader.pages]
    targets = [
        page_refs.index(annotation.get_object()["/Dest"][0])
        for annotation in reader.pages[0]["/Annots"]
    ]
    assert targets == [1, 1 + per_student]
    assert "Submission of Asha Verma" in reader.pages[1].extract_text()
    assert "Submission of Rahul Menon" in reader.pages[1 + per_student].extract_text()
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == [
        "Index",
        "CS21B001: Asha Verma",
        "EE21B002: Rahul Menon",
    ]
    children = reader.outline[2]
    assert [(c.title, reader.get_destination_page_number(c)) for c in children][:2] == [
        ("Cover", 1),
        ("Project 1 report", 2),
    ]


def test_the_index_sets_names_in_any_script(tmp_path: Path) -> None:
    long_name = "श्रीनिवास रामानुजन् अय्यंगार कृष्णमूर्ति सुब्रह्मण्यम्"
    names = {
        "CS21B011": "अनन्या शर्मा",
        "EE21B012": "Σοφία Παπαδοπούλου",
        "ME21B013": "Zoë José Núñez",
        "CH21B014": long_name,
    }
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for student_id, name in names.items():
        toml = student_folder(tmp_path / student_id, student_id, name, f"{student_id}@example.edu")
        (inbox / f"{student_id}.zip").write_bytes(
            bundle.build_bundle(toml, tmp_path / "bundles").zip_path.read_bytes()
        )
    pdf = intake.collect(inbox, tmp_path / "out").merged_pdf

    text = page_text(pdf, 1)
    for student_id in ("CS21B011", "EE21B012", "ME21B013"):
        assert names[student_id] in text
    for name in ("Σοφία Παπαδοπούλου", "Zoë José Núñez"):  # unshaped: any extractor reads them
        assert name in PdfReader(pdf).pages[0].extract_text()
    fonts = page_fonts(pdf, 1)
    assert all(kind == "TrueType" and embedded for _, kind, embedded in fonts), fonts
    assert any(name.endswith("NotoSansDevanagari-Regular") for name, _, _ in fonts), fonts
    # The Devanagari name is shaped: drawn narrower than its letters side by side.
    shaped, letters = set_widths(names["CS21B011"], merged_pdf._index_styles()["cell"])
    drawn = drawn_width(pdf, 1, names["CS21B011"], limit=110)
    assert abs(drawn - shaped) < 2.5 < abs(drawn - letters), (drawn, shaped, letters)
    # Too long for its column: cut with '…' between whole syllables, never after a virama.
    cut = next(n for n in range(len(long_name), 0, -1) if long_name[:n].rstrip() + "…" in text)
    assert 10 < cut < len(long_name)
    assert unicodedata.combining(long_name[cut - 1]) != 9, long_name[:cut]
    assert not unicodedata.category(long_name[cut]).startswith("M"), long_name[:cut]


def test_late_submissions_are_flagged_by_the_email_date(tmp_path: Path, bundles) -> None:
    inbox = tmp_path / "inbox"
    eml(
        inbox,
        "1.eml",
        message(
            "Asha <asha@example.edu>", BEFORE, attachments=[("CS21B001.zip", bundles["CS21B001"])]
        ),
    )
    eml(
        inbox,
        "2.eml",
        message(
            "Rahul <rahul@example.edu>", AFTER, attachments=[("EE21B002.zip", bundles["EE21B002"])]
        ),
    )
    out = tmp_path / "out"

    intake.collect(inbox, out, intake.parse_deadline("2023-01-15T23:59+05:30"))

    asha, rahul = load_manifest(out / "CS21B001"), load_manifest(out / "EE21B002")
    assert (asha["late"], rahul["late"]) == (False, True)
    assert datetime.fromisoformat(rahul["submitted_at"]) == AFTER
    assert rahul["source"] == "2.eml"
    assert {row["student"]: row["late"] for row in read_csv(out / "index.csv")} == {
        "CS21B001": "no",
        "EE21B002": "yes",
    }
    # Run again with a later deadline: the flags follow it.
    intake.collect(inbox, out, AFTER + timedelta(minutes=1))
    assert load_manifest(out / "EE21B002")["late"] is False


def test_resends_that_repeat_files_change_nothing_and_changes_go_to_history(
    tmp_path: Path, bundles
) -> None:
    first = bundles["CS21B001"]
    second = rezip(first)  # same files, another zip: a resend
    inbox = tmp_path / "inbox"
    times = {
        "a.eml": BEFORE - timedelta(days=1),
        "b.eml": BEFORE + timedelta(hours=1),
        "c.eml": BEFORE,
    }
    for name, sent in times.items():
        eml(
            inbox,
            name,
            message(
                "asha@example.edu",
                sent,
                attachments=[("bundle.zip", second if name == "b.eml" else first)],
            ),
        )
    out = tmp_path / "out"

    summary = intake.collect(inbox, out, DEADLINE)

    student = out / "CS21B001"
    manifest = load_manifest(student)
    # The resends repeat the files of a.eml (same SHA-256): they change nothing, time included.
    assert manifest["source"] == "a.eml"
    assert datetime.fromisoformat(manifest["submitted_at"]) == times["a.eml"]
    assert summary.placed == ["a.eml"] and sorted(summary.repeats) == ["b.eml", "c.eml"]
    assert not (student / "history").exists()
    assert [e["source"] for e in manifest["emails"]] == ["a.eml", "c.eml", "b.eml"]

    # Collecting the same inbox again changes nothing.
    again = intake.collect(inbox, out, DEADLINE)
    assert sorted(again.already_collected) == ["a.eml", "b.eml", "c.eml"]
    assert load_manifest(student) == manifest

    # A late message that changes one file: late, that file listed, the earlier version kept.
    changed = bundle_with_new_dataset(first, b"t,y\n9,9\n")
    eml(inbox, "d.eml", message("asha@example.edu", AFTER, attachments=[("z.zip", changed)]))
    summary = intake.collect(inbox, out, DEADLINE)
    manifest = load_manifest(student)
    assert manifest["source"] == "d.eml" and manifest["late"] is True
    assert manifest["late_files"] == ["project1/project1.csv"]
    assert (student / "project1" / "project1.csv").read_bytes() == b"t,y\n9,9\n"
    [earlier] = (student / "history").iterdir()
    assert earlier.name == times["a.eml"].astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert load_manifest(earlier)["source"] == "a.eml"
    assert (earlier / "project1" / "project1.csv").read_bytes() != b"t,y\n9,9\n"
    row = read_csv(out / "index.csv")[0]
    assert (row["earlier"], row["late"], row["late_files"]) == ("1", "yes", "project1/project1.csv")
    assert summary.earlier == 1 and summary.late == 1
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left behind


def bundle_with_new_dataset(source: bytes, data: bytes) -> bytes:
    """The bundle with project 1's dataset changed, its manifest updated to match."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    manifest["files"]["project1/project1.csv"] = hashlib.sha256(data).hexdigest()
    changed = replace_member(source, "project1/project1.csv", data)
    return replace_member(changed, "manifest.json", json.dumps(manifest).encode())


def test_an_email_without_a_bundle_is_taken_apart_by_type(tmp_path: Path) -> None:
    files = tmp_path / "files"
    nb1 = notebook_file(files / "project1.ipynb").read_bytes()
    nb2 = notebook_file(files / "project2.ipynb", png=False).read_bytes()
    report = report_pdf(files / "report1.pdf").read_bytes()
    mail = message(
        "Priya Nair <Priya.Nair@example.edu>",
        BEFORE,
        body=f"Project 1: {colab(1)}\nRegards",
        html=f'<p>Project 2: <a href="{colab(2)}">notebook</a></p>',
        attachments=[
            ("project2.ipynb", nb2),
            ("Report1.pdf", report),
            ("project1.ipynb", nb1),
            ("prices.csv", b"t,price\n1,10\n"),
            ("notes.docx", b"PK\x03\x04 not really"),
        ],
    )
    inbox = tmp_path / "inbox"
    eml(inbox, "priya.eml", mail)
    out = tmp_path / "out"

    intake.collect(inbox, out)

    manifest = load_manifest(out / "priya.nair")
    assert manifest["student"] == {
        "id": "priya.nair",
        "name": "Priya Nair",
        "email": "priya.nair@example.edu",
    }
    first, second = manifest["projects"]
    assert (first["colab"], second["colab"]) == (colab(1), colab(2))
    assert first["notebook"] == "project1/project1.ipynb"
    assert second["notebook"] == "project2/project2.ipynb"
    assert first["report"] == "project1/Report1.pdf" and second["report"] is None
    assert first["dataset"] == "project1/prices.csv"
    assert manifest["missing"] == ["project 2: report PDF"]
    assert (out / "priya.nair" / "other" / "notes.docx").read_bytes() == b"PK\x03\x04 not really"
    assert (out / "priya.nair" / "project1" / "project1.ipynb").read_bytes() == nb1
    assert read_csv(out / "index.csv")[0]["missing"] == "project 2: report PDF"


def test_an_mbox_inbox_collects_the_good_and_rejects_the_broken(tmp_path: Path, bundles) -> None:
    path = tmp_path / "Inbox.mbox"
    box = mailbox.mbox(path)
    box.add(
        message("asha@example.edu", BEFORE, attachments=[("CS21B001.zip", bundles["CS21B001"])])
    )
    box.add(
        b"From: x@example.edu\nDate: Sun, 15 Jan 2023 10:00:00 +0530\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\n'
        b"hello\n--B\nContent-Type: application/zip\n"
        b"Content-Disposition: attachment; filename=a.zip\n"
        b"Content-Transfer-Encoding: base64\n\nUEsDBBQAAAAIAA"
    )  # cut off: no closing boundary
    box.add(
        message("rahul@example.edu", AFTER, attachments=[("EE21B002.zip", bundles["EE21B002"])])
    )
    box.flush()
    out = tmp_path / "out"

    summary = intake.collect(path, out)

    assert sorted(summary.placed) == ["Inbox.mbox#1", "Inbox.mbox#3"]
    rejected = read_csv(out / "REJECTED.csv")
    assert [(r["source"], r["student"]) for r in rejected] == [("Inbox.mbox#2", "x@example.edu")]
    # Python's parser reads it; the zip it carries is cut short, and that is its reason.
    assert "not a readable zip" in rejected[0]["reason"]


def test_a_bundle_sent_from_another_address_is_kept_with_a_note(tmp_path: Path, bundles) -> None:
    inbox = tmp_path / "inbox"
    eml(
        inbox,
        "m.eml",
        message("asha.personal@example.com", BEFORE, attachments=[("b.zip", bundles["CS21B001"])]),
    )
    intake.collect(inbox, tmp_path / "out")
    notes = load_manifest(tmp_path / "out" / "CS21B001")["notes"]
    assert notes == [
        "m.eml: sent from asha.personal@example.com, the bundle names asha@example.edu"
    ]


# ---------------------------------------------------------------------------------------------
# Hostile zips: each is rejected with its reason, nothing lands outside --out, the rest go on


def add_member(data: bytes, info: zipfile.ZipInfo, content: bytes) -> bytes:
    out = io.BytesIO(data)
    with warnings.catch_warnings(), zipfile.ZipFile(out, "a") as archive:
        warnings.simplefilter("ignore")  # zipfile warns when a name is added twice
        archive.writestr(info, content)
    return out.getvalue()


def patch_headers(data: bytes, name: bytes, **fields: int) -> bytes:
    """Set raw header fields of member ``name`` in both its local and central headers."""
    layout = {"flags": (6, 8, "<H"), "file_size": (22, 24, "<I")}
    data = bytearray(data)
    for signature, which in ((b"PK\x03\x04", 0), (b"PK\x01\x02", 1)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_at = start + (30 if which == 0 else 46)
            length_at = start + (26 if which == 0 else 28)
            (length,) = struct.unpack_from("<H", data, length_at)
            if bytes(data[name_at : name_at + length]) == name:
                for key, value in fields.items():
                    offset, fmt = layout[key][which], layout[key][2]
                    if key == "flags":
                        value |= struct.unpack_from(fmt, data, start + offset)[0]
                    struct.pack_into(fmt, data, start + offset, value)
            start += 4
    return bytes(data)


def symlink_member(data: bytes) -> bytes:
    info = zipfile.ZipInfo("project1/data.csv")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return add_member(data, info, b"/etc/passwd")


def renamed_to_latin1(data: bytes) -> bytes:
    stored = with_files(data, {"project1/cafXX.csv": b"a,b\n"})
    return stored.replace(b"project1/cafXX.csv", b"project1/caf\xe9X.csv")


HOSTILE_ZIPS = {
    "zip slip": (lambda d: with_files(d, {"../evil.txt": b"owned"}), "climbs out of its folder"),
    "deep zip slip": (lambda d: with_files(d, {"project1/../../evil.txt": b"x"}), "'..'"),
    "absolute path": (lambda d: with_files(d, {"/tmp/evil.txt": b"owned"}), "absolute path"),
    "windows path": (lambda d: with_files(d, {"..\\evil.txt": b"owned"}), "backslash"),
    "symlink": (symlink_member, "is a symbolic link"),
    "zip bomb by ratio": (
        lambda d: with_files(
            d, {"project1/big.csv": bytes(20 * 1024 * 1024)}, zipfile.ZIP_DEFLATED
        ),
        "times its packed size (a zip bomb?)",
    ),
    "non-UTF-8 name": (renamed_to_latin1, "is not UTF-8"),
    "encrypted member": (
        lambda d: patch_headers(d, b"project1/project1.csv", flags=0x1),
        "is encrypted",
    ),
    "size header that lies": (
        lambda d: patch_headers(d, b"project1/project1.csv", file_size=10),
        "not a readable zip",
    ),
    "duplicate member": (
        lambda d: add_member(d, zipfile.ZipInfo("project1/project1.csv"), b"other"),
        "twice",
    ),
    "reserved history folder": (
        lambda d: with_files(d, {"history/x/manifest.json": b"{}"}),
        "reserved",
    ),
    "not a zip": (lambda d: b"this is not a zip file at all", "not a readable zip"),
    "no manifest": (lambda d: rezip(d, {"manifest.json": "readme.json"}), "no manifest.json"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_ZIPS))
def test_hostile_zip_is_rejected_and_the_rest_go_on(tmp_path: Path, bundles, case: str) -> None:
    make, reason = HOSTILE_ZIPS[case]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a-hostile.zip").write_bytes(make(bundles["CS21B001"]))
    (inbox / "b-good.zip").write_bytes(bundles["EE21B002"])
    out = tmp_path / "deep" / "out"
    before = files_outside(tmp_path, out)

    summary = intake.collect(inbox, out)

    rejected = read_csv(out / "REJECTED.csv")
    assert [r["source"] for r in rejected] == ["a-hostile.zip"]
    assert reason in rejected[0]["reason"]
    assert summary.placed == ["b-good.zip"]
    assert not (out / "CS21B001").exists()
    assert files_outside(tmp_path, out) == before
    assert sorted(p.name for p in out.iterdir()) == [
        "EE21B002",
        "NO_HANDIN.csv",
        "REJECTED.csv",
        "UNATTRIBUTED.csv",
        "all_submissions.pdf",
        "index.csv",
    ]


def test_size_and_count_caps(tmp_path: Path, bundles) -> None:
    data = with_files(bundles["CS21B001"], {"project1/a.bin": os.urandom(300_000)})
    small = Limits(max_total_bytes=200_000)
    with pytest.raises(intake.Rejected, match="unpacks to more than the cap of 200000 bytes"):
        intake.extract_bundle(data, tmp_path / "a", small)
    with pytest.raises(intake.Rejected, match="unpacks to 300000 bytes, over the cap"):
        intake.extract_bundle(data, tmp_path / "b", Limits(max_member_bytes=250_000))
    many = with_files(bundles["CS21B001"], {f"project1/{i}.txt": b"x" for i in range(20)})
    with pytest.raises(intake.Rejected, match="zip holds 27 members, over the cap of 10"):
        intake.extract_bundle(many, tmp_path / "c", Limits(max_members=10))
    assert not any(
        (tmp_path / folder).exists() and any((tmp_path / folder).iterdir()) for folder in "abc"
    )


def test_a_bundle_zipped_inside_a_folder_is_accepted(tmp_path: Path, bundles) -> None:
    with zipfile.ZipFile(io.BytesIO(bundles["CS21B001"])) as archive:
        renames = {name: f"CS21B001/{name}" for name in archive.namelist()}
    data = rezip(bundles["CS21B001"], renames)
    data = add_member(data, zipfile.ZipInfo("CS21B001/.DS_Store"), b"\0\0")
    manifest = intake.extract_bundle(data, tmp_path / "x")
    assert (tmp_path / "x" / "project1" / "project1.ipynb").is_file()
    assert manifest["student"]["id"] == "CS21B001"


# ---------------------------------------------------------------------------------------------
# Hostile emails


def raw_email(disposition: bytes, payload: bytes = b"aGVsbG8=", date: bytes | None = None) -> bytes:
    date_line = b"Date: " + (date or b"Sun, 15 Jan 2023 10:00:00 +0530") + b"\n"
    return (
        b"From: Asha <asha@example.edu>\n" + date_line + b"MIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\n'
        b"hello\n--B\nContent-Type: application/octet-stream\n" + disposition + b"\n"
        b"Content-Transfer-Encoding: base64\n\n" + payload + b"\n--B--\n"
    )


HOSTILE_EMAILS = {
    "non-UTF-8 attachment name": (
        raw_email(b'Content-Disposition: attachment; filename="caf\xe9.ipynb"'),
        "not valid UTF-8",
    ),
    "attachment name with a path": (
        raw_email(b'Content-Disposition: attachment; filename="../../evil.ipynb"'),
        "holds a path",
    ),
    "absolute attachment name": (
        raw_email(b'Content-Disposition: attachment; filename="/etc/cron.d/x"'),
        "holds a path",
    ),
    "no date and no Received header": (
        raw_email(b"Content-Disposition: attachment; filename=a.csv", date=b"yesterday"),
        "its Date header 'yesterday' is not a date and no Received header",
    ),
    "no sender": (
        raw_email(b"Content-Disposition: attachment; filename=a.csv").replace(
            b"From: Asha <asha@example.edu>", b"From: nobody"
        ),
        "no valid From address",
    ),
    "huge attachment": (
        raw_email(b"Content-Disposition: attachment; filename=a.csv", b"QUFB" * 40_000),
        "over the cap",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_EMAILS))
def test_hostile_email_is_rejected_and_the_rest_go_on(tmp_path: Path, bundles, case: str) -> None:
    raw, reason = HOSTILE_EMAILS[case]
    inbox = tmp_path / "inbox"
    eml(inbox, "a-hostile.eml", raw)
    eml(
        inbox,
        "b-good.eml",
        message("rahul@example.edu", BEFORE, attachments=[("b.zip", bundles["EE21B002"])]),
    )
    out = tmp_path / "out"
    before = files_outside(tmp_path, out)

    summary = intake.collect(inbox, out, limits=Limits(max_attachment_bytes=100_000))

    rejected = read_csv(out / "REJECTED.csv")
    assert [r["source"] for r in rejected] == ["a-hostile.eml"]
    assert reason in rejected[0]["reason"]
    assert summary.placed == ["b-good.eml"]
    assert files_outside(tmp_path, out) == before
    assert [p.name for p in out.iterdir() if p.is_dir()] == ["EE21B002"]


def test_a_hostile_bundle_inside_an_email_names_the_sender(tmp_path: Path, bundles) -> None:
    slip = with_files(bundles["CS21B001"], {"../../evil.txt": b"owned"})
    inbox = tmp_path / "inbox"
    eml(inbox, "m.eml", message("asha@example.edu", BEFORE, attachments=[("b.zip", slip)]))
    intake.collect(inbox, tmp_path / "out")
    [row] = read_csv(tmp_path / "out" / "REJECTED.csv")
    assert row["student"] == "asha@example.edu" and "climbs out" in row["reason"]
    assert not (tmp_path / "evil.txt").exists()


def test_a_hostile_student_id_in_a_manifest_is_rejected(tmp_path: Path, bundles) -> None:
    with zipfile.ZipFile(io.BytesIO(bundles["CS21B001"])) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    for student_id in ("../outside", "index.csv", "a/b", ""):
        manifest["student"]["id"] = student_id
        with pytest.raises(intake.Rejected, match="not a safe folder name"):
            intake.check_manifest(manifest)


# ---------------------------------------------------------------------------------------------
# Deadline, CLI, load_manifest


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2023-01-15T23:59+05:30", DEADLINE),
        ("2023-01-15T23:59:00+05:30", DEADLINE),
        ("2023-01-15T18:29Z", DEADLINE),
    ],
)
def test_deadline_forms(text: str, expected: datetime) -> None:
    assert intake.parse_deadline(text) == expected


@pytest.mark.parametrize(
    "text, message_part",
    [
        ("2023-01-15T23:59", "has no UTC offset"),
        ("15/01/2023", "is not an ISO 8601 time"),
    ],
)
def test_bad_deadlines_say_what_to_write(text: str, message_part: str) -> None:
    with pytest.raises(UserError, match=message_part):
        intake.parse_deadline(text)


def test_cli_collect(tmp_path: Path, bundles, capsys: pytest.CaptureFixture[str]) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "x.zip").write_bytes(bundles["CS21B001"])
    (inbox / "y.zip").write_bytes(b"junk")
    out = tmp_path / "subs"
    assert main(["collect", str(inbox), "--out", str(out), "--deadline", "2023-01-15T23:59"]) == 2
    assert "has no UTC offset" in capsys.readouterr().err
    assert not out.exists()

    assert main(["collect", str(inbox), "--out", str(out), "--deadline", "2099-01-01T00:00Z"]) == 0
    printed = capsys.readouterr().out
    assert "1 collected" in printed and "1 rejected" in printed
    assert f"All submissions in one PDF: {out / 'all_submissions.pdf'}" in printed
    assert main(["collect", str(tmp_path / "nowhere"), "--out", str(out)]) == 2


def test_load_manifest_explains_a_wrong_folder(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="has no manifest.json"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(UserError, match="not a collected manifest"):
        load_manifest(tmp_path)


def test_a_rejected_resend_leaves_the_earlier_submission_untouched(tmp_path: Path, bundles) -> None:
    inbox = tmp_path / "inbox"
    eml(
        inbox,
        "1.eml",
        message("asha@example.edu", BEFORE, attachments=[("b.zip", bundles["CS21B001"])]),
    )
    out = tmp_path / "out"
    intake.collect(inbox, out)
    before = {p: p.read_bytes() for p in (out / "CS21B001").rglob("*") if p.is_file()}

    tampered = symlink_member(bundles["CS21B001"])  # refused whole
    eml(inbox, "2.eml", message("asha@example.edu", AFTER, attachments=[("b.zip", tampered)]))
    summary = intake.collect(inbox, out)

    assert [source for source, _, _ in summary.rejected] == ["2.eml"]
    after = {p: p.read_bytes() for p in (out / "CS21B001").rglob("*") if p.is_file()}
    assert after == before


def test_two_bundles_in_one_message_are_rejected(tmp_path: Path, bundles) -> None:
    inbox = tmp_path / "inbox"
    attachments = [("a.zip", bundles["CS21B001"]), ("b.zip", bundles["EE21B002"])]
    eml(inbox, "m.eml", message("asha@example.edu", BEFORE, attachments=attachments))
    summary = intake.collect(inbox, tmp_path / "out")
    assert summary.rejected == [
        ("m.eml", "asha@example.edu", "the message holds 2 bundles: send one per message")
    ]


@pytest.mark.parametrize("kind", ["zip", "eml"])
def test_the_inbox_may_be_a_single_file(tmp_path: Path, bundles, kind: str) -> None:
    path = tmp_path / f"one.{kind}"
    if kind == "zip":
        path.write_bytes(bundles["CS21B001"])
    else:
        path.write_bytes(
            message(
                "asha@example.edu", BEFORE, attachments=[("b.zip", bundles["CS21B001"])]
            ).as_bytes()
        )
    summary = intake.collect(path, tmp_path / "out")
    assert summary.placed == [path.name]


def test_an_inbox_that_is_none_of_the_kinds_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UserError, match="is not a folder, a .zip, an .eml, a .msg or an mbox"):
        intake.collect(tmp_path / "notes.txt", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="holds no .zip, .eml, .msg or .mbox files"):
        intake.collect(tmp_path / "empty", tmp_path / "out")
    with pytest.raises(UserError, match="must not be an inbox"):
        intake.collect(tmp_path, tmp_path)
