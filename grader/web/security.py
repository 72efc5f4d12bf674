"""Who may use the dashboard: the token printed at start, a session cookie, CSRF on every form.

As Jupyter does, ``grader serve`` prints a URL carrying a random token. Opening it once sets a
session cookie (HttpOnly, SameSite=Strict) and redirects to the same page without the token,
so the token does not stay in the address bar or the history. Scripts may send the token in an
``Authorization: token <token>`` header instead. Every POST must carry the CSRF token of its
session (a hidden form field, or the ``X-CSRF-Token`` header for the page's own fetches), and a
cross-site ``Origin`` is refused outright.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlencode

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

SESSION_COOKIE = "grader_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def new_token() -> str:
    """A fresh random access token (about 190 bits)."""
    return secrets.token_urlsafe(24)


class Guard:
    """Checks requests against one server's access token."""

    def __init__(self, token: str):
        self._token = token
        self._secret = hashlib.sha256(b"grader-serve\0" + token.encode()).digest()
        self.session = self._sign("session")

    def _sign(self, what: str) -> str:
        return hmac.new(self._secret, what.encode(), hashlib.sha256).hexdigest()

    def csrf_token(self) -> str:
        return self._sign("csrf:" + self.session)

    def _has_session(self, request: Request) -> bool:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if hmac.compare_digest(cookie, self.session):
            return True
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return scheme.lower() == "token" and hmac.compare_digest(value.strip(), self._token)

    def _csrf_ok(self, request: Request, form_value: str | None) -> bool:
        origin = request.headers.get("origin")
        if origin and origin != "null" and URL(origin).netloc != request.url.netloc:
            return False
        if request.headers.get("authorization"):  # a script with the token: no browser, no CSRF
            return True
        given = request.headers.get(CSRF_HEADER) or form_value or ""
        return hmac.compare_digest(given, self.csrf_token())

    def login_redirect(self, request: Request) -> Response | None:
        """The answer to a request that carries the token in its query, else None."""
        given = request.query_params.get("token")
        if given is None:
            return None
        if not hmac.compare_digest(given, self._token):
            return refused(
                "This link's token is not this server's: use the URL `grader serve` printed."
            )
        rest = {k: v for k, v in request.query_params.multi_items() if k != "token"}
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE, self.session, httponly=True, samesite="strict", path="/"
        )
        return response

    async def check(self, request: Request) -> Response | None:
        """None when the request may go on; otherwise the refusal to send."""
        if not self._has_session(request):
            return refused(
                "This dashboard needs the token `grader serve` printed when it started: open the "
                "URL it printed (…/?token=…) once in this browser."
            )
        if request.method not in _SAFE_METHODS:
            form_value = None
            if request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                form_value = (await request.form()).get(CSRF_FIELD)
            if not self._csrf_ok(request, form_value if isinstance(form_value, str) else None):
                return refused(
                    "This form came without this session's CSRF token, or from another site; "
                    "reload the page and try again.",
                    status=403,
                )
        return None


def refused(message: str, status: int = 403) -> HTMLResponse:
    from html import escape

    return HTMLResponse(
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Not allowed</title>'
        '<body style="font:16px system-ui;max-width:40em;margin:4em auto">'
        f"<h1>Not allowed</h1><p>{escape(message)}</p></body></html>",
        status_code=status,
    )
