"""Every class-wide release recorded in the course folder (issue 71), and a hand-in's
grader-owned cells checked against every release the course made, whichever grader version
made it: a grader upgraded mid-term, whose self-check text differs, never calls the cells of
an earlier release edited; a cell the student did edit still is."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from course_kit import ROOT, make_course

from grader import __version__, cli
from grader.assignment import owned_cell_problems, owned_checksums
from grader.assignment.releases import ReleasedOwned, read_releases, record_path
from grader.errors import UserError

NAME = "lstm_gates"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course folder holding lstm_gates, released once by this grader into release/."""
    base = tmp_path_factory.mktemp("course")
    made, _ = make_course(base)
    shutil.copytree(ROOT / "assignments" / NAME, base / "assignments" / NAME)
    release = ["assign", str(base / "assignments" / NAME), "--out", str(base / "release")]
    assert cli.main(release) == 0
    return base / "assignments"


def _released(course: Path) -> nbformat.NotebookNode:
    return nbformat.read(course.parent / "release" / f"{NAME}.ipynb", as_version=4)


def _as_an_earlier_grader_released(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as a grader whose self-check differs by one line released it: the cell's
    text and the checksum its metadata records both that grader's."""
    earlier = nbformat.from_dict(json.loads(json.dumps(notebook)))
    (cell,) = [c for c in earlier.cells if c.get("id") == "grader-self-check"]
    cell.source += "\n# a comment an earlier grader's self-check had\n"
    cell.metadata.grader.checksum = hashlib.sha256(cell.source.encode()).hexdigest()
    return earlier


def _edited(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student's edit: the self-check's text changed, its metadata as released."""
    edited = nbformat.from_dict(json.loads(json.dumps(notebook)))
    (cell,) = [c for c in edited.cells if c.get("id") == "grader-self-check"]
    cell.source = cell.source.replace("def ", "def  ", 1)
    return edited


def test_a_class_wide_release_is_recorded_with_its_grader_version(course):
    (release,) = read_releases(course, NAME)
    assert release.version == __version__
    assert dict(release.owned) == owned_checksums(_released(course))
    assert release.notebook.endswith(f"{NAME}.ipynb")
    data = json.loads(record_path(course, NAME).read_text())
    assert data["schema"] == 1


def test_each_release_the_course_made_is_accepted_and_an_edit_is_not(course, tmp_path):
    released = _released(course)
    earlier = _as_an_earlier_grader_released(released)
    # the course's record holds the earlier grader's release beside this one's
    record = record_path(course, NAME)
    kept = record.read_text()
    data = json.loads(kept)
    entry = {"released_at": "2026-09-01T09:00:00+00:00", "version": "0.1.0"}
    entry |= {"notebook": "release/lstm_gates.ipynb", "owned": owned_checksums(earlier)}
    data["releases"].insert(0, entry)
    record.write_text(json.dumps(data))
    try:
        owned = ReleasedOwned.of(course / NAME, NAME, owned_checksums(released))
        assert owned_cell_problems(earlier, owned.expected(earlier)) == []
        assert owned_cell_problems(released, owned.expected(released)) == []
        for notebook in (_edited(earlier), _edited(released)):
            (problem,) = owned_cell_problems(notebook, owned.expected(notebook))
            assert 'the grader-owned "self-check" cell' in problem and "was edited" in problem
        # without the earlier release in the record, its notebooks' cells are not this one's
        record.write_text(kept)
        only_this = ReleasedOwned.of(course / NAME, NAME, owned_checksums(released))
        assert owned_cell_problems(earlier, only_this.expected(earlier)) != []
    finally:
        record.write_text(kept)


def test_a_course_released_before_records_trusts_each_notebooks_own_record(tmp_path, course):
    """A course an earlier grader released (no record): a notebook's cells are checked against
    the checksums its own metadata carries, so an untouched one passes and an edit shows."""
    base = tmp_path / "old-course"
    shutil.copytree(course, base / "assignments", ignore=shutil.ignore_patterns("releases"))
    released = _released(course)
    earlier = _as_an_earlier_grader_released(released)
    owned = ReleasedOwned.of(base / "assignments" / NAME, NAME, owned_checksums(released))
    assert owned.unrecorded
    assert owned_cell_problems(earlier, owned.expected(earlier)) == []
    assert "was edited" in owned_cell_problems(_edited(earlier), owned.expected(earlier))[0]


def test_a_release_over_the_notebook_an_earlier_grader_gave_out_records_that_one_first(
    tmp_path, course
):
    base = tmp_path / "old-course"
    shutil.copytree(course, base / "assignments", ignore=shutil.ignore_patterns("releases"))
    earlier = _as_an_earlier_grader_released(_released(course))
    (base / "release").mkdir()
    nbformat.write(earlier, base / "release" / f"{NAME}.ipynb")
    release = ["assign", str(base / "assignments" / NAME), "--out", str(base / "release")]
    assert cli.main(release) == 0
    first, second = read_releases(base / "assignments", NAME)
    assert first.version == "before 0.2" and dict(first.owned) == owned_checksums(earlier)
    assert second.version == __version__
    assert cli.main(release) == 0  # the same release again is not recorded again
    assert len(read_releases(base / "assignments", NAME)) == 2


def test_a_release_record_of_a_newer_grader_is_refused_in_one_line(tmp_path, course):
    base = tmp_path / "newer"
    shutil.copytree(course, base / "assignments")
    record = record_path(base / "assignments", NAME)
    record.write_text(json.dumps({"schema": 2, "releases": [], "what": "a later layout"}))
    with pytest.raises(UserError) as refused:
        read_releases(base / "assignments", NAME)
    assert "\n" not in str(refused.value) and "newer grader" in str(refused.value)
    assert json.loads(record.read_text())["what"] == "a later layout"  # left as it was


def test_a_release_given_out_before_records_is_recorded_by_assign_record(tmp_path, course, capsys):
    """A course an earlier grader released that will not release again: ``grader assign
    --record`` records the notebook the students were given, releasing nothing, and grading then
    checks against the record (not each notebook's own metadata)."""
    base = tmp_path / "old-course"
    shutil.copytree(course, base / "assignments", ignore=shutil.ignore_patterns("releases"))
    earlier = _as_an_earlier_grader_released(_released(course))
    given = base / "handout" / f"{NAME}.ipynb"
    given.parent.mkdir()
    nbformat.write(earlier, given)
    record = ["assign", str(base / "assignments" / NAME), "--record", str(given)]
    assert cli.main(record) == 0
    assert "as a release of lstm_gates" in capsys.readouterr().out
    assert not (base / "release").exists() and not Path("release").exists()  # nothing released
    (recorded,) = read_releases(base / "assignments", NAME)
    assert recorded.version == "before 0.2" and recorded.notebook == str(given)
    assert dict(recorded.owned) == owned_checksums(earlier)

    this = owned_checksums(_released(course))
    owned = ReleasedOwned.of(base / "assignments" / NAME, NAME, this)
    assert not owned.unrecorded
    assert owned_cell_problems(earlier, owned.expected(earlier)) == []
    assert "was edited" in owned_cell_problems(_edited(earlier), owned.expected(earlier))[0]
    # a self-check neither release had, its metadata made to match: edited, by the record
    other = _as_an_earlier_grader_released(earlier)
    assert "was edited" in owned_cell_problems(other, owned.expected(other))[0]

    assert cli.main(record) == 0  # recorded already: nothing to do
    assert "already" in capsys.readouterr().out
    assert len(read_releases(base / "assignments", NAME)) == 1


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("edited", "is not the notebook as released"),
        ("another", "is not a release of lstm_gates"),
        ("missing", "does not exist"),
        ("not json", "is not a notebook"),
    ],
)
def test_assign_record_refuses_what_is_not_the_release_in_one_line(
    tmp_path, course, capsys, given, said
):
    base = tmp_path / "old-course"
    shutil.copytree(course, base / "assignments", ignore=shutil.ignore_patterns("releases"))
    path = tmp_path / "given.ipynb"
    notebook = _as_an_earlier_grader_released(_released(course))
    if given == "edited":
        nbformat.write(_edited(notebook), path)
    elif given == "another":
        notebook.metadata.grader.assignment = "rnn_gradients"
        nbformat.write(notebook, path)
    elif given == "not json":
        path.write_text('{"cells": [', encoding="utf-8")
    assert cli.main(["assign", str(base / "assignments" / NAME), "--record", str(path)]) == 2
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert said in line and "Traceback" not in err, err
    assert read_releases(base / "assignments", NAME) == []
