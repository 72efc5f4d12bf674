"""A term at two sizes of class (issue 67): ``benchmarks/term_scale.py --quick`` (classes of 200
and 1,000, their mailbox collected, graded from the real grading of one hand-in of each kind,
final grades, similarity, the dashboard's pages, the feedback mail to a loopback SMTP server)
and what it measures: every stage's CPU and peak memory grow no faster than the class (a
log-log slope of at most 1.1), every page is under 1 MB and answers, ``grader serve`` stays
under 500 MB, and the similarity search flags every planted whole copy and no other pair as a
whole copy (it missed 14 of 30 at 1,000 before the share of the larger hand-in). No wall-clock
time is asserted. It costs about 2 minutes of CPU (collect 45 s and similarity 11 s of them
at 1,000), 21 minutes of wall time on the shared 2-core machine at a load of 10 to 14."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import term_scale  # noqa: E402

pytestmark = pytest.mark.slow
LINEAR = 1.1


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("term-scale")
    assert (
        term_scale.main(["--quick", "--keep", str(folder), "--json", str(folder / "f.json")]) == 0
    )
    return json.loads((folder / "f.json").read_text())


def test_every_stage_grows_no_faster_than_the_class(figures):
    assert figures["sizes"] == [200, 1000]
    slower = {
        stage: (measures["cpu_exponent"], measures["memory_exponent"])
        for stage, measures in figures["stages"].items()
        if measures["cpu_exponent"] is not None  # grading replicated: no exponent
        and max(measures["cpu_exponent"] + measures["memory_exponent"]) > LINEAR
    }
    assert not slower, slower


def test_every_page_is_light_and_serve_stays_small(figures):
    for name, page in figures["pages"].items():
        assert set(page["status"]) == {200}, (name, page["status"])
        assert max(page["bytes"]) < term_scale.PAGE_BUDGET_BYTES, (name, page["bytes"])
    assert max(figures["serve_peak_mb"]) < term_scale.SERVE_BUDGET_MB


def test_every_planted_copy_is_flagged_and_no_other_pair_as_a_whole_copy(figures):
    # Other pairs may be flagged on their share and amount: two students of the kit, whose own
    # cells are drawn from ten statements and forty numpy functions, can write half of them
    # alike (one such pair at 1,000). None may pass as a whole copy.
    for copies in figures["copies"]:
        assert copies["planted"] > 0 and copies["found"] == copies["planted"], copies
        assert copies["others_whole"] == 0, copies
