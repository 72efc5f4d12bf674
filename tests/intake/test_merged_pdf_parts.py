"""Issue 67: after new mail, the merged PDF typesets the parts of the students whose hand-in
changed only; the others' pages are copied from the PDF it replaces, links and bookmarks right.
(Before, every student's part was typeset again after any new mail: a collect of a class of
thousands spent most of its time there.)"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from submission_kit import student_folder

from grader import bundle, intake
from grader.batch import processes
from grader.intake import merged_pdf

STUDENTS = {"CS21B001": "Asha Verma", "EE21B002": "Rahul Menon"}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("students")
    zips = {}
    for student_id, name in STUDENTS.items():
        address = f"{name.split()[0].lower()}@example.edu"
        toml = student_folder(root / student_id, student_id, name, address)
        zips[student_id] = bundle.build_bundle(toml, root / "out").zip_path.read_bytes()
    return zips


def shown(pdf: Path) -> tuple[list[str], list[str], list[int]]:
    """Every page's text but the index's (it says when it was made), the bookmarks, and the
    pages the index's rows link to."""
    reader = PdfReader(pdf)
    refs = [page.indirect_reference for page in reader.pages]
    targets = [refs.index(a.get_object()["/Dest"][0]) for a in reader.pages[0]["/Annots"]]
    marks = [item.title for item in reader.outline if not isinstance(item, list)]
    return [page.extract_text() for page in reader.pages[1:]], marks, targets


def test_only_the_changed_students_part_is_typeset_again(tmp_path, bundles, monkeypatch):
    typeset: list[str] = []
    write = merged_pdf.write_submission_pdf

    def counted(manifest, root, output):
        typeset.append(manifest["student"]["id"])
        return write(manifest, root, output)

    monkeypatch.setattr(merged_pdf, "write_submission_pdf", counted)
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "CS21B001.zip").write_bytes(bundles["CS21B001"])
    intake.collect(inbox, out)
    assert typeset == ["CS21B001"]
    (inbox / "EE21B002.zip").write_bytes(bundles["EE21B002"])  # new mail: one more student
    summary = intake.collect(inbox, out)
    assert typeset == ["CS21B001", "EE21B002"]  # Asha's part was not typeset again
    intake.collect(inbox, out)  # nothing new: the PDF is not made again at all
    assert typeset == ["CS21B001", "EE21B002"]

    afresh = tmp_path / "afresh"
    intake.collect(inbox, afresh)  # the same inbox in one go, every part typeset
    assert shown(summary.merged_pdf) == shown(afresh / "all_submissions.pdf")
    pages, marks, targets = shown(summary.merged_pdf)
    assert marks == ["Index", "CS21B001: Asha Verma", "EE21B002: Rahul Menon"]
    assert "Submission of Asha Verma" in pages[targets[0] - 1]
    assert "Submission of Rahul Menon" in pages[targets[1] - 1]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_a_damaged_earlier_pdf_is_made_again_whole(tmp_path, bundles):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "CS21B001.zip").write_bytes(bundles["CS21B001"])
    intake.collect(inbox, out)
    (out / "all_submissions.pdf").write_bytes(b"%PDF-1.7 cut short")
    (inbox / "EE21B002.zip").write_bytes(bundles["EE21B002"])
    summary = intake.collect(inbox, out)
    _, marks, _ = shown(summary.merged_pdf)
    assert marks == ["Index", "CS21B001: Asha Verma", "EE21B002: Rahul Menon"]


def test_a_large_class_is_typeset_over_processes_to_the_same_pdf(tmp_path, bundles, monkeypatch):
    """A class from INTAKE.pdf_parallel_from on is typeset in a process pool (half the time of a
    collect of 1,000 on two cores); the PDF shows the same as one typeset in this process."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for student_id, data in bundles.items():
        (inbox / f"{student_id}.zip").write_bytes(data)
    intake.collect(inbox, tmp_path / "here")
    spread = replace(merged_pdf.INTAKE, pdf_parallel_from=2, pdf_workers=2)
    monkeypatch.setattr(merged_pdf, "INTAKE", spread)
    monkeypatch.setattr(processes.os, "cpu_count", lambda: 2)
    pools = []
    pool_class = processes.ProcessPoolExecutor

    def counted_pool(*args, **kwargs):
        pools.append(args)
        return pool_class(*args, **kwargs)

    monkeypatch.setattr(processes, "ProcessPoolExecutor", counted_pool)
    summary = intake.collect(inbox, tmp_path / "spread")
    assert pools == [(2,)]
    assert shown(summary.merged_pdf) == shown(tmp_path / "here" / "all_submissions.pdf")
    _, marks, _ = shown(summary.merged_pdf)
    assert marks == ["Index", "CS21B001: Asha Verma", "EE21B002: Rahul Menon"]
