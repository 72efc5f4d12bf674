"""The checks of substance on a project's checks page: the model, the pitfalls with their why,
the report's numbers found or in no output, the data's provenance; every value escaped; and in
chromium, axe finds nothing and the page reads and reflows as the other pages do."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_notebooks import keras_forecaster

from grader.course.rubric import load_projects
from grader.gradebook.course_book import CourseBook
from grader.marking.findings import beside_criteria, findings_html
from grader.marking.pages import write_checks_page
from grader.projects.analysis import analyse

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = load_projects(ROOT / "assignments" / "projects")


def planted_checks(tmp_path: Path) -> dict:
    kit = keras_forecaster("test-as-validation")
    found = analyse(kit.notebook(tmp_path), kit.report, "no link here")
    checks = {
        key: found[key] for key in ("model", "numbers", "pitfalls", "provenance", "baselines")
    }
    checks["substance_notes"] = ["cell 9 is not valid <Python> (line 1): its code was not analysed"]
    checks["provenance"]["how"] = "the notebook opens <b>data.csv</b>"
    return checks


def test_the_checks_page_shows_the_substance_escaped(tmp_path):
    checks = planted_checks(tmp_path)
    with CourseBook(tmp_path / "book.sqlite") as book:
        page = write_checks_page(tmp_path, PROJECTS, "s1", PROJECTS.projects[0], checks, book)
    text = page.read_text()
    assert "test-as-validation</strong> (cell 10, line 2): The test set is the validation" in text
    assert "LSTM, 32 units (cell 9, line 3)" in text and "4,385" in text
    assert '<td>15.2</td><td><span class="bad">in no output</span>' in text
    assert "cell 11, saved in Colab: <code>Test RMSE: 19.43</code>" in text
    assert "&lt;b&gt;data.csv&lt;/b&gt;" in text and "<b>data.csv" not in text
    assert "&lt;Python&gt;" in text
    assert "no kaggle.com or github.com address" in text


def test_each_criterion_gets_the_kinds_its_rubric_names(tmp_path):
    checks = planted_checks(tmp_path)
    beside = beside_criteria(checks, PROJECTS.rubric.criteria)
    assert set(beside) == {"dataset", "notebook", "results"}
    assert "Pitfalls" in beside["results"] and "Model" not in beside["results"]
    assert "uses an LSTM" in beside["notebook"] and "Where the data" in beside["dataset"]
    assert findings_html({"report": {}}) == ""  # checks made before: nothing to show


def test_axe_and_reflow_on_the_checks_page(tmp_path):
    web_kit = pytest.importorskip("web_kit")
    axe_kit = pytest.importorskip("axe_kit")
    api = pytest.importorskip("playwright.sync_api")
    if not web_kit.CHROMIUM.exists():
        pytest.fail("the page tests need Debian's chromium: apt-get install chromium")
    checks = planted_checks(tmp_path)
    with CourseBook(tmp_path / "book.sqlite") as book:
        page_file = write_checks_page(tmp_path, PROJECTS, "s1", PROJECTS.projects[0], checks, book)
    with api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(web_kit.CHROMIUM), args=web_kit.CHROMIUM_ARGS
        )
        try:
            for width in (1280, 320):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(page_file.as_uri())
                assert axe_kit.violations(page) == []
                assert axe_kit.sideways_scroll(page) <= 0
                page.close()
        finally:
            browser.close()
