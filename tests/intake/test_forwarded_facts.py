"""A forward of the feedback mail (a new thread: no In-Reply-To) read as each client writes it:
the student's own words above the marker, the quoted headers and message below it."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from grader.intake.message.reply_text import reply_facts

QUOTED = (
    "From: LSTM Course <course@example.edu>\nDate: Mon, 23 Nov 2026 10:00\n"
    "Subject: Re: lstm_gates\nTo: asha@example.edu\n\nScore: 80 / 100\n  forget_gate: 5\n"
)


def _headers(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["Message-ID"] = "<fwd@example.edu>"
    return message


@pytest.mark.parametrize(
    ("marker", "subject"),
    [
        ("---------- Forwarded message ---------", "Fwd: Re: lstm_gates"),  # Gmail
        ("-------- Forwarded Message --------", "Fwd: Re: lstm_gates"),  # Thunderbird
        ("Begin forwarded message:", "Fwd: Re: lstm_gates"),  # Apple Mail
        ("________________________________", "FW: Re: lstm_gates"),  # Outlook
        ("---------- Weitergeleitete Nachricht ----------", "WG: Re: lstm_gates"),
    ],
)
def test_a_forward_is_read_with_its_quoted_headers(marker: str, subject: str) -> None:
    text = f"please regrade forget_gate\n\n{marker}\n{QUOTED}"
    facts = reply_facts(_headers(subject), text, "")
    assert facts is not None and facts.in_reply_to == "" and facts.references == ""
    assert facts.words == "please regrade forget_gate"
    assert "Subject: Re: lstm_gates" in facts.forwarded and "Score: 80" in facts.forwarded


def test_an_apple_mail_forward_in_html_only_is_read_too() -> None:
    html = (
        '<html><body><div>please regrade forget_gate</div><div><br><blockquote type="cite">'
        "<div>Begin forwarded message:</div><br><div><b>Subject: </b>Re: lstm_gates</div>"
        "<div>Score: 80 / 100</div></blockquote></div></body></html>"
    )
    facts = reply_facts(_headers("Fwd: Re: lstm_gates"), "", html)
    assert facts is not None and facts.words == "please regrade forget_gate"
    assert "Subject: Re: lstm_gates" in facts.forwarded


def test_a_new_message_is_no_reply() -> None:
    assert reply_facts(_headers("lstm_gates"), "my notebook is attached", "") is None
