"""``grader collect --fetch``: notebooks behind Colab links, from a loopback server that answers
the way Google Drive, GitHub and Gist do (public file, large file behind Drive's virus-scan
confirmation page, sign-in page for a private file, 404, a slow answer, a flaky one, an HTML
page instead of a notebook, a file that is not a notebook)."""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mailkit import gmail, notebook, takeout_mbox
from shared_kit import CORPUS, corpus_notebook

from grader import intake
from grader.cli import main
from grader.intake import load_manifest
from grader.intake.fetch import FetchSettings, download_url

REAL = CORPUS / "krshrey10__Stock_Price_Prediction_LSTM__Stock_Price_Prediction_LSTM.ipynb"
NB1 = notebook("# Project 1: stock prices")
NB2 = notebook("# Project 2: reviews")
SENT = datetime.fromisoformat("2023-01-15T20:00+05:30")
COLAB = "https://colab.research.google.com/"
GITHUB = f"{COLAB}github/asha-v/lstm-course/blob/main/notebooks/project2.ipynb"
GIST = f"{COLAB}gist/asha-v/0a1b2c3d4e5f67890a1b2c3d4e5f6789/lstm_project2.ipynb"
VIRUS_PAGE = """<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head>
<body><div class="uc-main"><p class="uc-warning-caption">Google Drive can't scan this file for
viruses.</p><form id="download-form" action="{base}/usercontent/download" method="get">
<input type="submit" id="uc-download-link" class="goog-inline-block jfk-button" value="Download
anyway"/><input type="hidden" name="id" value="{id}"><input type="hidden" name="export"
value="download"><input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid"
value="5e0f2a4c-1b7d-4c1e-9d6a-0c7e1f2b3a4d"></form></div></body></html>"""
SIGN_IN = """<!doctype html><html lang="en"><head><title>Sign in - Google Accounts</title>
</head><body><form action="https://accounts.google.com/v3/signin/identifier">Email or phone
</form></body></html>"""
VIEWER = """<!DOCTYPE html><html><head><title>project.ipynb - Google Drive</title></head>
<body><div id="drive-viewer">Open with Google Colaboratory</div></body></html>"""


class FakeGoogle(BaseHTTPRequestHandler):
    """Drive under /drive and /usercontent, GitHub raw under /raw, Gist raw under /gist."""

    requests: Counter = Counter()
    base = ""

    def log_message(self, *args) -> None:  # quiet
        pass

    def send(self, code: int, body: bytes, kind: str, **headers: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:  # the client gave up waiting (the slow answer)
            pass

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        file_id = query.get("id", "")
        self.requests[(url.path, file_id, query.get("confirm", ""))] += 1
        html = "text/html; charset=utf-8"
        if url.path == "/drive/uc":
            if file_id.startswith("1Private"):
                return self.send(302, b"", html, Location=f"{self.base}/accounts/signin")
            if file_id.startswith("1Gone"):
                return self.send(404, b"<html><title>Not Found</title></html>", html)
            target = f"{self.base}/usercontent/download?id={file_id}&export=download"
            return self.send(303, b"", html, Location=target)
        if url.path == "/accounts/signin":
            return self.send(200, SIGN_IN.encode(), html)
        if url.path == "/usercontent/download":
            return self.download(file_id, query)
        if (
            url.path
            == "/raw/krshrey10/Stock_Price_Prediction_LSTM/main/" + REAL.name.split("__")[-1]
        ):
            return self.send(200, REAL.read_bytes(), "text/plain; charset=utf-8")
        if url.path == "/raw/asha-v/lstm-course/main/notebooks/project2.ipynb":
            return self.send(200, NB2, "text/plain; charset=utf-8")
        if url.path == "/gist/asha-v/0a1b2c3d4e5f67890a1b2c3d4e5f6789/raw/lstm_project2.ipynb":
            return self.send(200, NB2, "text/plain; charset=utf-8")
        return self.send(404, b"404: Not Found", "text/plain")

    def download(self, file_id: str, query: dict[str, str]) -> None:
        attachment = {"Content_Disposition": 'attachment; filename="Project1_LSTM.ipynb"'}
        octets = "application/octet-stream"
        if file_id.startswith("1Large") and query.get("confirm") != "t":
            page = VIRUS_PAGE.format(base=self.base, id=file_id).encode()
            return self.send(200, page, "text/html; charset=utf-8")
        if file_id.startswith("1Slow"):
            time.sleep(1.0)
        if file_id.startswith("1Flaky") and self.requests[("/drive/uc", file_id, "")] < 2:
            return self.send(503, b"<html>Service Unavailable</html>", "text/html")
        if file_id.startswith("1Viewer"):
            return self.send(200, VIEWER.encode(), "text/html; charset=utf-8")
        if file_id.startswith("1NotNotebook"):
            return self.send(200, b"PK\x03\x04 a zip", octets, **attachment)
        if file_id.startswith("1Huge"):
            return self.send(200, b'{"cells": [' + b" " * 400_000 + b"]}", octets, **attachment)
        return self.send(200, NB1, octets, **attachment)


@pytest.fixture()
def google() -> Iterator[tuple[str, Counter]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGoogle)
    base = f"http://127.0.0.1:{server.server_port}"
    FakeGoogle.base, FakeGoogle.requests = base, Counter()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, FakeGoogle.requests
    server.shutdown()
    server.server_close()


def settings(base: str) -> FetchSettings:
    return FetchSettings(
        drive_url=f"{base}/drive",
        github_raw_url=f"{base}/raw",
        gist_raw_url=f"{base}/gist",
        timeout=0.4,
        attempts=2,
        backoff=0.05,
        max_bytes=300_000,
    )


def drive(file_id: str) -> str:
    return f"{COLAB}drive/{file_id}?usp=sharing"


STUDENTS = {
    "public": f"Project 1: {drive('1PublicOne_abcdef')}\nProject 2: {GITHUB}",
    "large": f"Project 1: {drive('1LargeOne_abcdef')}\nProject 2: {GIST}",
    "private": f"Project 1: {drive('1PrivateOne_abcdef')}",
    "gone": f"Project 1: {drive('1GoneOne_abcdef')}",
    "slow": f"Project 1: {drive('1SlowOne_abcdef')}",
    "flaky": f"Project 1: {drive('1FlakyOne_abcdef')}",
    "viewer": f"Project 1: {drive('1ViewerOne_abcdef')}",
    "notnb": f"Project 1: {drive('1NotNotebook_abcdef')}",
    "huge": f"Project 1: {drive('1HugeOne_abcdef')}",
    "both": f"Project 1: {drive('1BothOne_abcdef')}",
}


def mailbox_of_links(path: Path) -> Path:
    messages = [
        gmail(
            f"{name.title()} <{name}@example.edu>",
            SENT,
            "LSTM projects",
            body,
            attachments=[("project1.ipynb", NB2)] if name == "both" else [],
        )
        for name, body in STUDENTS.items()
    ]
    return takeout_mbox(path, messages)


def notes(out: Path, student: str) -> str:
    return " ".join(load_manifest(out / student)["notes"])


def test_fetch_notebooks_behind_colab_links(tmp_path: Path, google) -> None:
    base, requests = google
    mbox = mailbox_of_links(tmp_path / "Inbox.mbox")
    out = tmp_path / "out"
    before = {p for p in tmp_path.rglob("*") if out not in p.parents}

    summary = intake.collect(mbox, out, fetch=settings(base))

    public = load_manifest(out / "public")
    first, second = public["projects"]
    assert first["notebook"] == "project1/Project1_LSTM.ipynb"
    assert (out / "public" / first["notebook"]).read_bytes() == NB1
    assert second["notebook"] == "project2/project2.ipynb"
    assert (out / "public" / second["notebook"]).read_bytes() == NB2
    fetched = public["fetched"][first["notebook"]]
    assert fetched["url"] == f"{base}/usercontent/download?id=1PublicOne_abcdef&export=download"
    assert fetched["link"] == drive("1PublicOne_abcdef")
    assert fetched["sha256"] == public["files"][first["notebook"]]
    assert datetime.fromisoformat(fetched["fetched_at"]).tzinfo is not None
    assert public["missing"] == ["project 1: report PDF", "project 2: report PDF"]

    large = load_manifest(out / "large")
    assert (out / "large" / large["projects"][0]["notebook"]).read_bytes() == NB1
    assert requests[("/usercontent/download", "1LargeOne_abcdef", "t")] == 1  # confirmed once
    assert large["projects"][1]["notebook"] == "project2/lstm_project2.ipynb"

    assert "is private" in notes(out, "private") and "Anyone with the link" in notes(out, "private")
    assert "deleted or the link is wrong (HTTP 404)" in notes(out, "gone")
    assert "no answer" in notes(out, "slow") and "after 2 tries" in notes(out, "slow")
    assert requests[("/usercontent/download", "1SlowOne_abcdef", "")] == 2
    assert load_manifest(out / "flaky")["projects"][0]["notebook"]  # the retry got it
    assert "a web page, not a notebook" in notes(out, "viewer")
    assert "not a notebook" in notes(out, "notnb")
    assert "larger than the cap" in notes(out, "huge")
    for student in ("private", "gone", "slow", "viewer", "notnb", "huge"):
        manifest = load_manifest(out / student)
        assert manifest["projects"][0]["notebook"] is None
        assert [p.name for p in (out / student).iterdir()] == ["manifest.json"]
    assert not any(key[1].startswith("1Both") for key in requests)  # a notebook was attached
    assert (summary.fetched, summary.fetch_failed) == (5, 6)
    assert {p for p in tmp_path.rglob("*") if out not in p.parents and p != out} == before - {out}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]

    # Again: nothing fetched twice; the failures are tried again, their notes not repeated.
    seen = sum(count for key, count in requests.items() if key[1].startswith("1Public"))
    again = intake.collect(mbox, out, fetch=settings(base))
    assert sum(c for key, c in requests.items() if key[1].startswith("1Public")) == seen
    assert again.fetched == 0 and again.fetch_failed == 6
    assert notes(out, "gone").count("deleted") == 1


def test_download_urls_of_each_kind_of_colab_link() -> None:
    defaults = FetchSettings()
    assert download_url(drive("1PublicOne_abcdef"), defaults)[0] == (
        "https://drive.google.com/uc?export=download&id=1PublicOne_abcdef"
    )
    assert download_url(GITHUB, defaults) == (
        "https://raw.githubusercontent.com/asha-v/lstm-course/main/notebooks/project2.ipynb",
        "project2.ipynb",
    )
    assert download_url(GIST, defaults)[0] == (
        "https://gist.githubusercontent.com/asha-v/0a1b2c3d4e5f67890a1b2c3d4e5f6789/raw/"
        "lstm_project2.ipynb"
    )


def test_cli_fetch_reads_base_urls_from_the_environment(
    tmp_path: Path, google, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base, _ = google
    monkeypatch.setenv("GRADER_DRIVE_URL", f"{base}/drive")
    monkeypatch.setenv("GRADER_GITHUB_RAW_URL", f"{base}/raw")
    mbox = takeout_mbox(
        tmp_path / "Inbox.mbox",
        [gmail("Asha <asha@example.edu>", SENT, "LSTM", STUDENTS["public"])],
    )
    out = tmp_path / "subs"
    assert main(["collect", str(mbox), "--out", str(out), "--fetch"]) == 0
    assert "Fetched 2 notebook(s) behind Colab links; 0 could not be fetched" in (
        capsys.readouterr().out
    )
    monkeypatch.setenv("GRADER_GIST_RAW_URL", "gist.example")
    assert main(["collect", str(mbox), "--out", str(out), "--fetch"]) == 2
    assert "GRADER_GIST_RAW_URL='gist.example' is not an http(s) address" in (
        capsys.readouterr().err
    )


def test_a_real_colab_notebook_is_fetched_byte_for_byte(tmp_path: Path, google) -> None:
    base, _ = google
    corpus_notebook(REAL.name)
    # The link the notebook's own "Open in Colab" badge gives.
    link = (
        f"{COLAB}github/krshrey10/Stock_Price_Prediction_LSTM/blob/main/{REAL.name.split('__')[-1]}"
    )
    mail = gmail("Asha <asha@example.edu>", SENT, "LSTM", f"Project 1: {link}")
    out = tmp_path / "out"
    summary = intake.collect(takeout_mbox(tmp_path / "in.mbox", [mail]), out, fetch=settings(base))
    manifest = load_manifest(out / "asha")
    assert summary.fetched == 1
    assert (out / "asha" / manifest["projects"][0]["notebook"]).read_bytes() == REAL.read_bytes()
