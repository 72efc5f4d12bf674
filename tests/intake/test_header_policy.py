"""The policy a hand-in's mail is parsed with (grader.intake.message.header_policy) reads every
header as the standard library's default policy reads it, and parses a header line once for
all the messages that carry it: what a message is read as does not change, only its cost."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st
from mailkit import gmail, notebook, outlook, thunderbird

from grader.intake.common import Limits
from grader.intake.message.header_policy import HEADERS_PARSED_ONCE
from grader.intake.message.reading import letter_of, parse_mail
from grader.limits import INTAKE

SENT = datetime(2026, 11, 2, 18, 5, tzinfo=UTC)
NAMES = ("Subject", "From", "To", "Date", "Content-Type", "Content-Disposition", "Message-ID")


def _read(header) -> tuple:  # noqa: ANN001 (any of the header registry's classes)
    """What a reader can ask of a parsed header: its text, class, defects and parsed parts."""
    parts = tuple(
        str(getattr(header, attribute, None))
        for attribute in ("addresses", "datetime", "content_type", "params", "content_disposition")
    )
    return str(header), type(header).__name__, [type(d) for d in header.defects], parts


# Header values as people and programs write them: words of any script, RFC 2047 encoded
# words, addresses with display names or none, dates, parameters, broken syntax.
_word = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
_value = st.one_of(
    _word,
    st.builds(
        lambda n, a: f'"{n}" <{a}@example.edu>', _word, st.from_regex(r"[a-z]{1,8}", fullmatch=True)
    ),
    st.builds(
        lambda w: f"=?utf-8?b?{w}?=", st.from_regex(r"[A-Za-z0-9+/]{0,12}={0,2}", fullmatch=True)
    ),
    st.builds(
        lambda t, n: f'{t}; name="{n}"; charset=utf-8',
        st.sampled_from(["text/plain", "application/x-ipynb+json", "multipart/mixed", "text/"]),
        _word,
    ),
    st.just("Mon, 2 Nov 2026 18:05:00 +0530"),
    st.just("not a date <<>> ;;"),
)


def _outcome(policy, name: str, value: str) -> tuple:  # noqa: ANN001 (an email policy)
    """What reading the header gives: what :func:`_read` sees, or the error the parser raised
    (the standard library's own: ``From: <`` raises IndexError, and the caller says why)."""
    try:
        return _read(policy.header_fetch_parse(name, value))
    except Exception as error:  # noqa: BLE001 (any of the parser's, compared)
        return (type(error).__name__,)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(NAMES), value=_value.filter(lambda v: "\r" not in v and "\n" not in v))
def test_a_header_reads_as_the_default_policy_reads_it_and_again_as_the_same(name, value):
    ours = _outcome(HEADERS_PARSED_ONCE, name, value)
    assert ours == _outcome(email.policy.default, name, value)
    if len(ours) > 1:  # parsed: parsed once
        first = HEADERS_PARSED_ONCE.header_fetch_parse(name, value)
        assert HEADERS_PARSED_ONCE.header_fetch_parse(name, value) is first


def test_a_header_longer_than_a_line_may_be_is_parsed_each_time():
    long = "Re: " + "a " * INTAKE.parsed_header_chars  # RFC 5322: at most 998 on a line
    first = HEADERS_PARSED_ONCE.header_fetch_parse("Subject", long)
    assert first == email.policy.default.header_fetch_parse("Subject", long)
    assert HEADERS_PARSED_ONCE.header_fetch_parse("Subject", long) is not first


def _clients_mail() -> list[EmailMessage]:
    ipynb = notebook("# LSTM gates")
    return [
        gmail("Asha Verma <asha@example.edu>", SENT, "LSTM gates", "Attached.",
              attachments=[("lstm_gates.ipynb", ipynb)]),
        outlook("Rahul Menon <rahul@example.edu>", SENT, "Re: LSTM gates ✓", "Here.", "<p>Hi</p>",
                attachments=[("lstm_gates.ipynb", ipynb, "application/octet-stream")]),
        thunderbird("Priya Nair <priya@example.edu>", SENT, "Gates – Priyā", "Attached.",
                    attachments=[("gätes.ipynb", ipynb)]),
    ]  # fmt: skip


def test_each_clients_mail_is_read_as_with_the_default_policy_twice_over():
    for mail in _clients_mail():
        raw = mail.as_bytes()
        standard = email.message_from_bytes(raw, policy=email.policy.default)
        expected = letter_of(standard, raw, Limits())  # type: ignore[arg-type]
        for _ in range(2):  # the second read takes every header from the first's parse
            assert letter_of(parse_mail(raw), raw, Limits()) == expected
