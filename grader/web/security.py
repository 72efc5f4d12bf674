"""Who may use the dashboard: the token printed at start, a session cookie, CSRF on every POST,
and only the host names this server is reached by.

``grader serve`` prints its address and, apart from it, a random token. The login page takes the
token in a POSTed form, so it is in no address and never in the browser's history; a correct
token sets a session cookie (HttpOnly, SameSite=Strict, Secure over TLS). A link with
``?token=`` (an old bookmark, a shared link; on any page, the login page too) never logs in,
even with the right token: the browser's own list of visited addresses keeps the link as typed
(no answer of a server can take it out), so anyone with the browser profile could use it; it is
answered with the login form, which goes on to the page the link named. Scripts send the token
in an ``Authorization: token <token>`` header instead. Every POST by a browser carries the CSRF
token of its session (a hidden form field, or the ``X-CSRF-Token`` header of the page's own
fetches), whatever the kind of its body (a JSON text posted as ``text/plain``, which any page
may send cross-site, is refused as CSRF, not as an unknown type); only a request that itself
carries the access token in ``Authorization`` needs none, since a foreign page cannot know it. A
cross-site ``Origin`` is refused outright, and so is a ``Host`` header naming another server
(the defence against DNS rebinding Jupyter's server has).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from grader.templating import render
from grader.web.inputs import ascii_token

SESSION_COOKIE = "grader_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
LOGIN_PATH = "/login"
LOGIN_FIELD = "token"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def new_token() -> str:
    """A fresh random access token (about 190 bits)."""
    return secrets.token_urlsafe(24)


def marker_token(instructor_token: str, name: str) -> str:
    """A marker's token: derived from the instructor's, so a fixed instructor token (a script's
    ``GRADER_SERVE_TOKEN``) keeps every marker's the same across restarts, and a fresh one
    gives every marker a fresh one; knowing a marker's token tells nothing of the others'."""
    digest = hmac.new(instructor_token.encode(), b"marker\0" + name.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode()


@dataclass(frozen=True)
class Who:
    """Who a session is: the instructor (may do everything) or a marker (marks only)."""

    name: str  # recorded as the author of the marks this session saves
    instructor: bool


def host_name(host_header: str) -> str:
    """The name part of a Host header: ``[::1]:8765`` gives ``::1``, ``Example:80`` ``example``."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")].lower()
    return host_header.rsplit(":", 1)[0].lower() if host_header.count(":") == 1 else host_header


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Guard:
    """Checks requests against one server's access token and the names it is served under."""

    def __init__(
        self,
        token: str,
        *,
        instructor: str = "instructor",
        markers: Mapping[str, str] = {},
        served_host: str = "127.0.0.1",
        extra_hosts: Iterable[str] = (),
        secure_cookie: bool = False,
    ):
        """``token`` is the instructor's (named ``instructor``); ``markers`` maps each
        marker's name to their token."""
        self._secret = hashlib.sha256(b"grader-serve\0" + token.encode("ascii")).digest()
        people = [(token, Who(instructor, True))]
        people += [(t, Who(name, False)) for name, t in markers.items()]
        # (token, who, session cookie): each person's session is their own, and so is its CSRF
        self._people = [
            (t.encode("ascii"), who, self._sign(f"session:{who.instructor}:{who.name}"))
            for t, who in people
        ]
        self.secure_cookie = secure_cookie
        self._hosts = {*LOOPBACK_NAMES, host_name(served_host), *(h.lower() for h in extra_hosts)}
        # Listening everywhere, it is reached by any of this machine's addresses. An address is
        # no rebinding risk: rebinding needs a name the attacker's DNS answers for.
        self._any_address = served_host in WILDCARD_HOSTS

    def _sign(self, what: str) -> str:
        return hmac.new(self._secret, what.encode(), hashlib.sha256).hexdigest()

    def _session_of(self, who: Who) -> str:
        return next(session for _, known, session in self._people if known == who)

    def csrf_token(self, who: Who) -> str:
        return self._sign("csrf:" + self._session_of(who))

    def host_allowed(self, request: Request) -> bool:
        name = host_name(request.headers.get("host", ""))
        return name in self._hosts or (self._any_address and is_ip_address(name))

    def token_matches(self, given: str | None) -> Who | None:
        """Whose token ``given`` is; None when it is nobody's."""
        raw = ascii_token(given)
        if raw is None:
            return None
        found = None
        for token, who, _ in self._people:  # every one compared: the time tells nothing
            if hmac.compare_digest(raw, token):
                found = who
        return found

    def _cookie_session(self, request: Request) -> Who | None:
        raw = ascii_token(request.cookies.get(SESSION_COOKIE))
        if raw is None:
            return None
        found = None
        for _, who, session in self._people:
            if hmac.compare_digest(raw, session.encode()):
                found = who
        return found

    def header_token(self, request: Request) -> Who | None:
        """Whose token the request carries in ``Authorization: token ...``, if anyone's."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return self.token_matches(value.strip()) if scheme.lower() == "token" else None

    def session(self, request: Request) -> Who | None:
        """Who is asking: by the session cookie or the token in the header; None if nobody."""
        return self._cookie_session(request) or self.header_token(request)

    def same_origin(self, request: Request) -> bool:
        """False for a request a page of another site sent (its ``Origin`` names that site)."""
        origin = request.headers.get("origin")
        own = request.headers.get("host", "").lower()
        return not origin or origin == "null" or origin.split("://", 1)[-1].lower() == own

    def csrf_ok(self, request: Request, who: Who, form_value: object) -> bool:
        if not self.same_origin(request):
            return False
        if self.header_token(request):  # the token itself: nothing a foreign page could send
            return True
        given = request.headers.get(CSRF_HEADER)
        if given is None and isinstance(form_value, str):
            given = form_value
        raw = ascii_token(given)
        return raw is not None and hmac.compare_digest(raw, self.csrf_token(who).encode())

    def logged_in(self, target: str, who: Who) -> Response:
        """The answer to a correct token: its owner's session cookie, and on to ``target``."""
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            self._session_of(who),
            httponly=True,
            samesite="strict",
            secure=self.secure_cookie,
            path="/",
        )
        return response


def local_target(value: object) -> str:
    """Where to go after logging in: a path of this site only, never another site."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value if value.isascii() and len(value) < 500 else "/"
    return "/"


def refused(message: str, status: int = 403) -> HTMLResponse:
    return page_message("Not allowed", message, status)


def page_message(title: str, message: str, status: int) -> HTMLResponse:
    return HTMLResponse(render("message.html", title=title, message=message), status_code=status)


def login_page(target: str, message: str, status: int) -> HTMLResponse:
    """The form that takes the token (a password field: the browser neither shows nor keeps
    it in the address or the history)."""
    page = render(
        "login.html", message=message, action=LOGIN_PATH, target=target, field=LOGIN_FIELD
    )
    return HTMLResponse(page, status_code=status)
