"""Every value a request brings in, checked in one place: each bad one is a 4xx with a message
saying what to send instead, never an exception from deep inside a handler.

A POST's body is read once, by the gate (:mod:`grader.web.gate`), up to :data:`WEB.body_bytes`,
and parsed here into a :class:`Posted`; handlers read that, never the raw body.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException

from grader.limits import WEB

FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"


class BadRequest(HTTPException):
    """A request the dashboard will not act on; the detail says why, for the person sending it."""

    def __init__(self, detail: str, status: int = 400):
        super().__init__(status, detail)


def ascii_token(value: str | bytes | None) -> bytes | None:
    """A token as bytes to compare with ``hmac.compare_digest``; None when it cannot be one
    (absent, too long, or not printable ASCII), so a strange token is simply a wrong one."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.isascii():
            return None
        value = value.encode("ascii")
    raw = value
    if not raw or len(raw) > WEB.token_chars or not all(0x21 <= b <= 0x7E for b in raw):
        return None
    return raw


def points(text: object) -> float | None:
    """Points as the form or the page's script sends them: "" clears the mark; "2,5" is 2.5."""
    if text is None:
        return None
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise BadRequest("points must be a number, or empty to clear the mark")
    cleaned = str(text).strip().replace(",", ".")
    if cleaned == "":
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise BadRequest(f"points {cleaned[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise BadRequest("points must be a finite number")
    return value


def comment(text: object) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        raise BadRequest("a comment must be text")
    if len(text) > WEB.comment_chars:
        raise BadRequest(
            f"a comment of {len(text):,} characters is too long: keep it under "
            f"{WEB.comment_chars:,} (put longer feedback in a file for the student)"
        )
    return text


def text_field(value: object, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > WEB.token_chars:
        raise BadRequest(f"send {name} as a short text")
    return value


@dataclass(frozen=True)
class Posted:
    """A POST's fields: a form's (last value of each name) or a JSON object's."""

    fields: dict[str, object]

    def get(self, name: str, default: object = None) -> object:
        return self.fields.get(name, default)

    def text(self, name: str) -> str:
        return text_field(self.fields.get(name), name)


def parse_body(content_type: str, body: bytes) -> Posted:
    """The fields of a POST body; 415 for a kind of body the dashboard never sends."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return Posted({})
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request's body is not UTF-8 text") from None
    if kind == FORM_TYPE:
        try:
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=WEB.fields)
        except ValueError:
            raise BadRequest(f"a form has at most {WEB.fields} fields") from None
        return Posted(dict(pairs))
    if kind == JSON_TYPE:
        try:
            document = json.loads(text)
        except ValueError:
            raise BadRequest("the request's body is not valid JSON") from None
        if not isinstance(document, dict):
            raise BadRequest("send a JSON object")
        return Posted(document)
    raise BadRequest(
        f"the dashboard takes forms ({FORM_TYPE}) and JSON ({JSON_TYPE}), not {kind or 'nothing'}",
        status=415,
    )
