"""Collect tells an assignment's notebook from a project's (issue 37): by the released
notebook's metadata (``grader.assignment``), then by its file name, and files each under its
component; the summary counts per component."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from course_kit import make_course
from mailkit import gmail, notebook, titled_report

from grader.cli import main
from grader.intake.manifest import load_manifest

SENT = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


def released(assignment: str) -> bytes:
    """A notebook as `grader assign` releases it: the assignment named in its metadata."""
    body = json.loads(notebook("# Assignment: the gates"))
    body["metadata"]["grader"] = {"assignment": assignment}
    return json.dumps(body).encode()


def write_inbox(folder: Path) -> Path:
    folder.mkdir()
    mails = [
        gmail(  # renamed by the student: only the metadata says which assignment it is
            "Asha Verma <asha.verma@example.edu>",
            SENT,
            "assignment 1",
            "Please find my notebook attached.",
            attachments=[("my_submission.ipynb", released("lstm_gates"))],
        ),
        gmail(  # Colab's "Download .ipynb" of a copy, no metadata: the file name says it
            "Rahul Menon <rahul.menon@example.edu>",
            SENT,
            "rnn",
            "Attached.",
            attachments=[("Copy of rnn_gradients (2).ipynb", notebook("# RNN gradients"))],
        ),
        gmail(
            "Priya Nair <priya.nair@example.edu>",
            SENT,
            "Project 1",
            "My project 1 and assignment 1.",
            attachments=[
                ("project1.ipynb", notebook("# Project 1: stock prices")),
                ("project1_report.pdf", titled_report("Project 1: stock prices")),
                ("lstm_gates.ipynb", released("lstm_gates")),
            ],
        ),
    ]
    for number, mail in enumerate(mails):
        (folder / f"{number}.eml").write_bytes(mail.as_bytes())
    return folder


def test_assignment_notebooks_are_filed_under_their_assignment_not_as_projects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    course, _ = make_course(tmp_path)
    inbox = write_inbox(tmp_path / "inbox")
    out = tmp_path / "submissions"
    assert main(["collect", str(inbox), "--out", str(out), "--course", str(course.path)]) == 0
    printed = capsys.readouterr().out

    asha = load_manifest(out / "CS21B042")
    assert asha["assignments"] == {"lstm_gates": "lstm_gates/my_submission.ipynb"}
    assert (out / "CS21B042" / "lstm_gates" / "my_submission.ipynb").is_file()
    assert all(project["notebook"] is None for project in asha["projects"])
    assert not any("could not be told" in note for note in asha["notes"])

    rahul = load_manifest(out / "EE21B017")
    copy = "rnn_gradients/Copy of rnn_gradients (2).ipynb"
    assert rahul["assignments"] == {"rnn_gradients": copy}
    assert not any("taken as project" in note for note in rahul["notes"])

    priya = load_manifest(out / "ME21B103")
    assert priya["assignments"] == {"lstm_gates": "lstm_gates/lstm_gates.ipynb"}
    assert priya["projects"][0]["notebook"] == "project1/project1.ipynb"
    assert priya["projects"][0]["report"] == "project1/project1_report.pdf"

    assert (
        "By component: lstm_gates: 2 handed in; rnn_gradients: 1 handed in; lstm_backward: 0 "
        "handed in; project 1: 1 handed in (1 with something missing); project 2: 0 handed in."
        in printed
    )


def test_grade_takes_the_notebook_collect_filed_for_the_assignment(tmp_path: Path) -> None:
    from grader.assignment import load_config
    from grader.grading.submissions import find_submissions

    course, _ = make_course(tmp_path)
    inbox = write_inbox(tmp_path / "inbox")
    out = tmp_path / "submissions"
    assert main(["collect", str(inbox), "--out", str(out), "--course", str(course.path)]) == 0
    config = load_config(Path(__file__).resolve().parents[2] / "assignments" / "lstm_gates")
    found = find_submissions([out / "ME21B103"], config, tmp_path / "scratch")
    assert found[0].notebook == out / "ME21B103" / "lstm_gates" / "lstm_gates.ipynb"
