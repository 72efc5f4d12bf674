"""The email policy a hand-in's mail is parsed with: the standard library's default one, each
header value parsed once.

The default policy keeps each header as written and parses it again at every read: a message's
Content-Type once for each question asked of it (its type, its boundary, its charset, its file
name), 85 header parses per message of a class's mailbox, 40% of reading it. A parsed header is
immutable (a ``str`` with its parts), so one header line, the same in many messages, is parsed
once and shared.
"""

from __future__ import annotations

import functools
from email.headerregistry import BaseHeader
from email.policy import EmailPolicy

from grader.limits import INTAKE


class _HeadersParsedOnce(EmailPolicy):
    """:data:`email.policy.default`, with a header value's parse kept (by its name and value as
    written) for its next read, in this message or another."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        parsed_already = hasattr(value, "name")
        if parsed_already or len(value) > INTAKE.parsed_header_chars:
            return super().header_fetch_parse(name, value)
        return _parsed(self, name, value)


@functools.lru_cache(maxsize=INTAKE.parsed_headers_kept)
def _parsed(policy: EmailPolicy, name: str, value: str) -> BaseHeader:
    return EmailPolicy.header_fetch_parse(policy, name, value)


HEADERS_PARSED_ONCE = _HeadersParsedOnce()
