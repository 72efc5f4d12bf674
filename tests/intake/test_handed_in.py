"""When each component of a student folder was handed in: a slot's own time (never the folder's
newest mail), a project's last file, the versions a resend replaced, and folders collected
before per-file times were recorded."""

from __future__ import annotations

import json
from pathlib import Path

from grader.intake.handed_in import assignment_time, project_time

GATES = "2026-11-05T21:00:00+05:30"
GRADIENTS = "2026-11-12T20:00:00+05:30"


def _folder(tmp_path: Path, manifest: dict, name: str = "EE26B001") -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def _entry(path: str, at: str, digest: str = "a" * 64) -> dict:
    return {"path": path, "sha256": digest, "at": at, "source": f"inbox.mbox#{at}"}


def test_each_assignment_has_its_own_slots_time_not_the_newest_mail(tmp_path):
    folder = _folder(
        tmp_path,
        {
            "submitted_at": GRADIENTS,
            "slots": {
                "assignment/lstm_gates": _entry("lstm_gates.ipynb", GATES),
                "assignment/rnn_gradients": _entry("rnn_gradients.ipynb", GRADIENTS, "b" * 64),
            },
        },
    )
    assert assignment_time(folder, "lstm_gates").at == GATES
    assert assignment_time(folder, "lstm_gates", "lstm_gates.ipynb").at == GATES
    assert assignment_time(folder, "rnn_gradients").at == GRADIENTS
    assert assignment_time(folder, "lstm_backward").at is None  # nothing handed in for it


def test_a_notebook_filed_elsewhere_is_timed_by_its_own_slot(tmp_path):
    folder = _folder(
        tmp_path,
        {
            "submitted_at": GRADIENTS,
            "slots": {"project1/notebook": _entry("lstm_gates (1).ipynb", GATES)},
        },
    )
    assert assignment_time(folder, "lstm_gates", "lstm_gates (1).ipynb").at == GATES


def test_a_resend_names_the_versions_it_replaced(tmp_path):
    first, again = "2026-11-06T22:00:00+05:30", "2026-11-08T09:00:00+05:30"
    folder = _folder(
        tmp_path,
        {
            "submitted_at": again,
            "slots": {"assignment/lstm_gates": _entry("lstm_gates.ipynb", again)},
            "emails": [
                {"sent_at": first, "changed": ["assignment/lstm_gates"]},
                {
                    "sent_at": again,
                    "changed": ["assignment/lstm_gates"],
                    "replaced": [{"slot": "assignment/lstm_gates", "at": first, "source": "x"}],
                },
            ],
        },
    )
    handed = assignment_time(folder, "lstm_gates")
    assert handed.at == again and handed.replaced == (first,)


def test_a_project_is_handed_in_when_its_last_file_came(tmp_path):
    report, notebook, other = (
        "2027-02-10T10:00:00+05:30",
        "2027-02-12T23:00:00+05:30",
        "2027-03-01T08:00:00+05:30",
    )
    folder = _folder(
        tmp_path,
        {
            "submitted_at": other,
            "slots": {
                "project1/report": _entry("report.pdf", report),
                "project1/notebook": _entry("p1.ipynb", notebook, "c" * 64),
                "project2/report": _entry("report2.pdf", other, "d" * 64),
            },
        },
    )
    assert project_time(folder, 1).at == notebook
    assert project_time(folder, 2).at == other
    assert project_time(folder, 3).at is None


def test_a_folder_collected_before_slots_uses_its_history_and_says_so(tmp_path):
    # an earlier collect kept one time per student, and the folder as it was before each mail
    digest = "e" * 64
    folder = _folder(
        tmp_path,
        {"submitted_at": GRADIENTS, "files": {"lstm_gates.ipynb": digest, "rnn.ipynb": "f" * 64}},
    )
    _folder(
        folder / "history",
        {"submitted_at": GATES, "files": {"lstm_gates.ipynb": digest}},
        name="20261105T210000",
    )
    handed = assignment_time(folder, "lstm_gates", "lstm_gates.ipynb")
    assert handed.at == GATES
    assert "first mail that brought lstm_gates.ipynb" in handed.note
    assert assignment_time(folder, "rnn_gradients", "rnn.ipynb").at == GRADIENTS
    newest = assignment_time(folder, "rnn_gradients")  # which file is unknown: the newest mail
    assert newest.at == GRADIENTS and "newest mail" in newest.note
    assert "earlier version" in newest.note
