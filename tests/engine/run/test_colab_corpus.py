"""Real Colab notebooks written by others (shared/corpus/colab, read where they lie) run to a
result within their limits, two at a time, behind the sandbox and a second fence."""

from __future__ import annotations

import pytest
from sandbox_fence import run_fenced, run_spec
from shared_kit import CORPUS, corpus_notebooks

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted(CORPUS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def corpus_results(tmp_path_factory) -> dict[str, dict]:
    corpus_notebooks()  # or every test here skipped: the corpus is not beside the checkout
    runs = [
        run_spec(
            path,
            [("lstm_cell_forward", [[0.0]])],
            cell_timeout=10,
            notebook_timeout=40,
            probe_timeout=5,
        )
        for path in NOTEBOOKS
    ]
    report = run_fenced(tmp_path_factory.mktemp("corpus"), runs, parallel=2)
    results = zip(NOTEBOOKS, report["results"], strict=True)
    return {path.name.split("__")[0]: result for path, result in results}


def test_every_corpus_notebook_runs_to_a_result(corpus_results):
    assert len(corpus_results) == len(NOTEBOOKS) >= 8
    for name, result in corpus_results.items():
        assert result["status"] in ("completed", "timeout"), (name, result["reason"])
        assert len(result["probes"]) == 1 and result["probes"][0]["error"], name
        for error in result["cell_errors"]:
            assert error["ename"] and isinstance(error["index"], int), name
            assert "google.colab" not in error["evalue"], name


def test_a_clean_numpy_notebook_has_no_errors(corpus_results):
    kunal = corpus_results["Kunal-artist"]
    assert kunal["cell_errors"] == []
    # Its lstm_cell_forward exists and takes other arguments than the probe sends.
    assert kunal["probes"][0]["error"].startswith("TypeError: lstm_cell_forward()")


def test_a_long_training_cell_is_cut_at_the_cell_limit(corpus_results):
    captain = corpus_results["CaptainE"]
    assert any(e["timed_out"] for e in captain["cell_errors"])
    assert "%matplotlib inline" in captain["code"]


def test_network_and_interactive_cells_fail_fast_and_are_recorded(corpus_results):
    upload = corpus_results["srijeem"]
    assert any("files.upload() cannot work" in e["evalue"] for e in upload["cell_errors"])
    # `!pip install` and `!wget` reach no network; the cells go on.
    assert "pip install" in corpus_results["krshrey10"]["code"]
    assert not any(e["timed_out"] for e in corpus_results["krshrey10"]["cell_errors"])
    assert not any(e["timed_out"] for e in corpus_results["spdin"]["cell_errors"])
    assert "Could not find a version that satisfies" in corpus_results["krshrey10"]["output"]
