"""A reply's own words, without the message it answers, as each client quotes it: what makes
"thanks!" under a quoted feedback mail (which names every graded function) no regrade request."""

from __future__ import annotations

import pytest

from grader.intake.message.reply_text import new_text

FEEDBACK = "Score: 70 / 100\n  lstm_cell: 0\n  forget_gate: 10"


@pytest.mark.parametrize(
    ("text", "html", "words"),
    [
        (  # Gmail, its attribution wrapped over two lines
            "thanks!\n\nOn Mon, 23 Nov 2026 at 10:00, LSTM course <ta@example.edu>\nwrote:\n\n"
            + "\n".join(f"> {line}" for line in FEEDBACK.splitlines()),
            "",
            "thanks!",
        ),
        (  # Outlook desktop, plain text
            "regrade lstm_cell: it passes\n\n-----Original Message-----\nFrom: LSTM course\n"
            "Sent: Monday\n" + FEEDBACK,
            "",
            "regrade lstm_cell: it passes",
        ),
        (  # Outlook on the web: a rule, then From:/Sent:, the feedback unmarked
            "thanks!\n\n________________________________\nFrom: LSTM course <ta@example.edu>\n"
            "Sent: Monday, November 23, 2026 10:00 AM\nTo: Asha\n\n" + FEEDBACK,
            "",
            "thanks!",
        ),
        (  # bottom posting with a signature
            "> lstm_cell: 0\nregrade lstm_cell please, it passes\n-- \nAsha\nlstm_cell fan",
            "",
            "regrade lstm_cell please, it passes",
        ),
        (  # Outlook desktop, HTML only: the header block in a bordered div, no id
            "",
            "<html><body><p class=MsoNormal>thanks!</p><div style='border:none;border-top:solid"
            " #E1E1E1 1.0pt'><p class=MsoNormal><b>From:</b> LSTM course<br><b>Sent:</b> Monday"
            "<br><b>To:</b> Asha</p></div><p>lstm_cell: 0</p></body></html>",
            "thanks!",
        ),
        (  # Apple Mail, HTML only
            "",
            '<html><body dir="auto">thanks!<br><div><br><blockquote type="cite"><div>On 23 Nov'
            " 2026, at 10:00, LSTM course wrote:</div>lstm_cell: 0</blockquote></div>"
            "</body></html>",
            "thanks!",
        ),
        (  # Gmail's HTML (its plain part missing)
            "",
            '<div dir="ltr">thanks!</div><div class="gmail_quote"><div class="gmail_attr">On Mon'
            ' wrote:</div><blockquote class="gmail_quote">lstm_cell: 0</blockquote></div>',
            "thanks!",
        ),
    ],
)
def test_the_quoted_feedback_is_left_out(text: str, html: str, words: str) -> None:
    assert new_text(text, html) == words
