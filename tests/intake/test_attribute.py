"""``grader grade --roster``: students named by roster id, whatever folder or file they are in."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_fence import FENCE

from grader.errors import UserError
from grader.grading.submissions import HandIn, named_by_roster
from grader.intake.attribute import roster_id_for
from grader.roster import load_roster

ROOT = Path(__file__).resolve().parents[2]
ROSTER = """id,name,email,role
CS21B001,Asha Verma,asha@example.edu;asha.verma@gmail.com,student
EE21B002,Rahul Menon,rahul.menon@example.edu,
TA01,Meera Krishnan,meera.ta@example.edu,staff
"""


@pytest.fixture()
def roster(tmp_path: Path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return load_roster(path)


def collected_folder(root: Path, name: str, email: str, student_id: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    manifest = {"student": {"id": student_id, "name": "", "email": email}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_roster_ids_of_folders_notebooks_and_manifests(tmp_path: Path, roster) -> None:
    by_email = collected_folder(tmp_path, "asha.verma", "asha.verma@gmail.com", "asha.verma")
    assert roster_id_for(
        by_email, json.loads((by_email / "manifest.json").read_text()), roster
    ) == ("CS21B001")
    assert roster_id_for(tmp_path / "ee21b002.ipynb", {}, roster) == "EE21B002"
    assert roster_id_for(tmp_path / "EE21B002_project1.ipynb", {}, roster) == "EE21B002"
    assert roster_id_for(tmp_path / "TA01.ipynb", {}, roster) is None  # staff is nobody's id
    assert roster_id_for(tmp_path / "stranger.ipynb", [1, 2], roster) is None


def test_named_by_roster_renames_and_refuses_two_for_one_id(tmp_path: Path, roster, capsys) -> None:
    folder = collected_folder(tmp_path, "asha", "asha@example.edu", "asha")
    found = [
        HandIn("asha", folder, None, folder, False),
        HandIn("rahul_lstm", tmp_path / "EE21B002 lstm.ipynb", None, None, None),
        HandIn("stranger", tmp_path / "stranger.ipynb", None, None, None),
    ]
    assert [s.student for s in named_by_roster(found, roster)] == [
        "CS21B001",
        "EE21B002",
        "stranger",
    ]
    assert "stranger.ipynb is not on the roster" in capsys.readouterr().err
    twice = [*found, HandIn("x", tmp_path / "CS21B001.ipynb", None, None, None)]
    with pytest.raises(UserError, match="several submissions for roster id"):
        named_by_roster(twice, roster)


def test_grade_cli_names_a_collected_folder_by_roster_id(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    folder = collected_folder(tmp_path / "submissions", "asha", "asha@example.edu", "asha")
    shutil.copy(ROOT / "examples" / "lstm_gates" / "asha.ipynb", folder / "project1.ipynb")
    done = subprocess.run(
        FENCE
        + [sys.executable, "-m", "grader.cli", "grade", "--assignment"]
        + [str(ROOT / "assignments" / "lstm_gates"), "--out", str(tmp_path / "graded")]
        + ["--roster", str(tmp_path / "roster.csv"), str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    with (tmp_path / "graded" / "grades.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [(row["student"], row["status"]) for row in rows] == [("CS21B001", "graded")]
