"""Calls to the LMS's LTI services, as the IMS Security Framework has a tool make them.

A token is asked for with the client credentials grant and a JWT assertion signed with the
tool's key (RS256, its ``kid``, a few minutes' expiry, a fresh ``jti``), kept until shortly
before it expires, and asked for again when the LMS answers 401. A 429 or 5xx is tried again
after a pause that doubles (or the LMS's Retry-After). Paged answers are followed by their
``Link: <...>; rel="next"``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import jwt

from grader import limits
from grader.course.lti.platform import Platform
from grader.course.lti.registration import ToolKey
from grader.errors import UserError

SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_NEXT = re.compile(r'<([^>]+)>\s*;[^,]*\brel="?next"?', re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def text(self) -> str:
        """The answer in one line, cut to what the record keeps."""
        words = " ".join(self.body.decode("utf-8", "replace").split())
        return f"{self.status} {words}"[: limits.LTI.answer_chars]

    def next_page(self) -> str | None:
        found = _NEXT.search(self.headers.get("link", ""))
        return found.group(1) if found else None


class Session:
    """One command's conversation with the LMS; counts its requests."""

    def __init__(
        self,
        platform: Platform,
        key: ToolKey,
        jwks_path: str,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.platform = platform
        self.key = key
        self.jwks_path = jwks_path  # named in the message when the LMS refuses the key
        self.sleep = sleep
        self.requests = 0
        self.token_requests = 0
        self._token: str | None = None
        self._token_expires = 0.0

    # --- the token -------------------------------------------------------------------

    def assertion(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self.platform.client_id,
            "sub": self.platform.client_id,
            "aud": self.platform.token_audience,
            "iat": now,
            "exp": now + limits.LTI.assertion_lifetime_s,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid}
        )

    def token(self) -> str:
        if self._token is None or time.time() >= self._token_expires:
            self._token = self._new_token()
        return self._token

    def _new_token(self) -> str:
        form = urlencode(
            {
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.assertion(),
                "scope": " ".join(SCOPES),
            }
        ).encode("ascii")
        self.token_requests += 1
        answer = self._with_retries(
            "POST",
            self.platform.token_url,
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            form,
        )
        data = answer.json() if answer.ok else None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise UserError(
                f"the LMS refused the tool's token request ({answer.text()}): check that it "
                f"holds the key of {self.jwks_path} (kid {self.key.kid}) for client id "
                f"{self.platform.client_id}"
            )
        try:
            lifetime = float(data.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 0.0
        self._token_expires = time.time() + lifetime - limits.LTI.token_margin_s
        return data["access_token"]

    # --- requests --------------------------------------------------------------------

    def call(
        self, method: str, url: str, accept: str, body: Any = None, content_type: str = ""
    ) -> Answer:
        """One service request with the token; a 401 gets a new token and one more try."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        for _ in range(2):
            headers = {"Authorization": f"Bearer {self.token()}", "Accept": accept}
            if content_type:
                headers["Content-Type"] = content_type
            answer = self._with_retries(method, url, headers, data)
            if answer.status != 401:
                return answer
            self._token = None  # expired or revoked: the next try asks for a new one
        raise UserError(
            f"the LMS refused the tool's token for {method} {url} ({answer.text()}): give the "
            "tool the LTI Advantage services (AGS line items and scores, results, NRPS) in the "
            "LMS's registration"
        )

    def pages(self, url: str, accept: str) -> Iterator[Answer]:
        """Each page of a paged list, following rel="next"; a refused page is a UserError."""
        for _ in range(limits.LTI.max_pages):
            answer = self.call("GET", url, accept)
            if not answer.ok:
                raise UserError(f"the LMS refused GET {url} ({answer.text()})")
            yield answer
            following = answer.next_page()
            if not following:
                return
            url = following
        raise UserError(f"the LMS's pages at {url} go on past {limits.LTI.max_pages} pages")

    def _with_retries(
        self, method: str, url: str, headers: dict[str, str], data: bytes | None
    ) -> Answer:
        wait = limits.LTI.backoff_first_s
        for attempt in range(limits.LTI.attempts):
            pause = wait
            try:
                answer = self._send(method, url, headers, data)
            except (URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                # A timeout or a dropped connection may pass; no server or no such host won't.
                passing = isinstance(reason, TimeoutError | ConnectionResetError)
                if not passing or attempt + 1 == limits.LTI.attempts:
                    raise UserError(f"cannot reach the LMS at {url} ({reason})") from None
            else:
                if answer.status != 429 and answer.status < 500:
                    return answer
                if attempt + 1 == limits.LTI.attempts:
                    return answer
                pause = _retry_after(answer, wait)
            self.sleep(min(pause, limits.LTI.backoff_max_s))
            wait *= 2
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(self, method: str, url: str, headers: dict[str, str], data: bytes | None) -> Answer:
        self.requests += 1
        request = Request(url, data=data, headers=headers, method=method)
        try:
            with urlopen(request, timeout=limits.LTI.request_timeout_s) as response:
                return Answer(response.status, _lower(response.headers.items()), response.read())
        except HTTPError as error:
            return Answer(error.code, _lower(error.headers.items()), error.read())


def _lower(items: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


def _retry_after(answer: Answer, default: float) -> float:
    try:
        return max(0.0, float(answer.headers.get("retry-after", "")))
    except ValueError:
        return default
