"""The LTI Advantage scopes each command asks for, and what the LMS administrator enables for
each: a token asks only for what its command uses, since Canvas refuses the whole token when
one scope is not enabled on the tool's key, and Moodle grants only the services switched on for
the tool (a token with fewer scopes than asked for)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Answer(Protocol):
    """What is read of the LMS's answer to a token request (the client's ``Answer``)."""

    @property
    def ok(self) -> bool: ...

    def json(self) -> Any: ...

    def text(self) -> str: ...


LINE_ITEMS = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINE_ITEMS_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
RESULTS_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCORES = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
MEMBERS_READ = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

ROSTER = (MEMBERS_READ,)  # grader roster --from-lti
CHECK = (MEMBERS_READ, LINE_ITEMS_READ)  # grader lti check, grader final --push lti --dry-run
# grader final --push lti: the members (user ids), line items found or made, scores posted and
# read back (a lost answer, a killed run)
PUSH = (MEMBERS_READ, LINE_ITEMS, SCORES, RESULTS_READ)
# What the administrator enables for every command to work.
EVERY = tuple(dict.fromkeys(ROSTER + CHECK + PUSH))

# What the administrator switches on, in each LMS's own words.
ENABLE = {
    LINE_ITEMS: "Canvas: 'Can create and view assignment data in the gradebook'; Moodle: "
    "IMS LTI Assignment and Grade Services, 'Use this service for grade sync and column "
    "management'",
    LINE_ITEMS_READ: "Canvas: 'Can view assignment data in the gradebook'; Moodle: IMS LTI "
    "Assignment and Grade Services",
    RESULTS_READ: "Canvas: 'Can view submission data'; Moodle: IMS LTI Assignment and Grade "
    "Services",
    SCORES: "Canvas: 'Can create and update submission results'; Moodle: IMS LTI Assignment "
    "and Grade Services",
    MEMBERS_READ: "Canvas: 'Can retrieve user data associated with the context the tool is "
    "installed in'; Moodle: IMS LTI Names and Role Provisioning",
}


def describe_scopes(scopes: Sequence[str]) -> str:
    named = (f"{scope} ({ENABLE.get(scope, 'an LTI Advantage service')})" for scope in scopes)
    return "; ".join(named)


def missing_scopes(asked: Sequence[str], answer: Answer) -> list[str]:
    """The scopes asked for that the LMS's token answer refuses: named in Canvas's
    ``invalid_scope`` (all of them if it names none), or left out of a token's ``scope``."""
    data = answer.json()
    if not isinstance(data, dict):
        return []
    if data.get("error") == "invalid_scope":
        said = str(data.get("error_description") or "")
        named = [scope for scope in asked if scope in said]
        return named or list(asked)
    granted = data.get("scope")
    if answer.ok and isinstance(granted, str) and granted.strip():
        return [scope for scope in asked if scope not in granted.split()]
    return []


def scopes_message(missing: Sequence[str], answer: Answer) -> str:
    one = len(missing) == 1
    return (
        f"the LMS does not give the tool the scope{'' if one else 's'} "
        f"{describe_scopes(missing)} ({answer.text()}): ask its administrator to enable "
        f"{'it' if one else 'them'} in the tool's registration (Canvas: on the developer key; "
        "Moodle: the tool's Services), then run the command again"
    )
