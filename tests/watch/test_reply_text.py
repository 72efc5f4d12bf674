"""The watch's reply in the feedback page's order (issue 76): the score rounded, then each
function's points and, for one that lost points, its first hint, read from results.json's
diagnosis as data."""

from __future__ import annotations

import json

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


def test_the_reply_says_the_score_rounded_and_each_lost_functions_hint(tmp_path):
    results = tmp_path / "results.json"
    hint = "lstm_step_backward matches dC = dc + dh * o_t: the path goes through the tanh."
    results.write_text(
        json.dumps(
            {"extra_data": {"hints": {"lstm_step_backward": [{"code": "c", "message": hint}]}}}
        )
    )
    hints = replies.first_hints(results)
    text = replies.feedback_text("LSTM backward", ROW, None, "LSTM course", hints)
    lines = text.splitlines()
    assert "Score: 12.73 / 100" in lines
    step = lines.index("  lstm_step_backward: 10.91")
    assert lines[step + 1] == f"    {hint}"
    assert lines[step + 2] == "  lstm_backward: 1.82"
    assert "12.7272" not in text


def test_a_results_file_that_is_not_the_graders_gives_no_hint(tmp_path):
    for text in ("not json", json.dumps([1, 2]), json.dumps({"extra_data": {"hints": 3}})):
        (tmp_path / "results.json").write_text(text)
        assert replies.first_hints(tmp_path / "results.json") == {}
    assert replies.first_hints(tmp_path / "missing.json") == {}
