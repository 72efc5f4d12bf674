"""``Authentication-Results`` headers (RFC 8601): what a receiving mail server found of a
message's sender (SPF, DKIM, DMARC), read from the one server the course trusts.

A header reads ``authserv-id [version]; method=result [reason=...] [ptype.property=value ...];
...`` with comments in parentheses anywhere. Any sender can write such headers into their own
message; the receiving server then adds its own on top (RFC 8601 §5: it should also remove
forged ones bearing its own id, which not every server does). So only the topmost header
bearing the trusted authserv-id counts; those below it (the sender's, or a hop's before the
trusted server) and those naming another server are ignored.

Exchange Online writes its header with no authserv-id at all (``spf=pass (sender IP is ...)
smtp.mailfrom=...; dkim=...; dmarc=pass action=none header.from=...; compauth=...``): a course
whose mail Exchange Online receives trusts the topmost header without one
(:data:`EXCHANGE_ONLINE`).
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

RESULTS_HEADER = "Authentication-Results"
EXCHANGE_ONLINE = "exchange-online"  # the trusted id that means Microsoft's header without one
_METHOD = re.compile(r"^([A-Za-z0-9_-]+)(?:/\d+)?\s*=\s*([A-Za-z0-9_-]+)\s*(.*)$", re.DOTALL)
_PROPERTY = re.compile(r'([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)')


@dataclass(frozen=True)
class Result:
    """One ``method=result`` of a header, with its properties (``header.from``,
    ``smtp.mailfrom``, ``reason``, ``header.d``: lower-case names)."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthResults:
    """One header: who wrote it (``authserv_id``, '' for Exchange Online's) and its results."""

    authserv_id: str
    results: tuple[Result, ...]

    def of(self, method: str) -> list[Result]:
        return [result for result in self.results if result.method == method]


def _without_comments(text: str) -> str:
    """``text`` with its comments (nested parentheses, outside quoted strings) made spaces."""
    out, depth, quoted, escaped = [], 0, False, False
    for char in text:
        if escaped:
            escaped = False
            out.append(char if depth == 0 else " ")
            continue
        if char == "\\":
            escaped = True
            out.append(char if depth == 0 else " ")
        elif quoted:
            quoted = char != '"'
            out.append(char)
        elif char == "(":
            depth += 1
            out.append(" ")
        elif char == ")" and depth:
            depth -= 1
            out.append(" ")
        elif depth:
            out.append(" ")
        else:
            quoted = char == '"'
            out.append(char)
    return "".join(out)


def _split(text: str) -> list[str]:
    """The clauses between semicolons that are not inside quoted strings."""
    clauses: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            clauses.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    clauses.append("".join(current).strip())
    return clauses


def _result(clause: str) -> Result | None:
    found = _METHOD.match(clause)
    if found is None:
        return None
    properties = {
        name.lower(): value.strip('"') for name, value in _PROPERTY.findall(found.group(3))
    }
    return Result(found.group(1).lower(), found.group(2).lower(), properties)


def parse(header: str) -> AuthResults | None:
    """One header's value read; None when it is not one (no id and no result)."""
    clauses = _split(" ".join(_without_comments(header).split()))
    first = clauses[0]
    if _METHOD.match(first):  # Exchange Online: no authserv-id, a result first
        authserv_id, rest = "", clauses
    else:
        words = first.split()
        if not words:
            return None
        authserv_id, rest = words[0].strip('"').lower(), clauses[1:]
    if rest == ["none"]:  # RFC 8601: "no-result"
        return AuthResults(authserv_id, ())
    results = tuple(r for clause in rest if clause and (r := _result(clause)) is not None)
    if not authserv_id and not results:
        return None
    return AuthResults(authserv_id, results)


def results_of(message: email.message.Message) -> list[str]:
    """A message's ``Authentication-Results`` headers, in their order in it (top first)."""
    return [str(header) for header in message.get_all(RESULTS_HEADER, [])]


def trusted_results(headers: Sequence[str], trusted: str) -> AuthResults | None:
    """The topmost header (``headers`` in their order in the message, top first) of the
    trusted server, or None when no header bears its id."""
    wanted = "" if trusted.lower() == EXCHANGE_ONLINE else trusted.lower()
    for header in headers:
        found = parse(header)
        if found is not None and found.authserv_id == wanted:
            return found
    return None


def receiving_server(headers: Sequence[str]) -> str:
    """The authserv-id of the topmost header (``headers`` top first): the server that received
    the message into the mailbox, as ``trusted_authserv_id`` names it (:data:`EXCHANGE_ONLINE`
    for Microsoft's header without one); '' when there is none to read."""
    found = parse(headers[0]) if headers else None
    if found is None:
        return ""
    return found.authserv_id or EXCHANGE_ONLINE


def unchecked_senders(servers: Sequence[str]) -> str:
    """The one receiving server on top of every message of ``servers`` (each message's
    :func:`receiving_server`), which a course that trusts none should trust; '' when there is
    not one on every message."""
    found = set(servers)
    return found.pop() if len(found) == 1 and "" not in found else ""


def unchecked_line(server: str, course_file: Path) -> str:
    """What a course that trusts no receiving server is told when ``server``'s
    Authentication-Results top every message of its mailbox."""
    return (
        f"senders are not checked: every message carries {server}'s Authentication-Results on "
        f'top, but {course_file} trusts no receiving server. Set trusted_authserv_id = "{server}" '
        "under [mail] there, so that a hand-in whose From: is forged is refused, not only "
        "flagged unsigned"
    )


def failed_sender_note(server: str, why: str, course_file: Path | str = "course.toml") -> str:
    """What a course that trusts no receiving server is told of a hand-in whose receiving
    server (``server``, on top of the message) says its sender failed (``why``): in index.csv's
    notes, and in collect's and watch's output."""
    return (
        f"{why} (the Authentication-Results on top of the message): it may be forged, ask the "
        f"student whether they sent it. {course_file} trusts no receiving server, so it was "
        f'filed as theirs: set trusted_authserv_id = "{server}" under [mail] there to refuse '
        "such a hand-in"
    )


def sender_warnings(
    server_on_top: str, failed: Sequence[tuple[str, str, str, str]], course_file: Path | None
) -> list[str]:
    """collect's warnings to a course that trusts no receiving server: ``server_on_top``'s
    results top every message (:func:`unchecked_line`, for a course's collect), and each
    hand-in of ``failed`` (source, filed for, server, why) whose server says its sender failed."""
    lines = [unchecked_line(server_on_top, course_file)] if server_on_top and course_file else []
    for source, student, server, why in failed:
        note = failed_sender_note(server, why, course_file or "course.toml")
        lines.append(f"{source}, filed for {student}: {note}")
    return lines
