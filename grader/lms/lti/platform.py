"""``<course>/lti/platform.toml``: the LMS as the tool knows it, what the LMS gave back at
registration (issuer, client id, deployment id, token and key set URLs, the course's AGS line
items and NRPS memberships URLs). Nothing in it is secret; the tool's key is beside it
(:mod:`grader.lms.lti.registration`)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from grader.errors import UserError

PLATFORM_FILE = "platform.toml"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Platform:
    """The LMS as the tool knows it: from ``platform.toml``."""

    issuer: str
    client_id: str
    deployment_id: str
    token_url: str
    jwks_url: str
    lineitems_url: str
    memberships_url: str
    audience: str = ""  # the token request's ``aud``: the token URL unless the LMS says

    @property
    def token_audience(self) -> str:
        return self.audience or self.token_url


# What each field of platform.toml is, and its flag of `grader lti init`.
FIELD_HELP = {
    "issuer": "the platform's issuer (Canvas: https://canvas.instructure.com; Moodle: its URL)",
    "client_id": "the client id the LMS gave the tool",
    "deployment_id": "the deployment id of the tool in this course or site",
    "token_url": "the platform's OAuth2 token URL",
    "jwks_url": "the platform's public key set URL",
    "lineitems_url": "the course's AGS line items URL",
    "memberships_url": "the course's NRPS context memberships URL",
    "audience": "the token request's audience, if the LMS wants other than the token URL",
}
_URLS = ("token_url", "jwks_url", "lineitems_url", "memberships_url")


def _check_url(name: str, url: str) -> None:
    parts = urlsplit(url)
    loopback = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not parts.hostname or not (parts.scheme == "https" or loopback):
        raise UserError(
            f"{name} {url!r}: give an https:// URL (http:// only for a platform on this machine)"
        )


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's for the text a URL or id holds."""
    return json.dumps(text, ensure_ascii=False)


def store_platform(folder: Path, given: dict[str, str | None]) -> tuple[Path, list[str]]:
    """Write ``platform.toml`` with the values given over those it had; returns it and the
    fields still missing."""
    path = folder / PLATFORM_FILE
    values = _read_platform_file(path) if path.is_file() else {}
    for name, value in given.items():
        if value is not None:
            value = value.strip()
            if name in _URLS and value:
                _check_url(f"--{name.replace('_', '-')}", value)
            values[name] = value
    lines = [
        "# The LMS this course's grades and roster go to and come from (grader lti init).",
        "# Nothing here is secret: the tool's private key is tool-private-key.pem beside it.",
    ]
    for name, help_text in FIELD_HELP.items():
        lines.append(f"# {help_text}")
        lines.append(f"{name} = {_toml_string(values.get(name, ''))}")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    missing = [n for n in FIELD_HELP if n != "audience" and not values.get(n)]
    return path, missing


def _read_platform_file(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UserError(f"{path}: cannot read it ({error}); run `grader lti init` again") from None
    unknown = set(data) - set(FIELD_HELP)
    if unknown:
        raise UserError(f"{path}: unknown key {', '.join(sorted(unknown))}")
    if not all(isinstance(value, str) for value in data.values()):
        raise UserError(f"{path}: every value is a quoted string")
    return data


def load_platform(folder: Path) -> Platform:
    """The platform of ``platform.toml``; a missing file or field says which flag fills it."""
    path = folder / PLATFORM_FILE
    if not path.is_file():
        raise UserError(f"{path}: no LMS registered: run `grader lti init` first")
    values = _read_platform_file(path)
    missing = [n for n in FIELD_HELP if n != "audience" and not values.get(n)]
    if missing:
        flags = " ".join(f"--{n.replace('_', '-')} ..." for n in missing)
        raise UserError(f"{path}: {', '.join(missing)} not given yet: grader lti init {flags}")
    for name in _URLS:
        _check_url(f"{path}: {name}", values[name])
    known = {f.name for f in fields(Platform)}
    return Platform(**{k: v for k, v in values.items() if k in known})
