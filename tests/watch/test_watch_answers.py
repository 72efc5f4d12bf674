"""A numeric answer's right value is never in the feedback ``grader watch`` mails while the
deadline is open (the student may hand in again with it); the score is the same, and
``grader grade``, after the deadline, states it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from imap_kit import needs_dovecot
from mailkit import gmail
from sandbox_fence import FENCE
from variants_kit import answered
from watch_kit import ROSTER, environment, watch_command

from grader.cli import main
from grader.demo import set_this_terms_deadlines

pytestmark = [needs_dovecot, pytest.mark.slow]

ANSWER = "steps_to_vanish"
RIGHT_VALUE_SAID = "the gradient falls below 1e-3 of the last step's after"


def wrong_answer_hand_in(course: Path, tmp_path: Path) -> bytes:
    """chitra's rnn_gradients, every function right, steps_to_vanish one step short."""
    assignment = course / "assignments" / "rnn_gradients"
    assert main(["assign", str(assignment), "--out", str(tmp_path / "release")]) == 0
    (release,) = (tmp_path / "release").rglob("*.ipynb")
    notebook = answered(nbformat.read(release, as_version=4), assignment / "source.ipynb")
    cell = next(c for c in notebook.cells if c.get("id") == "steps-to-vanish")
    cell.source += f"\n{ANSWER} = {ANSWER} - 1\n"
    return nbformat.writes(notebook).encode()


def test_the_watch_keeps_the_right_value_of_a_wrong_answer_to_after_the_deadline(
    imap, smtp, tmp_path
) -> None:
    folder = tmp_path / "lstm-course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    set_this_terms_deadlines(folder / "course.toml")  # the deadline open when the mail is sent
    data = wrong_answer_hand_in(folder, tmp_path)
    imap.deliver(
        gmail(
            "Chitra Iyer <chitra.iyer@example.edu>",
            datetime.now(UTC),
            "Assignment 2",
            "My notebook for assignment 2.",
            attachments=[("rnn_gradients.ipynb", data)],
        ).as_bytes()
    )
    course = folder / "course.toml"
    done = subprocess.run(
        watch_command(course, imap, smtp, "--once"),
        env=environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    mailbox = smtp[0]
    assert len(mailbox.received) == 1, done.stderr
    page = next(mailbox.received[0].iter_attachments()).get_content()
    page = page.decode() if isinstance(page, bytes) else page
    watched = json.loads(
        (tmp_path / "graded" / "rnn_gradients" / "chitra" / "results.json").read_text()
    )
    told = next(t for t in watched["tests"] if t["name"] == ANSWER)
    assert RIGHT_VALUE_SAID not in page and RIGHT_VALUE_SAID not in told["output"]
    assert "given in the feedback after the deadline" in told["output"], told["output"]
    assert "given in the feedback after the deadline" in page

    after = tmp_path / "after-the-deadline"
    notebook = tmp_path / "chitra" / "rnn_gradients.ipynb"
    notebook.parent.mkdir()
    notebook.write_bytes(data)
    graded = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--seed", "5"]
        + ["--assignment", str(folder / "assignments" / "rnn_gradients"), "--out", str(after)]
        + [str(notebook.parent)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert graded.returncode == 0, graded.stderr[-3000:]
    final = json.loads((after / "chitra" / "results.json").read_text())
    stated = next(t for t in final["tests"] if t["name"] == ANSWER)
    assert RIGHT_VALUE_SAID in stated["output"], stated["output"]
    assert (stated["score"], final["score"]) == (told["score"], watched["score"])
    assert 0 < stated["score"] < stated["max_score"]  # the one-step-short rule's part
