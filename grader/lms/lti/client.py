"""Calls to the LMS's LTI services, as the IMS Security Framework has a tool make them.

A token is asked for with the client credentials grant, for the scopes the command uses only
(Canvas refuses the whole token when one is not enabled on its key), and a JWT assertion signed
with the tool's key (RS256, its ``kid``, a few minutes' expiry, a fresh ``jti``); it is kept
until shortly before it expires, and asked for again when the LMS answers 401. A 429, Canvas's
throttle (403 "(Rate Limit Exceeded)"), a 5xx or no answer is tried again after a pause that
doubles (or the LMS's Retry-After), for about a minute at most: then :class:`LmsUnavailable`.
Paged answers are followed by their ``Link: <...>; rel="next"`` (or Moodle's ``rel=“next”``).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import jwt

from grader import limits
from grader.errors import UserError
from grader.lms.lti.platform import Platform
from grader.lms.lti.registration import ToolKey
from grader.lms.lti.scopes import describe_scopes, missing_scopes, scopes_message

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# rel=next, rel="next", Moodle's rel=“next” (its source writes curly quotes, which arrive as
# UTF-8 bytes read as Latin-1), or next among other relations ("next last").
_NEXT = re.compile(
    r"<([^>]+)>[^,<]*;\s*rel\s*=\s*[^,;<]*?(?<![a-z])next(?![a-z])", re.IGNORECASE | re.ASCII
)


class LmsUnavailable(UserError):
    """The LMS kept throttling, failing (5xx) or not answering: nothing it said was a
    refusal; the command stops, and what is left is done by the next run."""

    def later(self, done: str, command: str) -> LmsUnavailable:
        """This stop as its one line ends for the user: what was done, and to run ``command``
        again later (an outage passes; nothing in the course needs changing)."""
        return LmsUnavailable(f"{self}; {done}: run `{command}` again later")


class AnswerLost(Exception):  # noqa: N818 - a condition, not a failure of the tool
    """A request not to be sent twice blindly (a score) got no answer: the LMS may hold it."""


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
        if not words.startswith(str(self.status)):  # Canvas's throttle says "403 Forbidden ..."
            words = f"{self.status} {words}"
        return words[: limits.LTI.answer_chars]

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
        scopes: Sequence[str],
        sleep: Callable[[float], None] = time.sleep,
        notify: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    ):
        self.platform = platform
        self.key = key
        self.jwks_path = jwks_path  # named in the message when the LMS refuses the key
        self.scopes = tuple(scopes)  # what this command uses, and nothing more
        self.sleep = sleep
        self.notify = notify  # what the command waits for, as it waits
        self._failing_since: float | None = None  # the LMS's first unrecovered failure
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
                "scope": " ".join(self.scopes),
            }
        ).encode("ascii")
        self.token_requests += 1
        answer = self._with_retries(
            "POST",
            self.platform.token_url,
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            form,
            once=False,
        )
        data = answer.json() if answer.ok else None
        refused = missing_scopes(self.scopes, answer)
        if refused:
            raise UserError(scopes_message(refused, answer))
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
        self,
        method: str,
        url: str,
        accept: str,
        body: Any = None,
        content_type: str = "",
        once: bool = False,
    ) -> Answer:
        """One service request with the token; a 401 gets a new token and one more try.
        ``once``: not resent when its answer is lost (:class:`AnswerLost`)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        for _ in range(2):
            headers = {"Authorization": f"Bearer {self.token()}", "Accept": accept}
            if content_type:
                headers["Content-Type"] = content_type
            answer = self._with_retries(method, url, headers, data, once)
            if answer.status != 401:
                return answer
            self._token = None  # expired or revoked: the next try asks for a new one
        raise UserError(
            f"the LMS refused the tool's token for {method} {url} ({answer.text()}): give the "
            f"tool {describe_scopes(self.scopes)} in the LMS's registration"
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
        self, method: str, url: str, headers: dict[str, str], data: bytes | None, once: bool
    ) -> Answer:
        """The LMS's answer; 429, a throttle's 403, 5xx and no answer are tried again (see
        :class:`~grader.limits.LtiLimits`). ``once``: a request not to be sent twice blindly
        (a score), whose lost answer raises :class:`AnswerLost`."""
        wait = limits.LTI.backoff_first_s
        for attempt in range(limits.LTI.attempts):
            started = time.monotonic()
            try:
                answer = self._send(method, url, headers, data)
            except (URLError, OSError, HTTPException) as error:
                reason = getattr(error, "reason", error)
                # A timeout or a dropped connection (before or halfway through the answer: a
                # proxy giving up) may pass; no server or no such host won't.
                if not isinstance(reason, TimeoutError | ConnectionResetError | HTTPException):
                    raise LmsUnavailable(f"cannot reach the LMS at {url} ({reason})") from None
                why = _no_answer(reason)
                if once:
                    self._failing(started)
                    raise AnswerLost(f"{method} {url}: {why}") from None
                pause = wait
            else:
                why = f"answered {answer.text()}"
                if not _unavailable(answer):
                    self._failing_since = None
                    return answer
                pause = _retry_after(answer, wait)
            pause = min(pause, limits.LTI.backoff_max_s)
            if not self._may_retry(attempt, pause, started):
                raise LmsUnavailable(_gave_up(method, url, why, attempt + 1))
            if attempt == 0:
                self.notify(
                    f"note: the LMS {why} to {method} {url}: trying again for up to "
                    f"{limits.LTI.give_up_s:g} s"
                )
            self.sleep(pause)
            wait *= 2
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _failing(self, started: float) -> float:
        """Seconds since the first failed try the LMS has not recovered from (this one, which
        began at ``started``, if none before)."""
        if self._failing_since is None:
            self._failing_since = started
        return time.monotonic() - self._failing_since

    def _may_retry(self, attempt: int, pause: float, started: float) -> bool:
        latest_start = limits.LTI.give_up_s - limits.LTI.request_timeout_s
        failing = self._failing(started)
        return attempt + 1 < limits.LTI.attempts and failing + pause <= latest_start

    def _send(self, method: str, url: str, headers: dict[str, str], data: bytes | None) -> Answer:
        self.requests += 1
        request = Request(url, data=data, headers=headers, method=method)
        # An LMS slow to answer: say what the command is waiting for, once it has waited.
        notice = threading.Timer(
            limits.LTI.slow_notice_s,
            self.notify,
            [
                f"note: waiting for the LMS to answer {method} {url} "
                f"({limits.LTI.slow_notice_s:g} s so far; a try ends after "
                f"{limits.LTI.request_timeout_s:g} s, the command after "
                f"{limits.LTI.give_up_s:g} s without an answer)"
            ],
        )
        notice.daemon = True
        notice.start()
        try:
            with urlopen(request, timeout=limits.LTI.request_timeout_s) as response:
                return Answer(response.status, _lower(response.headers.items()), response.read())
        except HTTPError as error:
            return Answer(error.code, _lower(error.headers.items()), error.read())
        finally:
            notice.cancel()


def _lower(items: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


def _retry_after(answer: Answer, default: float) -> float:
    try:
        return max(0.0, float(answer.headers.get("retry-after", "")))
    except ValueError:
        return default


def _unavailable(answer: Answer) -> bool:
    """Too many requests (429, or Canvas's throttle: 403 "(Rate Limit Exceeded)" with
    ``X-Rate-Limit-Remaining: 0.0``) or the LMS's fault (5xx): nothing was refused."""
    return answer.status == 429 or answer.status >= 500 or throttled(answer)


def throttled(answer: Answer) -> bool:
    if answer.status != 403:
        return False
    if b"rate limit exceeded" in answer.body.lower():
        return True
    try:
        return float(answer.headers.get("x-rate-limit-remaining", "")) <= 0
    except ValueError:
        return False


def _no_answer(reason: BaseException) -> str:
    if isinstance(reason, TimeoutError):
        return f"gave no answer in {limits.LTI.request_timeout_s:g} s"
    return f"dropped the connection without an answer ({reason})"


def _gave_up(method: str, url: str, why: str, tries: int) -> str:
    return f"the LMS is not answering: it {why} to {method} {url} ({tries} tries)"
