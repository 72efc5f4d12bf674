"""The JSON states the grader keeps in a course folder and reads back (a collected student
folder's manifest.json, each hand-in's results.json, the release and variant records) carry
their layout's ``"schema"``, through one helper (issue 71): one written before they had any is
read as layout 0, one a newer grader wrote is refused in one line, by the readers that only
read too, and is left as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from submission_kit import message, notebook_file

from grader import __version__
from grader.assignment.config import load_config
from grader.bundle import MANIFEST_SCHEMA
from grader.cli import main
from grader.errors import UserError
from grader.feedback import export
from grader.feedback.fixes import fixes_in
from grader.feedback.results_file import RESULTS_SCHEMA
from grader.gradebook import schema
from grader.grading.submissions import find_submissions
from grader.intake import load_manifest
from grader.intake.handed_in import read_manifest
from grader.web.classview import results_json

REPO = Path(__file__).resolve().parents[2]


def test_the_helper_reads_each_layout_and_refuses_a_newer_one():
    path = Path("course/state.json")
    assert schema.check_record(path, {"students": {}}, 1) == 0  # before it said
    assert schema.check_record(path, {"schema": 1}, 2) == 1
    assert schema.check_record(path, [1, 2], 1) == 0
    with pytest.raises(UserError) as refused:
        schema.check_record(path, {"schema": 3}, 2)
    said = str(refused.value)
    assert "\n" not in said and "newer grader" in said and __version__ in said
    assert str(path) in said


def _newer(path: Path, key: tuple[str, ...] = ()) -> None:
    """The file as a grader of the next layout would leave it."""
    data = json.loads(path.read_text(encoding="utf-8"))
    where = data
    for part in key:
        where = where[part]
    where["schema"] = where["schema"] + 1
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_collected_folder_of_a_newer_grader_is_refused_in_one_line(tmp_path, capsys):
    inbox, out = tmp_path / "inbox", tmp_path / "subs"
    inbox.mkdir()
    notebook = notebook_file(tmp_path / "lstm_gates.ipynb", png=False).read_bytes()
    sent = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    mail = message("Asha Verma <cs21b001@example.edu>", sent, attachments=[("a.ipynb", notebook)])
    (inbox / "1.eml").write_bytes(mail.as_bytes())
    collect = ["collect", str(inbox), "--out", str(out), "--deadline", "2099-01-01T00:00Z"]
    assert main(collect) == 0
    (folder,) = [p for p in out.iterdir() if (p / "manifest.json").is_file()]
    manifest = folder / "manifest.json"
    assert json.loads(manifest.read_text())["schema"] == MANIFEST_SCHEMA
    assert load_manifest(folder)["schema"] == MANIFEST_SCHEMA
    capsys.readouterr()

    _newer(manifest)
    kept = manifest.read_bytes()
    assert main(collect) == 2  # nothing new: the folder is not skipped as damaged either
    (refused,) = [line for line in capsys.readouterr().err.splitlines() if "newer" in line]
    assert refused.startswith("grader collect: ") and "skipped" not in refused
    again = message("cs21b001@example.edu", sent, "Again.", [("b.ipynb", notebook)])
    (inbox / "2.eml").write_bytes(again.as_bytes())
    assert main(collect) == 2
    said = capsys.readouterr().err
    (refused,) = [line for line in said.splitlines() if "newer grader" in line]  # progress aside
    assert refused.startswith("grader collect: ") and "Traceback" not in said, said
    assert manifest.read_bytes() == kept  # left as it was
    for reader in (load_manifest, read_manifest):
        with pytest.raises(UserError, match="newer grader"):
            reader(folder)
    with pytest.raises(UserError, match="newer grader"):
        find_submissions([folder], load_config(REPO / "assignments" / "lstm_gates"), tmp_path)


def test_results_json_says_its_layout_and_a_newer_one_is_not_read(tmp_path):
    graded = export.GradedSubmission("s1", "LSTM gates", 3, "graded", None, {})
    folder = tmp_path / "lstm_gates" / "s1"
    folder.mkdir(parents=True)
    export.write_results_json(graded, folder)
    path = folder / "results.json"
    assert json.loads(path.read_text())["extra_data"]["schema"] == RESULTS_SCHEMA
    assert results_json(tmp_path, "lstm_gates", "s1")["score"] == 0
    assert fixes_in(path) == []

    before = json.loads(path.read_text())  # as the graders before the layout wrote it
    del before["extra_data"]["schema"]
    del before["extra_data"]["fix"]  # nor what to fix: their first hints are
    before["extra_data"]["hints"] = {"f": [{"code": "c", "message": "Check the gate."}]}
    before["tests"] = [{"name": "f", "score": 0, "max_score": 10, "status": "failed"}]
    path.write_text(json.dumps(before))
    assert [(fix.function, fix.words) for fix in fixes_in(path)] == [("f", "Check the gate.")]

    before["extra_data"]["schema"] = RESULTS_SCHEMA
    path.write_text(json.dumps(before))
    _newer(path, ("extra_data",))
    with pytest.raises(UserError, match="newer grader"):
        results_json(tmp_path, "lstm_gates", "s1")
    with pytest.raises(UserError, match="newer grader"):
        fixes_in(path)
