"""Per-student variants (issue 55): ``[variants]`` read and checked at ``grader assign``, each
student's values drawn from the course's secret and recorded at release, ``grader variants``,
and ``grader assign --per-student`` on a course made by ``grader init``."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from sandbox_fence import FENCE
from smtp_kit import PASSWORD, SENDER, USER, Mailbox, start
from variants_kit import VARIANTS, answered, roster, with_variants, without_variants

from grader.assignment import releasing, variant_definition
from grader.assignment.keys import ASSIGNMENT_TOML
from grader.cli import main
from grader.variants import attribution

ROOT = Path(__file__).resolve().parents[2]
CLASS = 30


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A `grader init` course of 30 students whose rnn_gradients declares [variants] and uses
    them in a question's text and in a constants cell."""
    folder = tmp_path_factory.mktemp("course") / "lstm-course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(CLASS), encoding="utf-8")
    with_variants(folder / "assignments" / "rnn_gradients")
    return folder


def scratch_course(tmp_path: Path, course: Path) -> Path:
    """A copy of the course, without its release record and secret, to change on purpose."""
    copy = Path(
        shutil.copytree(course, tmp_path / "course", ignore=shutil.ignore_patterns("variants"))
    )
    return copy


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assign_per_student(capsys, course: Path, out: Path) -> tuple[int, str, str]:
    """`grader assign --per-student` of the course's rnn_gradients into ``out``."""
    return run(
        capsys,
        "assign",
        str(course / "assignments" / "rnn_gradients"),
        "--per-student",
        "--out",
        str(out),
    )


def released(folder: Path, student: str) -> nbformat.NotebookNode:
    return nbformat.read(folder / f"{student}_rnn_gradients.ipynb", as_version=4)


@pytest.fixture(scope="module")
def per_student(course, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release")
    code = main(
        [
            "assign",
            str(course / "assignments" / "rnn_gradients"),
            "--per-student",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out / "rnn_gradients"


def test_each_student_gets_their_own_values_in_text_code_and_metadata(course, per_student):
    record = json.loads((course / "variants" / "rnn_gradients.json").read_text())
    assert len(record["students"]) == CLASS
    values = {s: tuple(sorted(r["values"].items())) for s, r in record["students"].items()}
    assert len(set(values.values())) == CLASS  # no two students share every value
    for student in ("S000", "S017"):
        notebook = released(per_student, student)
        mine = record["students"][student]
        text = next(c.source for c in notebook.cells if c.id == "your-numbers")
        code = next(c.source for c in notebook.cells if c.id == "constants")
        assert f"With $W_{{rec}}$ = {mine['values']['W_rec']}," in text
        assert (
            f"after {mine['values']['steps']} steps of a {mine['values']['activation']} RNN" in text
        )
        assert code == (
            f"W_REC = {mine['values']['W_rec']!r}\nSTEPS = {mine['values']['steps']!r}\n"
            f"ACTIVATION = {mine['values']['activation']!r}"
        )
        assert notebook.metadata.grader.variant == {
            "student": student,
            "fingerprint": mine["fingerprint"],
        }
        assert "{{" not in "".join(c.source for c in notebook.cells)
    assert len({r["fingerprint"] for r in record["students"].values()}) == CLASS
    assert (course / "variants" / "secret.key").stat().st_mode & 0o077 == 0


def test_values_are_the_same_every_time_and_kept_after_the_definition_is_edited(
    course, per_student, tmp_path, capsys
):
    first = json.loads((course / "variants" / "rnn_gradients.json").read_text())
    again = tmp_path / "again"
    code, out, _ = assign_per_student(capsys, course, again)
    assert code == 0
    assert json.loads((course / "variants" / "rnn_gradients.json").read_text()) == first
    assert nbformat.read(per_student / "S005_rnn_gradients.ipynb", as_version=4) == released(
        again / "rnn_gradients", "S005"
    )

    # the instructor edits [variants] after release: released students keep their values,
    # a student added to the roster gets the edited definition's, and the grader says so
    edited = scratch_course(tmp_path, course)
    shutil.copytree(course / "variants", edited / "variants")
    toml = edited / "assignments" / "rnn_gradients" / "assignment.toml"
    toml.write_text(toml.read_text().replace("max = 0.99", "max = 0.7"))
    (edited / "roster.csv").write_text(roster(CLASS + 1))
    code, out, _ = assign_per_student(capsys, edited, tmp_path / "edited")
    assert code == 0
    record = json.loads((edited / "variants" / "rnn_gradients.json").read_text())
    for student, kept in first["students"].items():
        assert record["students"][student] == kept
    newcomer = record["students"][f"S{CLASS:03d}"]
    assert newcomer["definition"] != first["students"]["S000"]["definition"]
    assert 0.5 <= newcomer["values"]["W_rec"] <= 0.7
    assert len(record["definitions"]) == 2
    assert re.search(
        r"definition \w+ \(an earlier \[variants\]; they keep its values\): 30 students", out
    )
    assert re.search(r"definition \w+ \(the current \[variants\]\): 1 student \(S030\)", out)


def test_grader_variants_lists_every_students_values_and_how_many_share_each(
    course, per_student, capsys
):
    code, out, err = run(capsys, "variants", str(course / "assignments" / "rnn_gradients"))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    record = json.loads((course / "variants" / "rnn_gradients.json").read_text())
    assert [r["student"] for r in rows] == [f"S{n:03d}" for n in range(CLASS)]
    for row in rows:
        mine = record["students"][row["student"]]
        assert float(row["W_rec"]) == mine["values"]["W_rec"]
        assert int(row["steps"]) == mine["values"]["steps"]
        assert row["activation"] == mine["values"]["activation"]
        assert row["fingerprint"] == mine["fingerprint"] and row["released_at"]
    tanh = sum(r["activation"] == "tanh" for r in rows)
    assert f"tanh: {tanh}" in err
    # the course's secret is random: count what this one drew
    steps = len({r["steps"] for r in rows})
    assert f"steps: {steps} values among {CLASS} students" in err
    assert "students sharing all their values with another: 0" in err


def test_another_course_secret_gives_other_values(course, per_student, tmp_path, capsys):
    other = scratch_course(tmp_path, course)
    code, out, _ = run(capsys, "variants", str(other / "assignments" / "rnn_gradients"))
    assert code == 0
    theirs = {r["student"]: r for r in csv.DictReader(io.StringIO(out))}
    record = json.loads((course / "variants" / "rnn_gradients.json").read_text())
    differ = [
        s for s, r in record["students"].items() if theirs[s]["fingerprint"] != r["fingerprint"]
    ]
    assert len(differ) == CLASS
    assert all(not r["released_at"] for r in theirs.values())  # drawn, not yet released


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda a: with_variants(a, question="With {{W_rec}} and {{hidden_size}} units"),
            r"\{\{hidden_size\}\} names a variant that \[variants\] in .*assignment.toml does not"
            r" declare \(declared: W_rec, steps, activation\); add \[variants.hidden_size\]",
        ),
        (
            lambda a: with_variants(a, VARIANTS.replace("max = 40", "max = 5")),
            r"\[variants.steps\]: the range from min = 10 to max = 5 holds no value; make max"
            r" at least min",
        ),
        (
            lambda a: with_variants(
                a,
                VARIANTS.replace("min = 0.5\n", "min = 0.503\n").replace(
                    "max = 0.99", "max = 0.507"
                ),
            ),
            r"\[variants.W_rec\]: the range from min = 0.503 to max = 0.507 holds no value at its"
            r" rounding; widen it to hold a multiple of 0.01, or give more digits$",
        ),
        (
            lambda a: with_variants(
                a,
                '[variants.activation]\nkind = "choice"\nchoices = ["tanh", "relu"]\n',
                "A {{activation}} RNN",
            ),
            r"\[variants\] can give only 2 different sets of values \(activation: 2\) to 30"
            r" students; widen a range, add choices",
        ),
        (
            lambda a: with_variants(
                a,
                '[variants.activation]\nkind = "choice"\nchoices = ["tanh", "tanh"]\n',
                "A {{activation}} RNN",
            ),
            r"\[variants.activation\]: the choice tanh is listed twice",
        ),
        (
            lambda a: with_variants(a, VARIANTS.replace('kind = "int"', 'kind = "integer"')),
            r"\[variants.steps\]: kind must be one of int, float, choice, not 'integer'",
        ),
    ],
    ids=[
        "undeclared-name",
        "empty-range",
        "empty-after-rounding",
        "too-few-choices",
        "repeated-choice",
        "unknown-kind",
    ],
)
def test_bad_variants_get_one_clear_line_at_grader_assign(tmp_path, capsys, change, message):
    folder = tmp_path / "course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(CLASS))
    assignment = folder / "assignments" / "rnn_gradients"
    change(assignment)
    capsys.readouterr()
    code, _, err = assign_per_student(capsys, folder, tmp_path / "r")
    assert code == 2
    assert re.search(message, err), err
    assert "Traceback" not in err
    assert not (tmp_path / "r" / "rnn_gradients").exists() or not any(
        (tmp_path / "r" / "rnn_gradients").iterdir()
    )


def test_a_student_without_a_roster_id_is_named(tmp_path, capsys):
    folder = tmp_path / "course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(5, without_id=3))
    with_variants(folder / "assignments" / "rnn_gradients")
    capsys.readouterr()
    code, _, err = assign_per_student(capsys, folder, tmp_path / "r")
    assert code == 2
    assert "student Student 3 has no roster id (only an address)" in err, err
    assert not (folder / "variants" / "rnn_gradients.json").exists()


def test_the_class_wide_release_of_a_variant_assignment_says_so(course, tmp_path):
    out = releasing.release(course / "assignments" / "rnn_gradients", tmp_path)
    notebook = nbformat.read(out, as_version=4)
    assert notebook.metadata.grader.variant["class_wide"] is True
    text = next(c.source for c in notebook.cells if c.id == "your-numbers")
    assert "With $W_{rec}$ = 0.5, after 10 steps of a tanh RNN" in text


def test_per_student_needs_variants(tmp_path, capsys):
    folder = tmp_path / "course"
    assert main(["init", str(folder)]) == 0
    toml = folder / "assignments" / "rnn_gradients" / "assignment.toml"
    toml.write_text(without_variants(toml.read_text()))  # rnn_gradients ships its W_rec
    capsys.readouterr()
    code, _, err = assign_per_student(capsys, folder, tmp_path / "r")
    assert code == 2 and "declares no [variants]" in err


def test_without_variants_braces_in_the_notebook_are_left_alone(tmp_path):
    """An assignment without [variants] releases as before: a ``{{...}}`` in its notebook is
    its own text, neither checked nor filled, and the metadata says nothing of variants."""
    folder = Path(shutil.copytree(ROOT / "assignments" / "lstm_gates", tmp_path / "gates"))
    before = nbformat.read(releasing.release(folder, tmp_path / "before"), as_version=4)
    source = folder / "source.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells[0].source += "\n\nA template writes {{ name }}."
    nbformat.write(notebook, source)
    after = nbformat.read(releasing.release(folder, tmp_path / "after"), as_version=4)
    assert after.cells[0].source == before.cells[0].source + "\n\nA template writes {{ name }}."
    assert after.cells[1:] == before.cells[1:]
    assert "variant" not in after.metadata.grader


def test_swapped_notebooks_are_flagged_with_both_students_named(course, per_student, tmp_path):
    """Four hand-ins graded in the sandbox: two students' own, and two students who handed in
    each other's notebook; every function full marks, the swapped pair flagged, both named
    (their numeric answers: tests/variants/test_variant_answers.py)."""
    source = course / "assignments" / "rnn_gradients" / "source.ipynb"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    handed = {"S000": "S000", "S001": "S001", "S002": "S003", "S003": "S002"}
    for student, released_to in handed.items():
        notebook = answered(released(per_student, released_to), source)
        nbformat.write(notebook, inbox / f"{student}.ipynb")
    out = tmp_path / "graded"
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--seed", "3"]
        + ["--assignment", str(course / "assignments" / "rnn_gradients"), "--out", str(out)]
        + sorted(str(p) for p in inbox.iterdir()),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for student, released_to in handed.items():
        results = json.loads((out / student / "results.json").read_text())
        functions = [t for t in results["tests"] if t["name"] != "steps_to_vanish"]
        assert all(t["score"] == t["max_score"] for t in functions), results["output"]
        assert "Grader cell changed" not in results["output"]
        flagged = "Variant of another student" in results["output"]
        assert flagged == (student != released_to), (student, results["output"])
        if flagged:
            assert (
                f"this notebook was released to {released_to}, and is handed in by {student};"
                f" {student}'s own values (W_rec = " in results["output"]
            )


def test_the_class_wide_notebook_handed_in_says_the_students_values_count(course, per_student):
    record = attribution.record_of(course / "assignments" / "rnn_gradients", "rnn_gradients")
    assert record is not None
    class_wide = {"grader": {"variant": {"class_wide": True, "definition": "x"}}}
    [note] = attribution.variant_notes(record, "S004", class_wide)
    mine = record.students["S004"].values
    assert note == (
        "Variant: this is the class-wide notebook, not S004's own; S004's own values"
        f" (W_rec = {mine['W_rec']}, steps = {mine['steps']}, activation ="
        f" {mine['activation']}) are the ones that count"
    )
    own = released(per_student, "S004").metadata
    assert attribution.variant_notes(record, "S004", own) == []
    forged = {"grader": {"variant": {"student": "S004", "fingerprint": "0" * 16}}}
    assert "is none the course released" in attribution.variant_notes(record, "S004", forged)[0]


def test_each_student_is_mailed_their_own_notebook_once(
    course, per_student, certificate, tmp_path, monkeypatch, capsys
):
    assignment = str(course / "assignments" / "rnn_gradients")
    release = str(per_student.parent)
    out = tmp_path / "graded"
    mailing = ["variants", assignment, "--mail-from", SENDER, "--release", release]
    code, out_text, _ = run(capsys, *mailing, "--out", str(out))
    assert code == 0 and f"wrote {CLASS} messages" in out_text
    review = email.message_from_bytes(
        (out / "mail" / "S007.eml").read_bytes(), policy=email.policy.default
    )
    record = json.loads((course / "variants" / "rnn_gradients.json").read_text())
    mine = record["students"]["S007"]["values"]
    assert review["To"] == "Student 7 <s7@example.edu>"
    assert (
        f"(W_rec = {mine['W_rec']}, steps = {mine['steps']}, activation = {mine['activation']})"
        in (review.get_body(("plain",)).get_content())
    )

    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", PASSWORD)
    mailbox = Mailbox()
    controller = start(mailbox, certificate)
    try:
        server = ["--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port)]
        trusting = ["--cafile", str(certificate[0])]
        sending = [*mailing, "--out", str(out), "--send", *server, *trusting]
        code, out_text, _ = run(capsys, *sending)
        assert code == 0 and f"sent {CLASS}, already sent before 0" in out_text
        code, out_text, _ = run(capsys, *sending)
        assert code == 0 and f"sent 0, already sent before {CLASS}" in out_text
    finally:
        controller.stop()
    assert len(mailbox.received) == CLASS
    to_s007 = next(
        m for m in mailbox.received if m["To"].addresses[0].addr_spec == "s7@example.edu"
    )
    [attachment] = list(to_s007.iter_attachments())
    assert attachment.get_filename() == "rnn_gradients.ipynb"
    sent = nbformat.reads(attachment.get_payload(decode=True).decode(), as_version=4)
    assert sent.metadata.grader.variant.student == "S007"


def test_a_name_added_after_release_is_refused_for_those_who_were_released(tmp_path, capsys):
    """Released students keep their values: when an edited notebook uses a parameter they were
    never given, releasing again says so in one line and the record is left as it was."""
    folder = tmp_path / "course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(3))
    assignment = folder / "assignments" / "rnn_gradients"
    with_variants(assignment, VARIANTS.split("[variants.steps]")[0], "With {{W_rec}}")
    notebook = nbformat.read(assignment / "source.ipynb", as_version=4)
    constants = next(c for c in notebook.cells if c.get("id") == "constants")
    constants.source = "W_REC = {{W_rec}}"
    nbformat.write(notebook, assignment / "source.ipynb")
    code, _, _ = assign_per_student(capsys, folder, tmp_path)
    assert code == 0
    record = (folder / "variants" / "rnn_gradients.json").read_bytes()

    toml = assignment / "assignment.toml"
    toml.write_text(toml.read_text() + "[variants.steps]\n" + VARIANTS.split("[variants.steps]")[1])
    constants.source = "W_REC = {{W_rec}}\nSTEPS = {{steps}}"
    nbformat.write(notebook, assignment / "source.ipynb")
    code, _, err = assign_per_student(capsys, folder, tmp_path)
    assert code == 2 and "Traceback" not in err
    assert re.search(
        r"student S000 was released values without steps \(\{'W_rec': [0-9.]+\}\), which the"
        r" notebook now uses; they keep what they were released",
        err,
    ), err
    assert (folder / "variants" / "rnn_gradients.json").read_bytes() == record


def test_one_student_is_said_as_one(tmp_path, capsys):
    """ "1 students" once: the one student added to the roster after [variants] was edited, and
    `grader variants` of a class of one."""
    folder = tmp_path / "course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(3))
    assignment = folder / "assignments" / "rnn_gradients"
    assert assign_per_student(capsys, folder, tmp_path / "r")[0] == 0
    toml = assignment / "assignment.toml"
    toml.write_text(toml.read_text().replace("max = 0.95", "max = 0.9"))
    (folder / "roster.csv").write_text(roster(4))
    code, out, _ = assign_per_student(capsys, folder, tmp_path / "r")
    assert code == 0
    assert re.search(r"\(the current \[variants\]\): 1 student \(S003\)", out), out
    assert "3 students (S000, S001, S002)" in out

    alone = tmp_path / "alone"
    assert main(["init", str(alone)]) == 0
    (alone / "roster.csv").write_text(roster(1))
    code, out, _ = assign_per_student(capsys, alone, tmp_path / "r1")
    assert code == 0 and "Released 1 per-student notebook of rnn_gradients" in out, out
    code, _, err = run(capsys, "variants", str(alone / "assignments" / "rnn_gradients"))
    assert code == 0 and "W_rec: 1 value among 1 student (" in err, err


def test_the_reference_declares_each_kind_of_variant_with_its_keys():
    """The reference's [variants.NAME] table lists every key a kind of parameter takes."""
    declared = ASSIGNMENT_TOML.table("variants.NAME").names
    taken = {"kind", *(key for keys in variant_definition._KEYS.values() for key in keys)}
    assert set(declared) == taken
    assert set(variant_definition.KINDS) == set(variant_definition._KEYS)
