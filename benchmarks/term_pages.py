"""The dashboard's pages as term_scale.py measures them: `grader serve` started on a free
loopback port, logged in, each page asked once cold and three times warm; per page its status,
bytes, answer time and the server's CPU, and the server's peak memory."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

TOKEN = "term-scale-token-0123456789"


@dataclass
class Page:
    path: str
    status: int
    bytes: int
    cold_s: float
    warm_s: float  # median of three
    cold_cpu_s: float
    warm_cpu_s: float


def _server_pid(launcher: subprocess.Popen) -> int:
    """The server's own process: the fence's child."""
    for _ in range(200):
        children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise SystemExit("grader serve did not start")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def _log_in(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = urlencode({"token": TOKEN, "next": "/"})
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/login", body, form)
        return connection.getresponse().getheader("set-cookie", "").split(";", 1)[0]
    finally:
        connection.close()


def measure(command: list[str], student, log: Path) -> tuple[dict[str, Page], float]:
    """Start ``command`` (`grader serve` in its fence; a port is added) and ask each page once
    cold and three times warm, ``student`` (a kit Student) the one whose pages are asked for;
    the pages and the server's peak memory in MB."""
    port = _free_port()
    env = {**os.environ, "GRADER_SERVE_TOKEN": TOKEN}
    with log.open("w") as stream:
        launcher = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=stream, stderr=stream
        )
    measured: dict[str, Page] = {}
    try:
        _wait_for(port, launcher)
        pid = _server_pid(launcher)
        cookie = _log_in(port)
        pages = {
            "overview": "/",
            "students": "/students",
            "students search": "/students?" + urlencode({"q": student.name.split()[0]}),
            "student": f"/student/{student.id}",
            "similarity": "/similarity",
            "marking": f"/mark/project1/{student.id}",
            "written answers": "/written",
        }
        for name, path in pages.items():
            times, cpus, status, body = [], [], 0, b""
            for _ in range(4):
                cpu, started = _cpu_s(pid), time.perf_counter()
                status, body = _get(port, path, cookie)
                times.append(time.perf_counter() - started)
                cpus.append(_cpu_s(pid) - cpu)
            warm, warm_cpu = statistics.median(times[1:]), statistics.median(cpus[1:])
            measured[name] = Page(path, status, len(body), times[0], warm, cpus[0], warm_cpu)
        return measured, _peak_mb(pid)
    finally:
        launcher.kill()
        launcher.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, launcher: subprocess.Popen) -> None:
    for _ in range(1200):
        if launcher.poll() is not None:
            raise SystemExit("grader serve ended at its start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("grader serve did not start")
