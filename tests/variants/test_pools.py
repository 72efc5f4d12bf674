"""Questions drawn per student, k of n (issue 55): ``[[pools]]`` read and checked at ``grader
assign``, each student's draw made from the course's secret and recorded at release, their
notebook holding their drawn questions only, ``grader variants`` listing the draws, grading
scoring the drawn questions of the student a hand-in is attributed to; and a hand-in that is not
the student's own notebook flagged on grades.csv and the similarity page."""

from __future__ import annotations

import csv
import email
import email.policy
import html
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from pools_kit import GATES, POOL, answered, with_pool
from sandbox_fence import FENCE
from variants_kit import roster

from grader.assignment import releasing
from grader.cli import main

CLASS = 6
OTHERS = {"cell_state": 15, "hidden_state": 15}  # outside the pool: every student answers them


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def pooled_course(folder: Path, size: int = CLASS, pool: str = POOL) -> Path:
    """A `grader init` course of ``size`` students whose lstm_gates draws 2 of its 4 gates."""
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(size), encoding="utf-8")
    with_pool(folder / "assignments" / "lstm_gates", pool)
    return folder / "assignments" / "lstm_gates"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pools") / "course"
    assignment = pooled_course(folder)
    out = folder.parent / "release"
    assert main(["assign", str(assignment), "--per-student", "--out", str(out)]) == 0
    return folder


def record_of(course: Path) -> dict:
    return json.loads((course / "variants" / "lstm_gates.json").read_text())


def released(course: Path, student: str) -> nbformat.NotebookNode:
    path = course.parent / "release" / "lstm_gates" / f"{student}_lstm_gates.ipynb"
    return nbformat.read(path, as_version=4)


def defined(notebook: nbformat.NotebookNode) -> set[str]:
    return {
        name
        for cell in notebook.cells
        for name in re.findall(r"^def (\w+)\(", cell.source, re.MULTILINE)
        if cell.cell_type == "code" and not cell.get("id", "").startswith("grader-")
    }


def test_each_student_is_released_the_questions_drawn_for_them(course, capsys):
    record = record_of(course)
    draws = {s: r["questions"]["gates"] for s, r in record["students"].items()}
    assert len(draws) == CLASS
    for student, drawn in draws.items():
        assert len(drawn) == 2 and set(drawn) <= set(GATES)
        assert drawn == [g for g in GATES if g in drawn]  # in the notebook's order
        notebook = released(course, student)
        # the drawn gates and the questions outside the pool, nothing else; a check for each
        assert defined(notebook) - {"sigmoid"} == {*drawn, *OTHERS}
        checks = {c.source for c in notebook.cells if c.id.startswith("grader-check-")}
        assert checks == {f'check("{f}")' for f in (*drawn, *OTHERS)} | {"check()"}
        texts = {c.id for c in notebook.cells if c.cell_type == "markdown"}
        undrawn = [g for g in GATES if g not in drawn]
        assert not texts & {f"{g.replace('_', '-')}-text" for g in undrawn}
        assert notebook.metadata.grader.variant.questions == {"gates": drawn}
        assert "title" in texts
    code, out, err = run(capsys, "variants", str(course / "assignments" / "lstm_gates"))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["student"]: r["pool gates"].split() for r in rows} == draws
    for gate in GATES:
        drew = sum(gate in d for d in draws.values())
        if drew:
            assert f"{gate}: {drew}" in err
    assert "students sharing all their questions with another:" in err


def test_editing_the_pool_after_release_never_changes_a_released_draw(course, tmp_path, capsys):
    before = record_of(course)["students"]
    edited = Path(shutil.copytree(course, tmp_path / "course"))
    toml = edited / "assignments" / "lstm_gates" / "assignment.toml"
    toml.write_text(toml.read_text().replace("draw = 2", "draw = 3"))
    (edited / "roster.csv").write_text(roster(CLASS + 1))
    assignment = str(edited / "assignments" / "lstm_gates")
    release = ["assign", assignment, "--per-student", "--out", str(tmp_path / "r")]
    code, out, err = run(capsys, *release)
    assert code == 0, err
    assert (
        f"{CLASS} students keep the questions drawn at their release from an earlier [[pools]]"
        f" (S000, S001," in out
    )
    after = record_of(edited)["students"]
    for student, kept in before.items():
        assert after[student]["questions"] == kept["questions"]
        notebook = nbformat.read(tmp_path / "r" / "lstm_gates" / f"{student}_lstm_gates.ipynb", 4)
        assert defined(notebook) - {"sigmoid"} == {*kept["questions"]["gates"], *OTHERS}
    assert len(after[f"S{CLASS:03d}"]["questions"]["gates"]) == 3  # the newcomer: the edited pool
    assert "preparing 7/7 students" in err and "left)" in err
    assert "writing 7 notebooks" in err and "released" not in err.split("writing")[0]


@pytest.mark.parametrize(
    ("pool", "message"),
    [
        (
            POOL.replace("draw = 2", "draw = 5"),
            r"pool gates draws 5 of 4 functions; draw at most 4",
        ),
        (
            POOL.replace('"output_gate"]', '"outputgate"]'),
            r"pool gates names 'outputgate', which is not a graded function of \[\[functions\]\]",
        ),
        (
            POOL.replace('"output_gate"]', '"output_gate", "cell_state"]'),
            r"pool gates: its functions are worth different points \(forget_gate 10, .*"
            r"cell_state 15\); give them equal points",
        ),
        (POOL.replace("draw = 2", 'draw = "two"'), r"draw must be a whole number of at least 1"),
    ],
    ids=["k-above-n", "unknown-function", "unequal-points", "draw-not-a-number"],
)
def test_a_bad_pool_gets_one_clear_line_at_grader_assign(tmp_path, capsys, pool, message):
    assignment = pooled_course(tmp_path / "course", 3, pool)
    capsys.readouterr()
    code, _, err = run(capsys, "assign", str(assignment), "--per-student", "--out", str(tmp_path))
    assert code == 2 and "Traceback" not in err
    assert re.search(message, err), err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "course" / "variants" / "lstm_gates.json").exists()


def test_a_pooled_function_another_cell_calls_is_refused(tmp_path, capsys):
    """lstm_cell calls every gate: a student not drawn one would have nothing to call."""
    folder = tmp_path / "course"
    assert main(["init", str(folder)]) == 0
    assignment = folder / "assignments" / "lstm_gates"
    toml = assignment / "assignment.toml"
    toml.write_text(toml.read_text() + POOL)
    capsys.readouterr()
    code, _, err = run(capsys, "assign", str(assignment), "--out", str(tmp_path / "r"))
    assert code == 2 and "Traceback" not in err
    assert re.search(
        r"cell 18 \(code, starts \"def lstm_cell.* uses candidate_memory, which pool gates does"
        r" not give every student; pool only functions that no other cell uses",
        err,
    ), err


def grade(
    course: Path, notebooks: list[Path], out: Path, *options: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--seed", "5", *options]
        + ["--assignment", str(course / "assignments" / "lstm_gates"), "--out", str(out)]
        + [str(p) for p in notebooks],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory) -> dict:
    """Hand-ins graded in the sandbox: S000's and S001's own notebooks answered (S001 answering
    an undrawn gate too, wrongly), S002 and S003 each other's, S004 the class-wide notebook."""
    base = tmp_path_factory.mktemp("hand-ins")
    source = course / "assignments" / "lstm_gates" / "source.ipynb"
    inbox = base / "inbox"
    inbox.mkdir()
    handed = {"S000": "S000", "S001": "S001", "S002": "S003", "S003": "S002"}
    for student, released_to in handed.items():
        notebook = answered(released(course, released_to), source)
        if student == "S001":
            undrawn = next(g for g in GATES if g not in defined(notebook))
            wrong = f"def {undrawn}(x_t, h_prev, W, b):\n    return 0 * h_prev\n"
            notebook.cells.append(nbformat.v4.new_code_cell(wrong))
        nbformat.write(notebook, inbox / f"{student}.ipynb")
    class_wide = releasing.release(course / "assignments" / "lstm_gates", base / "class")
    nbformat.write(answered(nbformat.read(class_wide, as_version=4), source), inbox / "S004.ipynb")
    out = base / "graded"
    done = grade(course, sorted(inbox.iterdir()), out)
    assert done.returncode == 0, done.stderr
    return {"out": out, "inbox": inbox, "handed": handed}


def test_a_student_is_graded_on_their_drawn_questions_only(course, graded):
    record = record_of(course)["students"]
    for student in ("S000", "S001"):
        results = json.loads((graded["out"] / student / "results.json").read_text())
        drawn = record[student]["questions"]["gates"]
        assert {t["name"] for t in results["tests"]} == {*drawn, *OTHERS}
        assert results["score"] == 50  # two gates of 10 and the two states of 15: full marks
        assert "50 / 50 points." in results["output"]
        assert (
            f"Your questions, drawn for you at release: pool gates: {', '.join(drawn)} (2 of 4);"
            f" only these are graded, out of 50 points" in results["output"]
        )
        assert "Grader cell changed" not in results["output"], results["output"]
    rows = {r["student"]: r for r in csv.DictReader((graded["out"] / "grades.csv").open())}
    for gate in GATES:  # an undrawn question is neither credited nor failed: left empty
        expected = "10" if gate in record["S001"]["questions"]["gates"] else ""
        assert rows["S001"][gate] == expected
    assert rows["S000"]["variant"] == rows["S001"]["variant"] == "own"
    assert rows["S000"]["max_score"] == "50"


def test_swapped_notebooks_and_the_class_wide_one_are_flagged_on_grades_csv(course, graded):
    rows = {r["student"]: r for r in csv.DictReader((graded["out"] / "grades.csv").open())}
    assert rows["S002"]["variant"] == "another student's: released to S003, handed in by S002"
    assert rows["S003"]["variant"] == "another student's: released to S002, handed in by S003"
    assert rows["S004"]["variant"] == "class-wide notebook"
    # scored on the submitter's own draw: the gates S003's notebook has that S002 drew
    record = record_of(course)["students"]
    mine, theirs = (set(record[s]["questions"]["gates"]) for s in ("S002", "S003"))
    assert float(rows["S002"]["score"]) == 30 + 10 * len(mine & theirs)
    results = json.loads((graded["out"] / "S004" / "results.json").read_text())
    assert "Variant: this is the class-wide notebook, not S004's own" in results["output"]
    assert {t["name"] for t in results["tests"]} == {*record["S004"]["questions"]["gates"], *OTHERS}


def test_a_dask_worker_grades_the_drawn_questions_and_flags_as_one_machine_does(
    course, graded, tmp_path
):
    """A Dask worker has no course folder: the release record travels with the job, so the
    drawn questions, the totals and the variant flags are the one-machine run's."""
    out = tmp_path / "dask"
    inbox = sorted(graded["inbox"].iterdir())
    done = grade(course, inbox, out, "--dask", "local", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert (out / "grades.csv").read_text() == (graded["out"] / "grades.csv").read_text()
    for student in ("S001", "S002", "S004"):
        ours, alone = (
            json.loads((folder / student / "results.json").read_text())
            for folder in (out, graded["out"])
        )
        for results in (ours, alone):
            results["extra_data"].pop("phases")
        assert ours == alone


def test_the_similarity_page_flags_the_swapped_pair_with_both_named(course, graded, tmp_path):
    out = tmp_path / "similarity"
    code = main(
        ["similarity", str(graded["inbox"]), "--out", str(out)]
        + ["--assignment", str(course / "assignments" / "lstm_gates")]
    )
    assert code == 0
    pairs = list(csv.DictReader((out / "pairs.csv").open()))
    variant = [p for p in pairs if p["shared"] == "variant"]
    assert {(p["student_a"], p["student_b"]) for p in variant} == {("S002", "S003")}
    assert {p["detail"] for p in variant} == {
        "S002 handed in the notebook released to S003",
        "S003 handed in the notebook released to S002",
    }
    page = (out / "similarity.html").read_text()
    assert "<h2>Per-student variants</h2>" in page
    assert "<td>S004</td><td>class-wide notebook</td>" in page
    assert "another student's: released to S003, handed in by S002" in html.unescape(page)


def test_the_mail_with_a_students_notebook_names_their_questions(course, tmp_path, capsys):
    mailing = ["variants", str(course / "assignments" / "lstm_gates"), "--mail-from"]
    mailing += ["LSTM course <lstm@example.edu>", "--release", str(course.parent / "release")]
    code, out, err = run(capsys, *mailing, "--out", str(tmp_path / "graded"))
    assert code == 0, err
    message = email.message_from_bytes(
        (tmp_path / "graded" / "mail" / "S001.eml").read_bytes(), policy=email.policy.default
    )
    drawn = record_of(course)["students"]["S001"]["questions"]["gates"]
    text = message.get_body(("plain",)).get_content()
    assert f"Its questions were drawn for you (pool gates: {', '.join(drawn)} (2 of 4))" in text
