"""Where the data comes from, without false claims: the dataset's Kaggle or GitHub address whole
where the report's PDF broke it across lines (or at a hyphen), a library's repository never taken
for it, and the handed-in file compared with what Colab read as the notebook reads it (header,
names, index, usecols, skiprows, a sheet): where that cannot be sure it says it could not tell,
and "differs" only where the same plain read showed other data."""

from __future__ import annotations

import pytest
from project_notebooks import REFERENCES_BROKEN, lines_pdf, read_cases

from grader.projects.analysis import analyse, analyse_files
from grader.report.facts import report_text

CASES = read_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_file_read_with_options_is_compared_as_the_code_reads_it(name, tmp_path):
    case = CASES[name]
    dataset = tmp_path / case.file
    if isinstance(case.data, bytes):
        dataset.write_bytes(case.data)
    else:
        dataset.write_text(case.data)
    found = analyse(case.kit.notebook(tmp_path), {}, dataset=dataset, folder=tmp_path)
    origin = found["provenance"]
    assert origin["same_bytes"] is case.same, origin
    assert origin["read"] == case.file
    if case.same is None:
        assert "could not be told" in origin["how"] and "differs" not in origin
    elif case.same:
        assert origin["how"].startswith(f"the notebook opens the handed-in {case.file}")
    else:
        assert origin["differs"] == {"rows": {"read": 1258, "handed_in": 250}}
        assert "had 1258 rows and 7 columns" in origin["how"]
        assert "has 250 rows and 7 columns" in origin["how"]
    assert found["notes"] == []


def test_what_could_not_be_told_says_why(tmp_path):
    case = CASES["names-then-a-column"]
    (tmp_path / case.file).write_text(str(case.data))
    how = analyse(case.kit.notebook(tmp_path), {}, dataset=tmp_path / case.file, folder=tmp_path)[
        "provenance"
    ]["how"]
    assert "df was changed by `df = ...` (cell 4, line 1) before its shape was printed" in how


@pytest.mark.parametrize("name", sorted(REFERENCES_BROKEN))
def test_the_source_in_the_references_as_the_pdf_breaks_it(name, tmp_path):
    lines, source = REFERENCES_BROKEN[name]
    pdf = lines_pdf(
        tmp_path / "report.pdf",
        {"Results and Discussion": ["The LSTM's RMSE is 19.4."], "References": lines},
    )
    read = report_text(pdf)
    assert isinstance(read, tuple), read
    found = analyse_files(None, read)
    assert found["provenance"]["source_url"] == source
