"""The gate every request passes before any page: the served host names, the session, the size
and kind of a POST's body, its CSRF token, and the headers every answer carries (errors too).

The body of a POST is read here once, up to :data:`grader.limits.WEB`'s ``body_bytes``, parsed
by :func:`grader.web.inputs.parse_body`, and handed on both as ``request.state.posted`` and as
the same bytes to the application: checking the CSRF token never takes from a handler what it
reads.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grader.limits import WEB
from grader.web import roles
from grader.web.inputs import BadRequest, Posted, parse_body
from grader.web.security import (
    CSRF_FIELD,
    LOGIN_FIELD,
    LOGIN_PATH,
    Guard,
    local_target,
    login_page,
    page_message,
    refused,
)

_SAFE_METHODS = ("GET", "HEAD")
TOKEN_IN_ADDRESS = (
    "A token in an address does not log in: the browser keeps every address in its history, "
    "where anyone using this browser would find it. Paste the token here instead (scripts send"
    " it in an Authorization: token <token> header)."
)
NEED_TOKEN = (
    "This dashboard needs the access token `grader serve` printed when it started: paste it here."
)


def page_csp(nonce: str) -> str:
    """The dashboard's own pages: their inline style, and only the scripts carrying this
    answer's nonce (none a student's text could bring)."""
    return (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
        f"script-src 'nonce-{nonce}'; connect-src 'self'; frame-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


class Gate:
    """ASGI middleware in front of the whole application (its own error pages included)."""

    def __init__(self, app: ASGIApp, guard: Guard):
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["nonce"] = nonce
        send = _with_headers(send, nonce)
        request = Request(scope)
        answer, body = await self._admit(request, receive)
        if answer is not None:
            await answer(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive) if body is not None else receive, send)

    async def _admit(
        self, request: Request, receive: Receive
    ) -> tuple[Response | None, bytes | None]:
        """(the refusal to send, or None) and the POST body read, if any."""
        guard = self.guard
        if not guard.host_allowed(request):
            return refused(
                "This server does not answer to the host name in this address. Open it by the "
                "address `grader serve` printed (or add the name with --allow-host).",
                status=403,
            ), None
        body, unreadable = None, None
        if request.method not in _SAFE_METHODS:
            try:
                body = await _read_body(request, receive)
            except BadRequest as error:
                return _bad_request(error), None
            try:
                request.state.posted = parse_body(request.headers.get("content-type", ""), body)
            except BadRequest as error:
                # Said only after the CSRF check: a body of a kind no form sends (a JSON text
                # posted as text/plain, which any page may send cross-site) is refused as CSRF.
                request.state.posted, unreadable = Posted({}), error
        if LOGIN_FIELD in request.query_params and request.method in _SAFE_METHODS:
            # Never a login: the browser keeps every address it opened in its history (and in
            # bookmarks, shared links), where anyone using the browser profile would find the
            # token. The page asks for it in the form, and goes on where the link pointed.
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != LOGIN_FIELD]
            if request.url.path == LOGIN_PATH:
                target = local_target(request.query_params.get("next"))
            else:
                target = request.url.path + _query(rest)
            return login_page(target, TOKEN_IN_ADDRESS, 403), None
        if request.url.path == LOGIN_PATH:
            if unreadable is not None:
                return _bad_request(unreadable), None
            return self._login(request), body
        who = guard.session(request)
        if who is None:
            return login_page(local_target(request.url.path), NEED_TOKEN, 403), None
        request.state.who = who
        if body is not None and not guard.csrf_ok(
            request, who, request.state.posted.get(CSRF_FIELD)
        ):
            return refused(
                "This form came without this session's CSRF token, or from another site; "
                "reload the page and try again.",
                status=403,
            ), None
        if unreadable is not None:
            return _bad_request(unreadable), None
        forbidden = roles.refusal(request, who)
        if forbidden is not None:
            return forbidden, None
        return None, body

    def _login(self, request: Request) -> Response:
        if request.method in _SAFE_METHODS:
            target = local_target(request.query_params.get("next"))
            return login_page(target, "Paste the access token `grader serve` printed.", 200)
        posted = request.state.posted
        target = local_target(posted.get("next"))
        if not self.guard.same_origin(request):
            return refused("A login from another site is refused.", status=403)
        given = posted.get(LOGIN_FIELD)
        owner = self.guard.token_matches(given if isinstance(given, str) else None)
        if owner is None:
            return login_page(target, "That is not this server's token; try again.", 403)
        return self.guard.logged_in(target, owner)


def _bad_request(error: BadRequest) -> Response:
    return page_message("Bad request", str(error.detail), error.status_code)


async def _read_body(request: Request, receive: Receive) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > WEB.body_bytes:
        raise BadRequest(_too_large(int(declared)), status=413)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > WEB.body_bytes:
            raise BadRequest(_too_large(size), status=413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _too_large(size: int) -> str:
    return (
        f"this request's body ({size:,} bytes or more) is over the dashboard's limit of "
        f"{WEB.body_bytes:,} bytes"
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then whatever else the client sends (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _query(pairs: list[tuple[str, str]]) -> str:
    return f"?{urlencode(pairs)}" if pairs else ""


def _with_headers(send: Send, nonce: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = list(message.get("headers", []))
            headers = MutableHeaders(scope=message)
            headers.setdefault("X-Content-Type-Options", "nosniff")
            headers.setdefault("Referrer-Policy", "no-referrer")
            headers.setdefault("Content-Security-Policy", page_csp(nonce))
            headers.setdefault("X-Frame-Options", "SAMEORIGIN")
            headers.setdefault("Cache-Control", "no-store")
        await send(message)

    return sending
