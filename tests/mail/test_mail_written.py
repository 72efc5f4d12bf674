"""The feedback mail tells each student their written answers' marks and the marker's comments,
"not marked yet" where no one has marked them (never a 0), and never the marker's name in a
blind course: sent by `grader mail --send` to a real SMTP server on loopback (issue 39)."""

from __future__ import annotations

import pytest
from smtp_kit import PASSWORD, USER, Mailbox, mail_args, make_certificate, start
from written_kit import QUESTION, written_course

from grader import cli
from grader.course.config import load_course
from grader.gradebook.course_book import CourseBook
from grader.marking.written_marks import criterion_of

MARKER = "Kiran Rao"  # the TA of written_kit's roster


@pytest.fixture(scope="module")
def sent(tmp_path_factory) -> dict[str, tuple[str, str]]:
    """Each student's mail (plain text, HTML) as the loopback server received it."""
    base = tmp_path_factory.mktemp("mail-written")
    toml, out = written_course(base, blind=True)
    with CourseBook(out / "gradebook.sqlite") as book:
        criterion = criterion_of(QUESTION)
        book.set_mark(
            "CS21B042", "lstm_gates", criterion, 2, "Right: C_{t-1} kept whole.", by=MARKER
        )
        book.set_mark("ME21B099", "lstm_gates", criterion, 0, "No answer given.", by=MARKER)
        # EE21B017's answer is not marked
    certificate = make_certificate(base)
    mailbox = Mailbox()
    controller = start(mailbox, certificate)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", PASSWORD)
    try:
        assert cli.main(mail_args(load_course(toml), out, controller, certificate)) == 0
    finally:
        controller.stop()
        monkeypatch.undo()
    return {
        message["To"].addresses[0].addr_spec.split(".")[0]: (
            message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content(),
        )
        for message in mailbox.received
    }


def test_a_marked_answer_gives_its_points_and_the_markers_comment(sent):
    text, html = sent["asha"]
    assert f"  {QUESTION}: 2/2: Right: C_{{t-1}} kept whole." in text
    assert "Right: C_{t-1} kept whole." in html and "2/2" in html


def test_an_unmarked_answer_is_not_marked_yet_never_a_zero(sent):
    text, html = sent["bhavin"]
    assert f"  {QUESTION}: not marked yet" in text
    assert f"{QUESTION}: 0" not in text
    assert "not marked yet" in html and "0/2" not in html
    # a marked 0 is a 0, with its comment
    assert f"  {QUESTION}: 0/2: No answer given." in sent["chitra"][0]


def test_a_blind_course_never_names_the_marker(sent):
    for text, html in sent.values():
        for part in MARKER.split():
            assert part not in text and part not in html
