"""The watch's reply in the feedback page's order (issue 76): the score rounded to the course's
decimals, then each function's points and, for one that lost points, what to fix (the page's
words), read from results.json's data."""

from __future__ import annotations

import json

from grader.feedback.fixes import fixes_in
from grader.gradebook.results import Row
from grader.watch import replies

ROW = Row(
    "asha",
    "asha.ipynb",
    "0" * 64,
    7,
    "graded",
    None,
    12.727272,
    100,
    False,
    {"lstm_step_backward": 10.909090, "lstm_backward": 1.818181},
)


HINT = "lstm_step_backward matches dC = dc + dh * o_t: the path goes through the tanh."
TESTS = [
    {"name": "lstm_step_backward", "score": 10.90909, "max_score": 12, "status": "failed"},
    {"name": "lstm_backward", "score": 1.818181, "max_score": 2, "status": "failed"},
]


def test_the_reply_says_the_score_rounded_and_each_lost_functions_fix(tmp_path):
    results = tmp_path / "results.json"
    fix = {"lstm_step_backward": HINT}  # lstm_backward: no words kept, none said
    results.write_text(json.dumps({"tests": TESTS, "extra_data": {"fix": fix}}))
    fixes = fixes_in(results)
    text = replies.feedback_text("LSTM backward", ROW, None, "LSTM course", fixes)
    lines = text.splitlines()
    assert "Score: 12.73 / 100" in lines
    step = lines.index("  lstm_step_backward: 10.91")
    assert lines[step + 1] == f"    {HINT}"
    assert lines[step + 2] == "  lstm_backward: 1.82"
    assert "12.7272" not in text
    one = replies.feedback_text("LSTM backward", ROW, None, "LSTM course", fixes, decimals=1)
    assert "Score: 12.7 / 100" in one.splitlines() and "  lstm_step_backward: 10.9" in one


def test_a_results_file_written_before_fix_was_kept_gives_the_first_hint(tmp_path):
    results = tmp_path / "results.json"
    hints = {"lstm_step_backward": [{"code": "c", "message": HINT}, {"code": "d", "message": "x"}]}
    results.write_text(json.dumps({"tests": TESTS, "extra_data": {"hints": hints}}))
    assert [(f.function, f.words) for f in fixes_in(results)] == [("lstm_step_backward", HINT)]


def test_a_results_file_that_is_not_the_graders_gives_no_hint(tmp_path):
    for text in ("not json", json.dumps([1, 2]), json.dumps({"extra_data": {"hints": 3}})):
        (tmp_path / "results.json").write_text(text)
        assert fixes_in(tmp_path / "results.json") == []
    assert fixes_in(tmp_path / "missing.json") == []
