"""Any JSON where a notebook, a bundle's manifest or a grader-owned cell's metadata belongs
gives a clear status, never a traceback or ``error`` (issue 35): nulls where text belongs,
wrong types, lists nested a hundred thousand deep. The other submissions of the run are
graded all the same."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from attack_kit import FULL, SAMPLE, grade, marks

from grader.assignment import owned_cell_problems
from grader.engine import NotANotebook, read_student_notebook
from grader.inputs.json_input import NotJSON, load_json
from grader.intake import Rejected, extract_bundle

NESTED = b"[" * 100_000 + b"]" * 100_000


def _sample_json() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def _write(path, notebook: dict):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def _null_markdown(path):
    notebook = _sample_json()
    markdown = next(c for c in notebook["cells"] if c["cell_type"] == "markdown")
    markdown["source"] = None
    return _write(path, notebook)


def _owned_as_list(path):
    notebook = _sample_json()
    for cell in notebook["cells"]:
        if "grader" in cell.get("metadata", {}):
            cell["metadata"]["grader"] = {"owned": ["fixtures", "self-check"], "checksum": 7}
    return _write(path, notebook)


def _nested_notebook(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ' + NESTED + b"}"
    )
    return path


def _nested_bundle(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", NESTED)
        archive.writestr("lstm_gates.ipynb", SAMPLE.read_bytes())
    return path


def test_deep_json_is_refused_with_its_reason():
    with pytest.raises(NotJSON, match="nest more than 64 deep"):
        load_json(NESTED)
    with pytest.raises(NotJSON, match="nest more than 64 deep"):
        load_json("[" * 65 + "]" * 65)
    assert load_json("[" * 64 + "]" * 64) is not None


def test_a_notebook_of_any_json_is_not_a_notebook_with_its_reason(tmp_path):
    with pytest.raises(NotANotebook, match="nest more than 64 deep"):
        read_student_notebook(_nested_notebook(tmp_path / "nested.ipynb"))
    with pytest.raises(NotANotebook, match=r"the text of cell \d+ is null, not text"):
        read_student_notebook(_null_markdown(tmp_path / "null.ipynb"))
    notebook = _sample_json()
    notebook["cells"][0]["metadata"] = ["not", "an", "object"]
    with pytest.raises(NotANotebook, match="the metadata of cell 1 is not an object"):
        read_student_notebook(_write(tmp_path / "metadata.ipynb", notebook))


def test_grader_metadata_of_the_wrong_type_is_no_record(tmp_path):
    notebook = read_student_notebook(_owned_as_list(tmp_path / "owned.ipynb"))
    # The cells are still found by their first lines, and checked against the release.
    assert owned_cell_problems(notebook, {"fixtures": "0" * 64, "self-check": "0" * 64}) == [
        'the grader-owned "fixtures" cell (cell 6) was edited',
        'the grader-owned "self-check" cell (cell 7) was edited',
    ]


def test_a_bundle_whose_manifest_nests_deep_is_rejected(tmp_path):
    with pytest.raises(Rejected, match="manifest.json is not a bundle manifest: the file.s lists"):
        extract_bundle(_nested_bundle(tmp_path / "deep.zip"), tmp_path / "out")
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("manifest.json", b'{"schema": 1, "student": null, "files": []}')
    with pytest.raises(Rejected):
        extract_bundle(bundle.getvalue(), tmp_path / "out2")


@pytest.mark.slow
def test_hostile_json_beside_a_good_notebook_leaves_every_row_and_grade(tmp_path):
    given = tmp_path / "in"
    graded = grade(
        tmp_path,
        _null_markdown(given / "nullmd.ipynb"),
        _owned_as_list(given / "ownedlist.ipynb"),
        _nested_notebook(given / "nested.ipynb"),
        _nested_bundle(given / "deepzip.zip"),
        SAMPLE,
    )
    assert marks(graded["asha"]) == FULL
    assert graded["nullmd"]["row"]["status"] == "invalid"
    assert "the text of cell" in graded["nullmd"]["row"]["reason"]
    assert graded["nested"]["row"]["status"] == "invalid"
    assert "nest more than 64 deep" in graded["nested"]["row"]["reason"]
    assert "manifest.json is not a bundle manifest" in graded["deepzip"]["row"]["reason"]
    owned = graded["ownedlist"]  # its cells are intact, found by their first lines
    assert owned["row"]["status"] == "graded" and marks(owned) == FULL
    assert all(row["row"]["status"] != "error" for row in graded.values())


def test_the_similarity_reader_notes_any_json_and_goes_on(tmp_path):
    from grader.similarity.sources import Document, add_notebook

    doc = Document("asha", tmp_path)
    add_notebook(_nested_notebook(tmp_path / "nested.ipynb"), "nested.ipynb", doc)
    assert doc.notes == [
        "nested.ipynb is not a readable notebook (the file's lists and objects nest more than 64"
        " deep); it was skipped"
    ]
    odd = {"cells": [{"cell_type": "code", "source": [1, None, "x = 1"]}]}
    add_notebook(_write(tmp_path / "odd.ipynb", odd), "odd.ipynb", doc)
    assert [part.text for part in doc.code] == ["x = 1"]
