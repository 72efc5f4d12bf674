"""The audit trail: every change of a mark or a score kept with who, when, old, new and why
(marks entered and imported, gradings, a regrade of a whole assignment after a fix, a regrade
request accepted), shown per student and as CSV; ``grader final`` uses the current value."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys

import pytest
from course_kit import ROOT, auto_result, make_course
from regrade_kit import add_request
from sandbox_fence import FENCE

from grader import cli
from grader.errors import UserError
from grader.gradebook.course_book import CourseBook
from grader.gradebook.results import Gradebook
from grader.regrades.book import ACCEPTED
from grader.regrades.decision import decide

STUDENT = "CS21B042"


def run(capsys, *args: str) -> str:
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out


def test_marks_entered_and_imported_are_on_record_with_who_old_new_and_why(
    tmp_path, capsys
) -> None:
    course, _ = make_course(tmp_path)
    out = tmp_path / "graded"
    common = ("--course", str(course.path), "--out", str(out))
    run(capsys, "marks", "set", STUDENT, "project1", "results", "12", "--comment", "no baseline",
        "--by", "ta1", *common)  # fmt: skip
    run(capsys, "marks", "set", STUDENT, "project1", "results", "16", "--comment", "baseline",
        "--by", "prof", *common)  # fmt: skip
    sheet = tmp_path / "marks.csv"
    run(capsys, "marks", "export", str(sheet), *common)
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    for row in rows:
        if row["student"] == STUDENT and row["project"] == "project1":
            row["results"] = "18"
    with sheet.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    run(capsys, "marks", "import", str(sheet), "--by", "prof", *common)

    shown = run(capsys, "audit", STUDENT, *common)
    lines = [line for line in shown.splitlines() if "project1 results" in line]
    assert len(lines) == 3, shown
    assert "- -> 12" in lines[0] and "by ta1 (manual) no baseline" in lines[0]
    assert "12 -> 16 +4" in lines[1] and "by prof (manual)" in lines[1]
    assert "16 -> 18 +2" in lines[2] and "(import) imported from marks.csv" in lines[2]

    exported = tmp_path / "audit.csv"
    run(capsys, "audit", "--csv", str(exported), *common)
    table = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8"))))
    assert [(r["old"], r["new"], r["change"], r["by"], r["kind"]) for r in table] == [
        ("", "12", "", "ta1", "manual"),
        ("12", "16", "+4", "prof", "manual"),
        ("16", "18", "+2", "prof", "import"),
    ]
    assert all(r["student"] == STUDENT and r["at"] for r in table)


def test_an_accepted_request_changes_the_score_final_uses_with_its_audit_row(
    tmp_path, capsys
) -> None:
    course, projects = make_course(tmp_path)
    out = tmp_path / "graded"
    shutil.copytree(ROOT / "assignments" / "lstm_gates", course.assignment_folder("lstm_gates"))
    auto_result(out, "lstm_gates", STUDENT, 80.0)
    with Gradebook(out / "lstm_gates" / "gradebook.sqlite") as book:
        run_id = book.start_run("lstm_gates", {})
        row = book.history(STUDENT)[-1]
        functions = {"forget_gate": 0.0, "lstm_cell": 15.0}
        book.record(run_id, row.__class__(**{**row.__dict__, "functions": functions}))
    common = ("--course", str(course.path), "--out", str(out))
    before = run(capsys, "final", *common)
    request = add_request(
        out / "gradebook.sqlite",
        STUDENT,
        "lstm_gates",
        ("forget_gate",),
        "regrade forget_gate: the sign is right",
        identity="message-id:reply@example.edu",
        subject="Re: Assignment 1",
    )
    with pytest.raises(UserError, match="from 0 to 10"):
        decide(course, out, projects, request, accept=True, points={"forget_gate": 11},
               comment="too much", by="prof")  # fmt: skip
    decided = decide(
        course,
        out,
        projects,
        request,
        accept=True,
        points={"forget_gate": 10},
        comment="the sign is right",
        by="prof",
    )
    assert decided.state == ACCEPTED
    assert "forget_gate: 0 -> 10 of 10 points" in (decided.answer or "")
    with pytest.raises(UserError, match="accepted already"):
        decide(course, out, projects, request, accept=False, points={}, comment="no",
               by="ta1")  # fmt: skip

    after = run(capsys, "final", *common)
    assert _percent(before, "lstm_gates") == "80" and _percent(after, "lstm_gates") == "90"
    trail = run(capsys, "audit", STUDENT, *common)
    assert "lstm_gates forget_gate: 0 -> 10 +10  by prof (regrade)" in trail
    assert "regrade request #1: the sign is right" in trail
    assert "lstm_gates: 80 -> 90 +10  by prof (regrade)" in trail


def _percent(table: str, component: str) -> str:
    lines = table.splitlines()
    column = lines[0].split().index(component)
    row = next(line for line in lines if line.startswith(STUDENT))
    return row.split()[column + 1]  # the name is two words


@pytest.mark.slow
def test_a_regrade_after_a_fix_lists_whose_scores_changed_by_how_much(tmp_path) -> None:
    assignment = tmp_path / "lstm_gates"
    shutil.copytree(ROOT / "assignments" / "lstm_gates", assignment)
    samples = [ROOT / "examples" / "lstm_gates" / f"{s}.ipynb" for s in ("asha", "bhavin")]
    out = tmp_path / "graded" / "lstm_gates"

    def grade() -> str:
        done = subprocess.run(
            [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment",
             str(assignment), "--out", str(out), "--seed", "7", *map(str, samples)],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = grade()
    assert "scores changed" not in first
    with Gradebook(out / "gradebook.sqlite") as book:
        before = {row.student: row for row in book.latest()}
    # The fix: forget_gate was meant to be worth 20 points, not 10.
    toml = assignment / "assignment.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(
        text.replace('name = "forget_gate"\npoints = 10', 'name = "forget_gate"\npoints = 20'),
        encoding="utf-8",
    )
    second = grade()
    with Gradebook(out / "gradebook.sqlite") as book:
        after = {row.student: row for row in book.latest()}
    changed = sorted(s for s in after if after[s].score != before[s].score)
    assert changed, "the fix changed no score: the test's fix is no fix"
    assert f"{len(changed)} student(s)' scores changed" in second
    for student in changed:
        old, new = before[student].score, after[student].score
        assert f"  {student}: {old:g} -> {new:g} ({new - old:+g})" in second
    unchanged = set(after) - set(changed)
    assert all(f"  {s}:" not in second for s in unchanged)


def _request(out, component: str, parts: tuple[str, ...]) -> int:
    return add_request(out / "gradebook.sqlite", STUDENT, component, parts, "please look again")


def test_a_criterion_accepted_changes_the_mark_and_a_decline_changes_nothing(
    tmp_path, capsys
) -> None:
    course, projects = make_course(tmp_path)
    out = tmp_path / "graded"
    criterion = projects.rubric.criteria[0]
    with CourseBook(out / "gradebook.sqlite") as book:
        book.set_mark(STUDENT, "project1", criterion.id, 1, "thin", by="ta1")
    accepted = _request(out, "project1", (criterion.id,))
    with pytest.raises(UserError, match="say why"):
        decide(course, out, projects, accepted, accept=True, points={criterion.id: 2},
               comment="  ", by="prof")  # fmt: skip
    decide(course, out, projects, accepted, accept=True, points={criterion.id: 2},
           comment="the ablation counts", by="prof")  # fmt: skip
    with CourseBook(out / "gradebook.sqlite") as book:
        (mark,) = book.marks(STUDENT, "project1")
    assert (mark.points, mark.comment, mark.source) == (2, "thin", f"regrade:#{accepted}")
    declined = _request(out, "project1", (projects.rubric.criteria[1].id,))
    result = decide(course, out, projects, declined, accept=False, points={},
                    comment="The mark stands: no baseline.", by="prof")  # fmt: skip
    assert result.state == "declined" and result.answer == "The mark stands: no baseline."
    trail = run(capsys, "audit", STUDENT, "--course", str(course.path), "--out", str(out))
    assert f"project1 {criterion.id}: 1 -> 2 +1  by prof (regrade) regrade request #" in trail
    assert projects.rubric.criteria[1].id not in trail
