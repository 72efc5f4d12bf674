"""The dashboard's "most frequent mistakes" never claims a cause a student does not have: every
row is backed by each listed student's own diagnosis, word for word."""

from __future__ import annotations

import json
from pathlib import Path

from course_kit import auto_result, make_course

from grader.web.classview import auto_view


def _told(out: Path, student: str, hints: dict[str, list[tuple[str, str]]]) -> None:
    """A graded student's results.json, its diagnosis where the grader writes it."""
    folder = out / "lstm_gates" / student
    folder.mkdir(parents=True)
    document = {
        "score": 70,
        "tests": [{"name": f, "score": 0, "max_score": 15} for f in hints],
        "extra_data": {
            "hints": {
                f: [{"code": c, "message": m} for c, m in pairs] for f, pairs in hints.items()
            }
        },
    }
    (folder / "results.json").write_text(json.dumps(document), encoding="utf-8")


def test_two_students_whose_parts_differ_are_never_one_row(tmp_path):
    course, _ = make_course(tmp_path)
    out = tmp_path / "out"
    told = {
        "CS21B042": {
            "forget_gate": [("tanh-for-sigmoid", "forget_gate matches tanh")],
            "lstm_cell": [("wrong-part", "lstm_cell fails where forget_gate is wrong")],
        },
        "EE21B017": {
            "input_gate": [("missing-bias", "input_gate matches the gate without its bias")],
            "hidden_state": [("o-times-C", "the hidden state matches o * C")],
            "lstm_cell": [
                ("wrong-part", "lstm_cell fails where input_gate and hidden_state are wrong")
            ],
        },
        "ME21B103": {
            "forget_gate": [("tanh-for-sigmoid", "forget_gate matches tanh")],
            "lstm_cell": [("wrong-part", "lstm_cell fails where forget_gate is wrong")],
        },
    }
    for student, hints in told.items():
        auto_result(out, "lstm_gates", student, 70)
        _told(out, student, hints)
    component = next(c for c in course.components if c.id == "lstm_gates")
    rows = auto_view(course, out, component).mistakes
    for row in rows:
        for student in row.students:
            said = {pair for pairs in told[student].values() for pair in pairs}
            assert (row.code, row.message) in said, (row.message, student)
    blamed = [row for row in rows if row.code == "wrong-part"]
    assert sorted((row.message, tuple(row.students)) for row in blamed) == [
        ("lstm_cell fails where forget_gate is wrong", ("CS21B042", "ME21B103")),
        ("lstm_cell fails where input_gate and hidden_state are wrong", ("EE21B017",)),
    ]
    assert rows[0].count == 2
