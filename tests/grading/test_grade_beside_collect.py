"""``grader grade`` with ``grader collect`` beside it on one submissions folder: a notebook
collect replaces (the student's corrected hand-in, under a new file name) after grade listed it,
or while it is being graded, is graded as the folder holds it when its grading begins, or graded
again; never recorded as the student's unreadable notebook. The samples are harmless and run in
the test process, in the real sandbox (run pytest inside ``unshare --pid --fork``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mailkit import gmail

from grader import intake
from grader.gradebook.results import GRADER_ERROR
from grader.grading import grader_process, remote, steps
from grader.grading.grader_process import grade_safely, plan_for
from grader.grading.submissions import find_submissions

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLES = ROOT / "examples" / "lstm_gates"
SENT = datetime(2026, 1, 10, 9, tzinfo=UTC)
STUDENT = "deepak.rao"


def hand_in(root: Path, name: str, sample: str, sent: datetime) -> Path:
    """One student's mail, as Gmail writes it, with the notebook attached; its inbox folder."""
    mail = gmail(
        "Deepak Rao <deepak.rao@example.edu>",
        sent,
        "Assignment 1",
        "Please find my notebook attached.",
        attachments=[(name, (SAMPLES / f"{sample}.ipynb").read_bytes())],
    )
    inbox = root / f"inbox-{sent:%H%M}"
    inbox.mkdir()
    (inbox / "hand-in.eml").write_bytes(bytes(mail))
    return inbox


@pytest.fixture
def course(tmp_path):
    """The draft collected; the corrected notebook waiting in a second inbox."""
    first = hand_in(tmp_path, "Deepak_Assignment1_draft.ipynb", "bhavin", SENT)
    second = hand_in(tmp_path, "Deepak_Assignment1.ipynb", "asha", SENT + timedelta(hours=1))
    submissions = tmp_path / "submissions"
    intake.collect(first, submissions, assignments=["lstm_gates"])
    plan = plan_for(ASSIGNMENT, tmp_path / "graded")

    def collect_again() -> None:
        summary = intake.collect([first, second], submissions, assignments=["lstm_gates"])
        assert [r[0] for r in summary.replaced] == [STUDENT]

    (listed,) = find_submissions([submissions / STUDENT], plan.config, tmp_path / "scratch")
    assert listed.notebook is not None and listed.notebook.name == "Deepak_Assignment1_draft.ipynb"
    return plan, listed, collect_again


def test_a_notebook_replaced_after_grade_listed_it_is_graded_as_it_is_now(course):
    plan, listed, collect_again = course
    collect_again()  # the draft is gone: history/ holds it, lstm_gates/ the corrected one
    row = grade_safely(listed, plan, seed=7)
    assert (row.status, row.score, row.max_score) == ("graded", 100.0, 100.0), row.reason
    assert row.student == STUDENT


def test_a_notebook_replaced_while_it_is_graded_is_graded_again(course, monkeypatch, capsys):
    plan, listed, collect_again = course
    starting = steps.SubmissionGrading.on_submission_starting
    collected = []

    def collect_meanwhile(self):  # collect runs while the draft's processes start
        if not collected:
            collected.append(True)
            collect_again()
        starting(self)

    monkeypatch.setattr(steps.SubmissionGrading, "on_submission_starting", collect_meanwhile)
    row = grade_safely(listed, plan, seed=7)
    assert collected
    assert (row.status, row.score) == ("graded", 100.0), row.reason
    assert "changed while it was graded" in capsys.readouterr().err


@pytest.mark.parametrize("named", ["folder", "notebook"])
def test_a_notebook_removed_under_the_grader_is_the_graders_error(course, monkeypatch, named):
    """Listed, then removed by someone else: not the student's missing or unreadable work."""
    plan, listed, _ = course
    assert listed.notebook is not None
    if named == "notebook":  # `grader grade path/to/it.ipynb`
        (listed,) = find_submissions([listed.notebook], plan.config, listed.notebook.parent)
    listed.notebook.unlink()
    monkeypatch.setattr(grader_process, "GRADING", replace(grader_process.GRADING, settle_s=0.0))
    row = grade_safely(listed, plan, seed=7)
    assert row.status == GRADER_ERROR, row
    assert "replaced or removed while it was graded" in (row.reason or "")


def test_a_hand_in_sent_to_a_dask_worker_is_sent_as_its_folder_holds_it_now(course):
    """On a cluster the hand-in's files travel as bytes, read when it is sent to a worker."""
    plan, listed, collect_again = course
    collect_again()
    sent = remote.hand_in_of(listed, plan)
    assert sent["notebook"] == "lstm_gates/Deepak_Assignment1.ipynb"
    assert sent["files"][sent["notebook"]] == (SAMPLES / "asha.ipynb").read_bytes()
    assert "lstm_gates/Deepak_Assignment1_draft.ipynb" not in sent["files"]
