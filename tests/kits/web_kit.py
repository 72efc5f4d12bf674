"""A real course for the `grader serve` tests: the sample submissions graded by `grader grade`,
the sample students' projects collected and checked, and the server started by the CLI inside
the pid fence (a regrade runs notebooks)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from sandbox_fence import FENCE

from grader import demo

ROOT = Path(__file__).resolve().parents[2]
GRADER = [sys.executable, "-m", "grader.cli"]
TOKEN = "test-token-0123456789abcdef"
SAMPLES = ROOT / "examples" / "lstm_gates"
CHROMIUM = Path("/usr/bin/chromium")
# Chromium on a machine without network: no background requests, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-sync",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
]

COURSE_TOML = """
[course]
title = "LSTM course (test)"
roster = "roster.csv"
scale = 100

[late]
grace_hours = 1
penalty_per_day = 10
max_penalty = 50

[[component]]
id = "lstm_gates"
title = "Assignment 1: LSTM gates"
kind = "auto"
weight = 50

[[component]]
id = "project1"
title = "Project 1"
kind = "project"
weight = 50
"""
ROSTER = """id,name,email,role
asha,Asha Verma,asha@example.edu,
bhavin,Bhavin <b>Shah</b>,bhavin@example.edu,
chitra,Chitra Iyer,chitra@example.edu,
dhaval,Dhaval Rao,dhaval@example.edu,
esha,Esha Gupta,esha@example.edu,
CS21B042,Asha Verma,asha.verma@example.edu,
EE21B017,Rahul Menon,rahul.menon@example.edu,
frank,Frank Nobody,frank@example.edu,
TA01,Kiran Rao (TA),kiran@example.edu,staff
"""


def run(*args: str, env: dict | None = None) -> None:
    done = subprocess.run(
        [*FENCE, *GRADER, *args], capture_output=True, text=True, timeout=900, cwd=ROOT, env=env
    )
    assert done.returncode == 0, f"grader {args[0]} failed:\n{done.stderr[-3000:]}"


def graded_course(
    base: Path,
    notebooks: Sequence[Path] = (),
    plant: Callable[[Path], None] | None = None,
) -> tuple[Path, Path]:
    """(course folder, graded output): the samples and ``notebooks`` graded, the projects
    collected, ``plant(submissions folder)`` run on them, then checked."""
    folder = base / "course"
    folder.mkdir()
    (folder / "course.toml").write_text(COURSE_TOML)
    (folder / "roster.csv").write_text(ROSTER)
    (folder / "lstm_gates").symlink_to(ROOT / "assignments" / "lstm_gates")
    (folder / "projects").symlink_to(ROOT / "assignments" / "projects")
    out = base / "graded"
    sources = sorted(str(p) for p in SAMPLES.glob("*.ipynb")) + [str(p) for p in notebooks]
    run(
        "grade",
        "--assignment",
        str(folder / "lstm_gates"),
        "--out",
        str(out / "lstm_gates"),
        "--seed",
        "11",
        *sources,
    )
    demo.bundle_and_collect(base / "demo")
    if plant is not None:
        plant(base / "demo" / "submissions")
    # The project notebooks run in the grader's own environment here (the Colab-like runtime
    # is built only for real project grading); what matters is that checks exist.
    env = {**os.environ, "GRADER_PROJECTS_RUNTIME": sys.prefix}
    collected = sorted(p for p in (base / "demo" / "submissions").iterdir() if p.is_dir())
    run(
        "grade",
        "--assignment",
        str(folder / "projects"),
        "--out",
        str(out),
        "--timeout",
        "60",
        *map(str, collected),
        env=env,
    )
    return folder, out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(folder: Path, out: Path, *extra: str, log: Path) -> Iterator[str]:
    """A running `grader serve` of the course; yields its URL. Its output goes to ``log``."""
    port = free_port()
    with log.open("w") as stream:
        server = subprocess.Popen(
            [
                *FENCE,
                *GRADER,
                "serve",
                "--course",
                str(folder / "course.toml"),
                "--out",
                str(out),
                "--port",
                str(port),
                "--marker",
                "prof-a",
                *extra,
            ],
            cwd=ROOT,
            env={**os.environ, "GRADER_SERVE_TOKEN": TOKEN},
            stdout=stream,
            stderr=stream,
        )
        try:
            wait_for(port, server, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.kill()  # unshare passes it on to the server (--kill-child)
            server.wait(timeout=20)


def wait_for(port: int, server: subprocess.Popen, log: Path) -> None:
    for _ in range(1200):  # two minutes: a busy machine starts Python slowly
        if server.poll() is not None:
            raise AssertionError(f"grader serve ended: {log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("grader serve did not start")


def request(
    url: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: Sequence[tuple[str, str | bytes]] = (),
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request, headers sent as given (bytes too): (status, headers, body)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.putrequest(method, path, skip_host=any(k == "Host" for k, _ in headers))
        for name, value in headers:
            connection.putheader(name, value)
        if body or method == "POST":
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def login_cookie(url: str, token: str = TOKEN) -> str:
    """The session cookie a login by the form gives (``name=value``)."""
    body = urlencode({"token": token, "next": "/"}).encode()
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    status, headers, _ = request(url, "POST", "/login", body, form)
    assert status == 303, status
    return headers["set-cookie"].split(";", 1)[0]


def log_in(page, url: str, token: str = TOKEN, path: str = "/") -> None:
    """Log a browser page in as a person does: the login form, the token typed into it."""
    page.goto(f"{url}/login?{urlencode({'next': path})}")
    page.fill("input[type=password]", token)
    with page.expect_navigation():
        page.press("input[type=password]", "Enter")
