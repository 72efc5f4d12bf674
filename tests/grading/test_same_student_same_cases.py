"""A student who hands in again is graded on the same cases (issue 96): in a course, a hand-in
whose student a roster id names is graded on the student's own seed, drawn from the course's
secret, the assignment and the id, so a resubmission with a space changed cannot draw new cases
for a better partial credit; two students draw apart; a lone notebook no roster names draws
anew, and the run says which is which. Each run goes through ``unshare --pid --fork
--mount-proc`` as a second fence behind the product's own sandbox."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from course_kit import ROOT, make_course
from partial_credit_kit import GATES, clipping
from sandbox_fence import FENCE

from grader.grading.seeds import case_seed
from grader.variants.draw import course_key

pytestmark = pytest.mark.slow
FUNCTIONS = ("score", "seed", *GATES)


def grade(assignment: Path, out: Path, *paths: Path | str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment", str(assignment)]
        + ["--out", str(out), "--workers", "1", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return done


def grades(out: Path) -> dict[str, dict[str, str]]:
    """Each student's score, seed and gates' points in grades.csv."""
    with (out / "grades.csv").open(newline="") as handle:
        return {r["student"]: {k: r[k] for k in FUNCTIONS} for r in csv.DictReader(handle)}


def test_a_resubmission_with_a_space_changed_is_graded_on_the_same_cases(tmp_path) -> None:
    made, _ = make_course(tmp_path)  # students CS21B042, EE21B017, ME21B103
    course = made.path.parent
    assignment = course / "lstm_gates"
    shutil.copytree(ROOT / "assignments" / "lstm_gates", assignment)
    hand_ins, out = tmp_path / "hand-ins", tmp_path / "graded"
    hand_ins.mkdir()
    clipped = clipping(4)
    for name in ("CS21B042", "EE21B017", "zed"):  # zed: on no roster
        (hand_ins / f"{name}.ipynb").write_bytes(clipped)

    first = grade(assignment, out, "--roster", made.roster_path, *sorted(hand_ins.iterdir()))
    graded = grades(out)
    key = course_key(course)
    for student in ("CS21B042", "EE21B017"):  # the same bytes, each on their own cases
        assert int(graded[student]["seed"]) == case_seed(key, "lstm_gates", student)
    assert graded["CS21B042"]["seed"] != graded["EE21B017"]["seed"]
    # the clipped gates lose points on some cases only: partial credit that the cases decide
    assert any(0 < float(graded["CS21B042"][gate]) < 10 for gate in GATES), graded
    assert "2 the student's own" in first.stderr, first.stderr
    assert "1 drawn for new hand-ins" in first.stderr

    # CS21B042 hands in again, a space changed, in the student folder collect would file it
    # in (named by the roster id, no --roster needed); ME21B103's lone notebook is named by
    # its file only, so it draws anew
    again = clipped.replace(b"exp cannot overflow", b"exp  cannot overflow")
    assert again != clipped
    (tmp_path / "CS21B042").mkdir()
    (tmp_path / "CS21B042" / "lstm_gates.ipynb").write_bytes(again)
    (hand_ins / "CS21B042.ipynb").unlink()
    (hand_ins / "ME21B103.ipynb").write_bytes(clipped)
    resubmitted = grade(assignment, out, tmp_path / "CS21B042", *sorted(hand_ins.iterdir()))
    now = grades(out)
    assert now["CS21B042"] == graded["CS21B042"]  # the same cases, the same score
    assert {s: now[s] for s in ("EE21B017", "zed")} == {s: graded[s] for s in ("EE21B017", "zed")}
    assert int(now["ME21B103"]["seed"]) != case_seed(key, "lstm_gates", "ME21B103")
    said = next(line for line in resubmitted.stderr.splitlines() if line.startswith("seeds: "))
    assert "2 as recorded for the same notebooks" in said, said
    assert "1 the student's own" in said
    assert "1 drawn for new hand-ins (no roster id names their students" in said
