"""What the commands report while they work (grader/logs.py): levels, -v and -q on every
command, --log-file, and the time on each line of `grader serve` and `grader watch`."""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest
from web_kit import free_port

from grader import cli, logs

TIMED = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d "


def _args(*flags: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    logs.add_arguments(parser)
    return parser.parse_args(flags)


@pytest.fixture
def grader_log():
    yield logging.getLogger("grader.watch.loop")
    for handler in logging.getLogger(logs.LOGGER).handlers[:]:
        logging.getLogger(logs.LOGGER).removeHandler(handler)
        handler.close()


def test_quiet_keeps_warnings_and_errors_and_verbose_adds_debugging(grader_log, capsys):
    for flags, shown in [
        ((), ["said", "WARNING warned", "ERROR failed"]),
        (("-q",), ["WARNING warned", "ERROR failed"]),
        (("-v",), ["DEBUG looked", "said", "WARNING warned", "ERROR failed"]),
    ]:
        logs.configure(_args(*flags))
        grader_log.debug("looked")
        grader_log.info("said")
        grader_log.warning("warned")
        grader_log.error("failed")
        assert capsys.readouterr().err.splitlines() == shown, flags


def test_timed_lines_and_a_log_file_with_every_level(grader_log, capsys, tmp_path):
    path = tmp_path / "watch.log"
    logs.configure(_args("--log-file", str(path)), timed=True)
    grader_log.info("watching imaps://course@example.edu/INBOX")
    grader_log.error("the mailbox refused the login")
    err = capsys.readouterr().err.splitlines()
    assert re.fullmatch(TIMED + "watching imaps://course@example.edu/INBOX", err[0])
    assert re.fullmatch(TIMED + "ERROR the mailbox refused the login", err[1])
    written = path.read_text().splitlines()
    assert re.fullmatch(TIMED + "INFO watching imaps://course@example.edu/INBOX", written[0])
    assert re.fullmatch(TIMED + "ERROR the mailbox refused the login", written[1])


def test_every_command_takes_the_flags_and_a_bad_log_file_is_one_line(tmp_path, capsys):
    for command in cli.COMMANDS:
        assert "--log-file" in subprocess_free_help(command.name)
    missing = tmp_path / "no" / "such" / "folder" / "log.txt"
    code = cli.main(["bundle", "--template", str(tmp_path / "s.toml"), "--log-file", str(missing)])
    assert code == 2
    assert capsys.readouterr().err.startswith(f"grader bundle: --log-file {missing}: No such file")


def subprocess_free_help(name: str) -> str:
    parser = cli.build_parser(only=name)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name].format_help()


def test_serve_verbose_logs_each_request_with_its_time(tmp_path):
    folder = tmp_path / "course"
    assert cli.main(["init", str(folder)]) == 0
    (folder / "graded").mkdir()  # nothing graded yet: the pages say so
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "grader", "serve", "-v", "--course", str(folder / "course.toml"),
         "--out", str(folder / "graded"), "--port", str(port)],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "GRADER_SERVE_TOKEN": "t0ken"},
    )  # fmt: skip
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).read()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.2)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=60)
    assert "token: t0ken" in err  # the start's lines are the same
    assert re.search(TIMED + r'127\.0\.0\.1:\d+ - "GET /login HTTP/1\.1" 200', err), err
