"""A message's identity across grader versions (issue 71): graders before 0.2 (284a878) made it
without the digest of the message's parts, so a regrade request they recorded was filed again as
a new one when the upgraded grader read the same reply. A message knows the identities earlier
graders gave it, and the request book finds what they recorded under them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from mailkit import gmail
from regrade_kit import add_request

from grader.intake.common import Limits
from grader.intake.message.reading import Letter, read_letter
from grader.regrades.book import RequestBook

SENT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def identity_as_284a878(letter: Letter) -> str:
    """Letter.identity as 284a878 computed it: the same, without the parts' digest."""
    return dataclasses.replace(letter, parts="").identity


def _reply() -> Letter:
    mail = gmail(
        "Bhavin Patel <bhavin.patel@example.edu>",
        SENT,
        "Re: lstm_gates: your marks",
        "regrade lstm_cell: my cell passes the equation.",
        attachments=[("notes.txt", b"h_t = o_t * tanh(C_t)\n")],
    )
    return read_letter(mail.as_bytes(), Limits())


def test_a_message_knows_the_identity_earlier_graders_gave_it():
    letter = _reply()
    assert letter.identity != identity_as_284a878(letter)  # the parts' digest is in it now
    assert identity_as_284a878(letter) in letter.earlier_identities


def test_a_request_an_earlier_grader_filed_is_not_filed_again(tmp_path):
    letter = _reply()
    book = tmp_path / "gradebook.sqlite"
    number = add_request(book, "bhavin", "lstm_gates", ("lstm_cell",), "regrade lstm_cell",
                         identity=identity_as_284a878(letter), state="accepted")  # fmt: skip
    with RequestBook(book) as requests:
        found, new = requests.add(
            letter.earlier_identities,
            identity=letter.identity,
            student="bhavin",
            component="lstm_gates",
            parts=("lstm_cell",),
            message="regrade lstm_cell",
            received_at="2026-11-23T10:00:00+00:00",
            feedback_id="feedback@example.edu",
            feedback_sent_at="2026-11-22T10:00:00+00:00",
            window_closes="2026-12-06T10:00:00+00:00",
            message_id=letter.message_id,
            refs="",
            subject=letter.subject,
            recipient="Bhavin Patel <bhavin.patel@example.edu>",
            state="open",
        )
        assert (found.id, found.state, new) == (number, "accepted", False)
        assert len(requests.all()) == 1
