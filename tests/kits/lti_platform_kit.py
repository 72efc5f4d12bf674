"""A real LTI 1.3 platform on 127.0.0.1 for the tests: the ``lti1p3platform`` package's platform
(its token endpoint verifies the tool's signed assertion against the JWKS the administrator
registered; its AGS and NRPS services check the bearer token and its scopes), served over HTTP
by Starlette and uvicorn in a thread, with a course held in memory.

Extended here only where the package leaves it to the platform, as Canvas does it:
- the token request's assertion must have ``aud`` = the token URL, ``iss`` = ``sub`` = the client
  id, a lifetime of an hour at most and a ``jti`` never seen before;
- a token the platform expired (:meth:`Platform.expire_tokens`) or did not sign is refused (401);
- NRPS answers in pages of at most ``page_size`` with ``Link: <...>; rel="next"``;
- the score endpoint's rules: ``userId``, ``activityProgress``, ``gradingProgress`` and
  ``timestamp`` required; ``scoreMaximum`` whenever ``scoreGiven``; a timestamp older than the
  result's last one refused (400); a user who is not an active learner refused (422);
  ``resultScore`` scaled to the line item's ``scoreMaximum``;
- each service asks for its own scope (Canvas's ``verify_access_scope``): line items read with
  ``lineitem`` or ``lineitem.readonly``, changed with ``lineitem``; scores ``score``; results
  ``result.readonly``; members ``contextmembership.readonly``; else 401.

And where the LMS fails as Canvas's and Moodle's own source does (``flavour`` "canvas" or
"moodle"; see :class:`Platform`'s fields): Canvas's request throttle (403 "403 Forbidden (Rate
Limit Exceeded)", ``X-Rate-Limit-Remaining: 0.0``); a token asking for a scope not enabled on
the key refused whole (Canvas, 400 ``invalid_scope`` naming it) or granted without it
(Moodle); Moodle's score rule (409 "Refusing score with an earlier timestamp" when the stored
timestamp is not older in whole seconds) and its ``Link`` header written with curly quotes
(``rel=“next”``); a score stored and answered after the tool's time-out, or answered 504 by a
proxy after it was stored; an outage (503 to everything); an LMS that never answers.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.exceptions import LineItemNotFoundException, LtiServiceException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as LtiRequest
from lti1p3platform.response import Response as LtiResponse
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
COURSE = "/api/lti/courses/7"
ACTIVITY = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}


def member(
    user_id: str, name: str, email: str, sourcedid: str = "", role: str = LEARNER, **extra: Any
) -> dict[str, Any]:
    found = {"user_id": user_id, "name": name, "email": email, "roles": [role], **extra}
    if sourcedid:
        found["lis_person_sourcedid"] = sourcedid
    return found


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private.decode(), public.decode()


@dataclass
class Platform:
    """The LMS: ``tool_jwks`` is what its administrator registered for the tool."""

    tool_jwks: dict[str, Any]
    members: list[dict[str, Any]]
    page_size: int = 3
    client_id: str = "10000000000042"
    deployment_id: str = "42:course-7"
    issuer: str = "https://canvas.test.instructure.com"
    port: int = 0
    line_items: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    score_posts: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    refused_scores: list[tuple[int, str]] = field(default_factory=list)  # (status, userId)
    token_requests: int = 0
    requests: int = 0
    throttle: int = 0  # the next this many service requests are answered 429
    on_score: Callable[[int], None] | None = None  # called with the count after each score
    token_lifetime_s: int = 3600  # the expires_in of the tokens granted
    flavour: str = "canvas"  # or "moodle": its score rule, its Link header, its token scopes
    enabled_scopes: set[str] | None = None  # on the tool's key (None: every LTI scope)
    throttle_403: int = 0  # the next this many service requests get Canvas's throttle
    late_answers: int = 0  # the next this many posts are stored, then answered after late_s
    late_s: float = 0.0
    late_on: str = "scores"  # the posts answered late: "scores", or "line items" (made)
    stored_then_504: int = 0  # the next this many scores are stored, then a proxy's 504
    # the next this many scores are lost on the way in (never stored), the tool's wait for
    # their answer running out after late_s
    lost_unstored: int = 0
    outage: bool = False  # every request answered 503 while set
    silent: bool = False  # no request answered while set
    unanswered: int = 0  # requests answered 503 or never, counted
    issued: list[str] = field(default_factory=list)  # access tokens granted
    revoked: set[str] = field(default_factory=set)
    seen_jti: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.private_pem, self.public_pem = _pem_pair()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.base}/login/oauth2/token"

    def init_flags(self) -> list[str]:
        """The flags of `grader lti init` that store this platform's details."""
        return [
            "--issuer", self.issuer,
            "--client-id", self.client_id,
            "--deployment-id", self.deployment_id,
            "--token-url", self.token_url,
            "--jwks-url", f"{self.base}/api/lti/security/jwks",
            "--lineitems-url", f"{self.base}{COURSE}/line_items",
            "--memberships-url", f"{self.base}{COURSE}/names_and_roles",
        ]  # fmt: skip

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on, as after its expiry."""
        self.revoked.update(self.issued)

    def scores_of(self, line_item_resource: str) -> dict[str, float]:
        """user_id -> resultScore of the line item with this resourceId."""
        item = next(i for i in self.line_items.values() if i["resourceId"] == line_item_resource)
        return {
            user: result["resultScore"]
            for (item_id, user), result in self.results.items()
            if item_id == item["id"]
        }

    def conf(self) -> _Conf:
        return _Conf(platform=self)

    def mint(self, lifetime_s: int, key_pem: str | None = None) -> str:
        """A bearer token as this platform signs them (or signed with another key)."""
        now = int(time.time())
        claims = {"sub": self.client_id, "iss": self.issuer, "iat": now, "exp": now + lifetime_s}
        claims["scopes"] = " ".join(_all_scopes())
        return jwt.encode(claims, key_pem or self.private_pem, algorithm="RS256")


def _all_scopes() -> list[str]:
    from lti1p3platform.constants import LTI_1P3_ACCESS_TOKEN_SCOPES

    return list(LTI_1P3_ACCESS_TOKEN_SCOPES)


LINE_ITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_NEEDED = {  # (method is GET, what) -> the scopes any one of which lets it through
    (True, "line items"): {LINE_ITEM_SCOPE, LINE_ITEM_SCOPE + ".readonly"},
    (False, "line items"): {LINE_ITEM_SCOPE},
    (False, "scores"): {"https://purl.imsglobal.org/spec/lti-ags/scope/score"},
    (True, "results"): {"https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"},
    (True, "members"): {
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    },
}


def _granted(platform: Platform, asked: list[str]) -> tuple[list[str], str]:
    """The scopes a token gets, or why it gets none (Canvas: any scope not enabled; Moodle:
    none of them enabled)."""
    enabled = set(_all_scopes()) if platform.enabled_scopes is None else platform.enabled_scopes
    missing = [scope for scope in asked if scope not in enabled]
    granted = [scope for scope in asked if scope in enabled]
    if platform.flavour == "canvas" and missing:
        return [], (
            "A requested scope is invalid, unknown, malformed, or exceeds the scope granted by "
            f"the resource owner. The following scopes were requested, but not granted: "
            f"{', '.join(missing)}"
        )
    if not granted:
        return [], "invalid_scope"
    return granted, ""


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        platform: Platform = kwargs["platform"]
        self.platform = platform
        self._registration = (
            Registration()
            .set_iss(platform.issuer)
            .set_client_id(platform.client_id)
            .set_deployment_id(platform.deployment_id)
            .set_platform_public_key(platform.public_pem)
            .set_platform_private_key(platform.private_pem)
        )

    def get_tool_key_set(self) -> Any:
        return self.platform.tool_jwks  # as the administrator registered it, now

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        assert self._registration is not None
        return self._registration

    def validate_token(
        self, token: str, allowed_scopes: list[str] | None = None, audience: str | None = None
    ) -> bool:
        try:  # the scope of each service is checked by the platform itself (SCOPE_NEEDED)
            valid = super().validate_token(token, None, audience)
        except Exception:  # noqa: BLE001 - a bad signature, an expired token: refused
            return False
        return valid and token not in self.platform.revoked


class _Request(LtiRequest):
    def build_metadata(self, request: Any) -> Any:
        starlette, body = request
        query: dict[str, Any] = dict(starlette.query_params)
        for name in ("page", "limit"):
            if name in query:
                query[name] = int(query[name])
        return {
            "method": starlette.method,
            "form_data": {},
            "get_data": query,
            "headers": starlette.headers,
            "content_type": starlette.headers.get("content-type"),
            "path": starlette.url.path,
            "json": json.loads(body) if body else None,
        }


def _page(items: list[Any], page: int, limit: int | None) -> dict[str, Any]:
    if not limit:
        return {"content": items, "has_next": False}
    start = (page - 1) * limit
    return {"content": items[start : start + limit], "has_next": start + limit < len(items)}


class _Ags(AssignmentsGradesService):
    platform: Platform

    def find_lineitems(self, page: int = 1, limit: int | None = None, **filters: Any) -> Any:
        items = [
            item
            for item in self.platform.line_items.values()
            if all(item.get(_CAMEL[k]) == v for k, v in filters.items() if v is not None)
        ]
        return _page(items, page, limit)

    def find_lineitem(self, line_item_id: str) -> Any:
        try:
            return self.platform.line_items[self._url(line_item_id)]
        except KeyError:
            raise LineItemNotFoundException(line_item_id) from None

    def create_lineitem(self, creation_data: Any) -> Any:
        if not creation_data.get("label") or not float(creation_data.get("scoreMaximum") or 0) > 0:
            raise LtiServiceException("label and a positive scoreMaximum are required", 400)
        item_id = self._url(str(len(self.platform.line_items) + 1))
        item = {**creation_data, "id": item_id}
        self.platform.line_items[item_id] = item
        return item

    def update_lineitem(self, update_data: Any) -> Any:
        item = self.find_lineitem(update_data["id"])
        item.update({k: v for k, v in update_data.items() if k != "id"})
        return item

    def delete_lineitem(self, line_item_id: str) -> None:
        self.platform.line_items.pop(self._url(line_item_id), None)

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        item = self.find_lineitem(line_item_id)
        platform = self.platform
        platform.score_posts.append((item["id"], str(score.get("userId")), score))
        for name in ("userId", "activityProgress", "gradingProgress", "timestamp"):
            if name not in score:
                raise LtiServiceException(f"{name} is required", 400)
        if score["activityProgress"] not in ACTIVITY or score["gradingProgress"] not in GRADING:
            raise LtiServiceException("unknown activityProgress or gradingProgress", 400)
        if "scoreGiven" in score and "scoreMaximum" not in score:
            raise LtiServiceException("ScoreMaximum must be present when ScoreGiven is", 400)
        learner = any(
            m["user_id"] == score["userId"]
            and LEARNER in m["roles"]
            and m.get("status", "Active") == "Active"
            for m in platform.members
        )
        if not learner:
            raise LtiServiceException("User not found in course or is not a student", 422)
        stamp = datetime.fromisoformat(score["timestamp"])
        held = platform.results.get((item["id"], score["userId"]))
        if held is not None and platform.flavour == "moodle":
            # scores.php: refused unless the timestamp is a later whole second than the grade's
            if int(datetime.fromisoformat(held["timestamp"]).timestamp()) >= int(stamp.timestamp()):
                raise LtiServiceException(
                    f"Refusing score with an earlier timestamp for item {item['id']} and user "
                    f"{score['userId']}",
                    409,
                )
        if held is not None and stamp < datetime.fromisoformat(held["timestamp"]):
            raise LtiServiceException(
                f"Provided timestamp of {score['timestamp']} before last updated timestamp "
                f"of {held['timestamp']}",
                400,
            )
        given = score.get("scoreGiven")
        scaled = None if given is None else given / score["scoreMaximum"] * item["scoreMaximum"]
        platform.results[(item["id"], score["userId"])] = {
            "id": f"{item['id']}/results/{score['userId']}",
            "scoreOf": item["id"],
            "userId": score["userId"],
            "resultScore": scaled,
            "resultMaximum": item["scoreMaximum"],
            "comment": score.get("comment"),
            "timestamp": score["timestamp"],
        }
        if platform.on_score is not None:
            platform.on_score(len(platform.score_posts))
        return UpdateScoreStatus.SUCCESS

    def get_results(
        self, line_item_id: str, page: int = 1, limit: int | None = None, user_id: str | None = None
    ) -> Any:
        item = self.find_lineitem(line_item_id)
        found = [
            {k: v for k, v in result.items() if k != "timestamp"}
            for (item_id, user), result in self.platform.results.items()
            if item_id == item["id"] and user_id in (None, user)
        ]
        return _page(found, page, limit)

    def _url(self, line_item_id: str) -> str:
        if line_item_id.startswith("http"):
            return line_item_id
        return f"{self.platform.base}{COURSE}/line_items/{line_item_id}"


_CAMEL = {"resource_id": "resourceId", "tag": "tag", "resource_link_id": "resourceLinkId"}
_CAMEL["line_item_id"] = "id"


class _Nrps(NamesRoleProvisioningService):
    platform: Platform

    def get_member_data_page(
        self,
        page: int = 1,
        limit: int | None = None,
        role: str | None = None,
        since: str | None = None,
    ) -> Any:
        size = min(limit or self.platform.page_size, self.platform.page_size)
        return _page(list(self.platform.members), page, size)

    def get_context_by_id(self) -> Context:
        return Context(id="7", label="LSTM", title="Sequence models")


def _answer(result: LtiResponse, platform: Platform) -> Response:
    body = result.result
    headers = {}
    if isinstance(body, dict) and body.get("next"):
        if platform.flavour == "moodle":  # as its source writes it, sent as UTF-8 bytes
            link = f"<{body.pop('next')}>; rel=“next”".encode().decode("latin-1")
            headers["Link"] = link
        else:
            headers["Link"] = f'<{body.pop("next")}>; rel="next"'
    if isinstance(body, dict) and "content" in body:
        body = body["content"]
    if body is None:
        body = {"error": result.message} if result.code >= 400 else {}
    return JSONResponse(
        body, status_code=result.code, headers=headers, media_type=result.media_type
    )


def _with_jti(token: str, platform: Platform, scopes: list[str]) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["jti"] = uuid.uuid4().hex
    claims["scopes"] = " ".join(scopes)
    claims["exp"] = claims["iat"] + platform.token_lifetime_s
    return jwt.encode(claims, platform.private_pem, algorithm="RS256")


def app(platform: Platform) -> Starlette:
    conf = platform.conf()
    lineitems_url = f"{platform.base}{COURSE}/line_items"

    async def token(request: Request) -> Response:
        platform.token_requests += 1
        failing = await _failing(platform)
        if failing is not None:
            return failing
        form = dict(await request.form())
        scopes, refusal = _granted(platform, str(form.get("scope", "")).split())
        if refusal:
            return JSONResponse({"error": "invalid_scope", "error_description": refusal}, 400)
        try:
            granted = conf.get_access_token(form)
            claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
            if claims.get("aud") != platform.token_url:
                raise ValueError("aud is not the token URL")
            if not claims.get("iss") == claims.get("sub") == platform.client_id:
                raise ValueError("iss and sub must be the client id")
            if claims.get("jti") in platform.seen_jti or not claims.get("jti"):
                raise ValueError("jti missing or used before")
            if claims["exp"] - claims["iat"] > 3600:
                raise ValueError("the assertion lives longer than an hour")
            platform.seen_jti.add(claims["jti"])
            # The package's tokens carry no id: two granted in one second are the same string,
            # and one could not be revoked without the other.
            token = _with_jti(granted["access_token"], platform, scopes)
            granted = {
                **granted,
                "access_token": token,
                "expires_in": platform.token_lifetime_s,
                "scope": " ".join(scopes),
            }
            platform.issued.append(granted["access_token"])
        except Exception as error:  # noqa: BLE001 - any fault of the request is invalid_client
            return JSONResponse({"error": "invalid_client", "error_description": str(error)}, 401)
        return JSONResponse(dict(granted))

    async def jwks(request: Request) -> Response:
        return JSONResponse(conf.get_jwks())

    async def service(request: Request) -> Response:
        platform.requests += 1
        failing = await _failing(platform)
        if failing is not None:
            return failing
        if platform.throttle > 0:
            platform.throttle -= 1
            return JSONResponse({"error": "rate limited"}, 429, headers={"Retry-After": "0"})
        if platform.throttle_403 > 0:  # Canvas's RequestThrottle#rate_limit_exceeded
            platform.throttle_403 -= 1
            return Response(
                "403 Forbidden (Rate Limit Exceeded)\n",
                403,
                headers={"X-Rate-Limit-Remaining": "0.0", "X-Request-Cost": "0"},
                media_type="text/plain; charset=utf-8",
            )
        wrapped = _Request((request, await request.body()))
        path = request.url.path
        rest = path.removeprefix(f"{COURSE}/line_items").strip("/")
        item_id, _, sub = rest.partition("/")
        what = "members" if path.endswith("/names_and_roles") else sub or "line items"
        if not _may(request, what):
            return JSONResponse({"errors": [{"message": "Insufficient permissions"}]}, 401)
        if path.endswith("/names_and_roles"):
            nrps = _Nrps(wrapped, conf, f"{platform.base}{COURSE}/names_and_roles")
            nrps.platform = platform
            return _answer(nrps.handle_resp(nrps.handle_get_members), platform)
        ags = _Ags(wrapped, conf, lineitems_url)
        ags.platform = platform
        if not item_id:
            if request.method == "GET":
                return _answer(ags.handle_resp(ags.handle_get_lineitems), platform)
            answer = _answer(ags.handle_resp(ags.handle_create_lineitem), platform)
            if platform.late_answers > 0 and platform.late_on == "line items":
                platform.late_answers -= 1
                await asyncio.sleep(platform.late_s)
            return answer
        if sub == "scores" and platform.lost_unstored > 0:
            platform.lost_unstored -= 1
            await asyncio.sleep(platform.late_s)
            return Response("", 504)  # to a tool long gone
        if sub == "scores":
            answer = _answer(
                ags.handle_resp(ags.handle_update_score, line_item_id=item_id), platform
            )
            if answer.status_code >= 400:
                sent = json.loads(await request.body() or b"{}")
                platform.refused_scores.append((answer.status_code, str(sent.get("userId"))))
            late = platform.late_answers > 0 and platform.late_on == "scores"
            if late and answer.status_code == 200:  # stored; answered late
                platform.late_answers -= 1
                await asyncio.sleep(platform.late_s)
            if platform.stored_then_504 > 0 and answer.status_code == 200:  # a proxy gave up
                platform.stored_then_504 -= 1
                return Response("504 Gateway Time-out", 504, media_type="text/plain")
            return answer
        if sub == "results":
            return _answer(ags.handle_resp(ags.handle_get_results, line_item_id=item_id), platform)
        if request.method == "PUT":
            return _answer(
                ags.handle_resp(ags.handle_update_lineitem, line_item_id=item_id), platform
            )
        return _answer(ags.handle_resp(ags.handle_get_lineitem, line_item_id=item_id), platform)

    return Starlette(
        routes=[
            Route("/login/oauth2/token", token, methods=["POST"]),
            Route("/api/lti/security/jwks", jwks),
            Route(COURSE + "/{rest:path}", service, methods=["GET", "POST", "PUT", "DELETE"]),
        ]
    )


async def _failing(platform: Platform) -> Response | None:
    """An outage's 503, or no answer for as long as the platform is silent."""
    if platform.silent:
        platform.unanswered += 1
        while platform.silent:
            await asyncio.sleep(0.02)
        return Response("", 503)  # to a tool long gone
    if platform.outage:
        platform.unanswered += 1
        return Response("503 Service Unavailable", 503, media_type="text/plain")
    return None


def _may(request: Request, what: str) -> bool:
    """Whether the bearer token carries a scope for this service (its signature and expiry
    are the package's to check)."""
    auth = request.headers.get("authorization", "").split()
    try:
        claims = jwt.decode(auth[-1], options={"verify_signature": False})
    except (IndexError, jwt.InvalidTokenError):
        return True  # no token or a forged one: the package answers 401 itself
    needed = SCOPE_NEEDED.get((request.method == "GET", what), set())
    return bool(needed & set(str(claims.get("scopes", "")).split()))


class Serving:
    """``with Serving(platform):`` the platform on 127.0.0.1 (a free port) in a thread."""

    def __init__(self, platform: Platform):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            platform.port = probe.getsockname()[1]
        self.platform = platform
        config = uvicorn.Config(
            app(platform), host="127.0.0.1", port=platform.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Platform:
        self.thread.start()
        for _ in range(600):
            if self.server.started:
                return self.platform
            time.sleep(0.05)
        raise AssertionError("the LTI platform did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
