"""Download the notebook behind each Colab link that has no notebook beside it.

Drive-hosted notebooks come through Google Drive's public download (files shared "anyone with
the link"; past the "can't scan for viruses" confirmation page of large files), GitHub and Gist
ones from their raw URLs. Every base URL is configurable (``GRADER_DRIVE_URL``,
``GRADER_GITHUB_RAW_URL``, ``GRADER_GIST_RAW_URL``), so tests run against a loopback server.
Timeouts, retries with back-off, a size cap; files go to a staging folder inside ``--out`` and
are moved into the student's folder only once they are checked to be notebooks.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

from grader.batch.progress import counted
from grader.bundle import check_notebook
from grader.errors import UserError
from grader.intake.common import (
    MB,
    Rejected,
    held_manifest,
    safe_relpath,
    write_manifest,
    write_new,
)
from grader.intake.index import Summary, student_dirs
from grader.intake.links import drive_file_id
from grader.intake.placing import check_files, refresh
from grader.limits import FETCH

_COLAB = "https://colab.research.google.com/"
_SHARE_HINT = "ask the student to attach the .ipynb, or to share it as 'Anyone with the link'"
_FETCH_NOTE = "fetch: "


class FetchFailed(Exception):
    """A link that gave no notebook; the message tells the instructor what to ask for."""


@dataclass(frozen=True)
class FetchSettings:
    drive_url: str = "https://drive.google.com"
    github_raw_url: str = "https://raw.githubusercontent.com"
    gist_raw_url: str = "https://gist.githubusercontent.com"
    timeout: float = FETCH.timeout_s  # seconds per attempt
    attempts: int = FETCH.attempts
    backoff: float = FETCH.backoff_s  # seconds before the second attempt, doubled after each
    max_bytes: int = FETCH.max_bytes

    @classmethod
    def from_environment(cls) -> FetchSettings:
        default = cls()
        urls = {}
        for variable, field_name in (
            ("GRADER_DRIVE_URL", "drive_url"),
            ("GRADER_GITHUB_RAW_URL", "github_raw_url"),
            ("GRADER_GIST_RAW_URL", "gist_raw_url"),
        ):
            url = os.environ.get(variable, getattr(default, field_name)).rstrip("/")
            if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                raise UserError(f"{variable}={url!r} is not an http(s) address: unset it or fix it")
            urls[field_name] = url
        return cls(**urls)

    def allowed_hosts(self) -> set[str]:
        """Hosts a confirmation page may send the download on to."""
        bases = (self.drive_url, self.github_raw_url, self.gist_raw_url)
        return {urllib.parse.urlsplit(base).netloc for base in bases} | {
            "drive.google.com",
            "drive.usercontent.google.com",
            "docs.google.com",
        }


def download_url(link: str, settings: FetchSettings) -> tuple[str, str]:
    """Where the notebook behind a Colab link is downloaded from, and a file name for it."""
    path = urllib.parse.urlsplit(link).path.strip("/").split("/")
    drive_id = drive_file_id(link) or (
        path[1] if link.startswith(_COLAB + "drive/") and len(path) >= 2 else None
    )
    if drive_id:
        query = urllib.parse.urlencode({"export": "download", "id": drive_id})
        return f"{settings.drive_url}/uc?{query}", f"colab-{drive_id[:16]}.ipynb"
    if link.startswith(_COLAB + "github/") and len(path) >= 6 and path[3] == "blob":
        owner, repo, ref, rest = path[1], path[2], path[4], "/".join(path[5:])
        return f"{settings.github_raw_url}/{owner}/{repo}/{ref}/{rest}", path[-1]
    if link.startswith(_COLAB + "gist/") and len(path) >= 3:
        tail = f"/{path[3]}" if len(path) > 3 else ""
        return f"{settings.gist_raw_url}/{path[1]}/{path[2]}/raw{tail}", (
            path[3] if tail else f"gist-{path[2][:16]}.ipynb"
        )
    raise FetchFailed(f"{link} is not a Colab link this tool can follow; {_SHARE_HINT}")


class _Forms(HTMLParser):
    """The download form (or confirm link) of Drive's "can't scan for viruses" page."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.confirm_href: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form" and values.get("id") == "download-form":
            self.action, self._in_form = values.get("action", ""), True
        elif tag == "input" and self._in_form and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")
        elif tag == "a" and "confirm=" in values.get("href", ""):
            self.confirm_href = self.confirm_href or values["href"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def _confirmed_url(page: str, base: str, settings: FetchSettings) -> str | None:
    forms = _Forms()
    forms.feed(page)
    if forms.action is not None:
        target = urllib.parse.urljoin(base, forms.action)
        target += "?" + urllib.parse.urlencode(forms.fields)
    elif forms.confirm_href:
        target = urllib.parse.urljoin(base, forms.confirm_href)
    else:
        return None
    parts = urllib.parse.urlsplit(target)
    if parts.scheme not in ("http", "https") or parts.netloc not in settings.allowed_hosts():
        return None
    return target


class _HttpOnly(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise FetchFailed(f"the link redirects to {newurl}, which is not a web address")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnly())


def _get(url: str, settings: FetchSettings) -> tuple[bytes, str, str, str]:
    """(body, final URL, content type, file name) with retries; FetchFailed saying why."""
    wait, last = settings.backoff, ""
    for attempt in range(1, settings.attempts + 1):
        request = urllib.request.Request(url, headers={"User-Agent": "grader-collect/1"})
        try:
            started = time.monotonic()
            with _OPENER.open(request, timeout=settings.timeout) as response:
                body = bytearray()
                while chunk := response.read(1 << 16):
                    body += chunk
                    if len(body) > settings.max_bytes:
                        raise FetchFailed(
                            f"the file behind it is larger than the cap of "
                            f"{settings.max_bytes / MB:g} MB; ask the student to clear the "
                            "notebook's large outputs and attach the .ipynb"
                        )
                    if time.monotonic() - started > 4 * settings.timeout:
                        raise TimeoutError("the download is too slow")
                disposition = response.headers.get_filename() or ""
                kind = response.headers.get_content_type()
                return bytes(body), response.geturl(), kind, disposition
        except urllib.error.HTTPError as error:
            if error.code in (404, 410):
                raise FetchFailed(
                    f"the file is deleted or the link is wrong (HTTP {error.code}); "
                    "ask the student for a working link or the .ipynb"
                ) from None
            if error.code in (401, 403):
                raise FetchFailed(
                    f"the file is private (HTTP {error.code}); {_SHARE_HINT}"
                ) from None
            if error.code not in (408, 429) and error.code < 500:
                raise FetchFailed(f"the server answered HTTP {error.code}; {_SHARE_HINT}") from None
            last = f"HTTP {error.code}"
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            last = str(getattr(error, "reason", error)) or type(error).__name__
        if attempt < settings.attempts:
            time.sleep(wait)
            wait *= 2
    raise FetchFailed(
        f"no answer ({last}) after {settings.attempts} tries: run `grader collect --fetch` "
        "again later"
    )


def _is_login(final_url: str, page: str) -> bool:
    return "accounts.google.com" in urllib.parse.urlsplit(final_url).netloc or bool(
        re.search(r"ServiceLogin|accounts\.google\.com/v3/signin|<title>Sign[ -]in", page, re.I)
    )


def fetch_notebook(link: str, settings: FetchSettings) -> tuple[bytes, str, str]:
    """The notebook behind ``link``: its bytes, the URL it came from (after redirects and
    confirmation), a file name."""
    url, name = download_url(link, settings)
    for _ in range(3):  # the page, then at most two confirmation pages
        body, final, kind, disposition = _get(url, settings)
        if kind != "text/html" and not body.lstrip()[:15].lower().startswith(b"<!doctype html"):
            break
        page = body.decode("utf-8", "replace")
        if _is_login(final, page):
            raise FetchFailed(f"the file is private (a sign-in page); {_SHARE_HINT}")
        confirmed = _confirmed_url(page, final, settings)
        if confirmed is None:
            raise FetchFailed(
                f"the link gives a web page, not a notebook; {_SHARE_HINT} "
                "(File > Share > General access: Anyone with the link)"
            )
        url = confirmed
    else:
        raise FetchFailed(f"the download kept asking for confirmation; {_SHARE_HINT}")
    try:
        json.loads(body)
    except ValueError:
        raise FetchFailed(
            f"the file behind it is not a notebook (not JSON); {_SHARE_HINT}"
        ) from None
    if disposition.lower().endswith(".ipynb"):
        name = PurePosixPath(disposition.replace("\\", "/")).name
    return body, final, name


@dataclass(frozen=True)
class _Run:
    settings: FetchSettings
    staging: Path
    required: int


def _fetch_into(student_dir: Path, manifest: dict[str, Any], number: int, link: str, run: _Run):
    """Fetch project ``number``'s notebook into the folder; '' or the failure note."""
    settings, staging = run.settings, run.staging
    slot = f"project{number}/colab"
    try:
        body, url, name = fetch_notebook(link, settings)
        try:
            safe_relpath(name)
        except Rejected:
            name = f"colab-project{number}.ipynb"
        relpath = f"project{number}/{name}"
        while (student_dir / relpath).exists():
            relpath = f"project{number}/fetched-{name}"
            name = f"fetched-{name}"
        staged = staging / f"fetch-{hashlib.sha256(url.encode()).hexdigest()[:16]}.ipynb"
        staged.unlink(missing_ok=True)
        digest = write_new(staging, PurePosixPath(staged.name), [body], len(body))
        if reason := check_notebook(staged):
            staged.unlink()
            raise FetchFailed(f"the file behind it is not a notebook ({reason}); {_SHARE_HINT}")
        (student_dir / relpath).parent.mkdir(parents=True, exist_ok=True)
        staged.rename(student_dir / relpath)
    except FetchFailed as failure:
        return f"{_FETCH_NOTE}project {number}: {link}: {failure}"
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    link_entry = manifest["slots"][slot]
    manifest["slots"][f"project{number}/notebook"] = {
        "path": relpath,
        "sha256": digest,
        "at": link_entry["at"],
        "source": link_entry["source"],
    }
    manifest["received"] = sorted({*manifest.get("received", []), digest})
    manifest.setdefault("fetched", {})[relpath] = {
        "url": url,
        "link": link,
        "sha256": digest,
        "fetched_at": fetched_at,
    }
    refresh(manifest, run.required)
    check_files(student_dir, manifest)
    return ""


def fetch_notebooks(
    out: Path, staging: Path, settings: FetchSettings, summary: Summary, required: int
) -> None:
    """Fetch every missing notebook behind a Colab link, for every student folder in ``out``."""
    wanted = []
    for student_dir in student_dirs(out):
        manifest = held_manifest(student_dir)
        for number, project in enumerate(manifest.get("projects", []), 1):
            if project.get("colab") and not project.get("notebook") and "slots" in manifest:
                wanted.append((student_dir, number, project["colab"]))
    for student_dir, number, link in counted(wanted, "fetch", lambda w: f"{w[0].name} {w[2]}"):
        manifest = held_manifest(student_dir)
        prefix = f"{_FETCH_NOTE}project {number}:"
        notes = [note for note in manifest["notes"] if not note.startswith(prefix)]
        note = _fetch_into(student_dir, manifest, number, link, _Run(settings, staging, required))
        manifest["notes"] = notes + ([note] if note else [])
        summary.fetch_failed += bool(note)
        summary.fetched += not note
        write_manifest(student_dir, manifest)
