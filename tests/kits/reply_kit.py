"""Replies to a feedback mail as Gmail, Outlook and Apple Mail write them: the thread headers
(In-Reply-To, References), the new text on top and the feedback quoted below it, each client's
way (Gmail: "On ... wrote:" and ``>`` lines, a gmail_quote in the HTML; Outlook: a rule and
the From:/Sent: block, the quote unmarked, divRplyFwdMsg in the HTML; Apple Mail: HTML only,
the quote in a ``<blockquote type="cite">``)."""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape

from mailkit import gmail, outlook

_SMTP = email.policy.SMTP


def _thread(reply: EmailMessage, feedback: EmailMessage) -> EmailMessage:
    references = " ".join([*str(feedback.get("References", "")).split(), feedback["Message-ID"]])
    reply["In-Reply-To"] = feedback["Message-ID"]
    reply["References"] = references
    return reply


def _quoted_text(feedback: EmailMessage) -> str:
    return feedback.get_body(("plain",)).get_content()


def gmail_reply(sender: str, feedback: EmailMessage, words: str, **extra) -> EmailMessage:
    quoted = _quoted_text(feedback)
    when = format_datetime(datetime.now(UTC))
    attribution = f"On {when}, {feedback['From']} wrote:"
    text = f"{words}\n\n{attribution}\n\n" + "\n".join(f"> {line}" for line in quoted.splitlines())
    html = (
        f'<div dir="ltr">{escape(words)}</div><br><div class="gmail_quote">'
        f'<div dir="ltr" class="gmail_attr">{escape(attribution)}<br></div>'
        f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
        f"{escape(quoted).replace(chr(10), '<br>')}</blockquote></div>"
    )
    mail = gmail(
        sender, datetime.now(UTC), "Re: " + str(feedback["Subject"]), text, html=html, **extra
    )
    return _thread(mail, feedback)


def outlook_reply(sender: str, feedback: EmailMessage, words: str) -> EmailMessage:
    quoted = _quoted_text(feedback)
    header = (
        f"From: {feedback['From']}\nSent: Monday, November 23, 2026 10:00 AM\n"
        f"To: {feedback['To']}\nSubject: {feedback['Subject']}"
    )
    text = f"{words}\n\n________________________________\n{header}\n\n{quoted}"
    html = (
        '<html><head><style>p.MsoNormal{margin:0}</style></head><body><div class="elementToProof">'
        f'{escape(words)}</div><div id="appendonsend"></div><hr style="display:inline-block">'
        f'<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> {escape(str(feedback["From"]))}<br>'
        f"<b>Sent:</b> Monday, November 23, 2026 10:00 AM</div>"
        f"<div>{escape(quoted).replace(chr(10), '<br>')}</div></body></html>"
    )
    mail = outlook(sender, datetime.now(UTC), "RE: " + str(feedback["Subject"]), text, html)
    return _thread(mail, feedback)


def apple_mail_reply(sender: str, feedback: EmailMessage, words: str) -> EmailMessage:
    """Apple Mail with rich text: an HTML body only."""
    quoted = escape(_quoted_text(feedback)).replace("\n", "<br>")
    mail = EmailMessage(policy=_SMTP)
    mail["From"] = sender
    mail["Subject"] = "Re: " + str(feedback["Subject"])
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["To"] = str(feedback["From"])
    mail["Message-ID"] = make_msgid(domain="icloud.com")
    mail["X-Mailer"] = "Apple Mail (2.3774.200.91.1.1)"
    mail["Mime-Version"] = "1.0 (Mac OS X Mail 16.0)"
    mail.set_content(
        f'<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
        f'<body style="overflow-wrap: break-word;" dir="auto">{escape(words)}<br id="lineBreak">'
        f'<div><br><blockquote type="cite"><div>On 23 Nov 2026, at 10:00, '
        f"{escape(str(feedback['From']))} wrote:</div><br><div>{quoted}</div></blockquote></div>"
        "</body></html>",
        subtype="html",
    )
    return _thread(mail, feedback)


def gmail_forward(sender: str, feedback: EmailMessage, words: str) -> EmailMessage:
    """A forward of the feedback as Gmail writes it: a new thread (no In-Reply-To), the words
    on top, then "---------- Forwarded message ---------" and the quoted headers and text,
    the feedback's pages attached again."""
    header = (
        f"---------- Forwarded message ---------\nFrom: {feedback['From']}\n"
        f"Date: {feedback['Date']}\nSubject: {feedback['Subject']}\nTo: {feedback['To']}\n"
    )
    text = f"{words}\n\n{header}\n\n{_quoted_text(feedback)}"
    pages = [
        (str(part.get_filename()), part.get_payload(decode=True))
        for part in feedback.iter_attachments()
        if (part.get_filename() or "").endswith("-feedback.html")
    ]
    subject = "Fwd: " + str(feedback["Subject"])
    return gmail(sender, datetime.now(UTC), subject, text, attachments=pages)
