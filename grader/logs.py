"""What a command reports while it works, through Python's :mod:`logging`: a level on every
line, ``-v`` (everything, debugging included) and ``-q`` (warnings and errors only) on every
command, a copy in ``--log-file`` (always with times), and the time on every line of the two
commands that run for days (``serve``, ``watch``). The one-line outcome and the error a user
reads at the end of a command stay plain prints: they are the command's answer, not its log.

On the terminal a line reads ``[time ]message`` at the info level and ``[time ]LEVEL message``
at any other, so it shows what it always showed and ``grep ERROR`` finds the errors; in the file
every line is ``time LEVEL message``."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime

from grader.errors import UserError

LOGGER = "grader"  # every module logs under it: logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``-v``, ``-q`` and ``--log-file``: the same on every command."""
    group = parser.add_argument_group("what it reports while it works")
    loudness = group.add_mutually_exclusive_group()
    loudness.add_argument(
        "-v", "--verbose", action="store_true", help="report everything, debugging included"
    )
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="report only warnings and errors"
    )
    group.add_argument(
        "--log-file", metavar="FILE", help="also append the report to FILE, each line timed"
    )


class _Lines(logging.Formatter):
    """``[time ]message`` at the info level, ``[time ]LEVEL message`` at any other; a file's
    lines name every level, INFO too."""

    def __init__(self, timed: bool, every_level: bool = False):
        super().__init__()
        self.timed, self.every_level = timed, every_level

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno != logging.INFO or self.every_level:
            text = f"{record.levelname} {text}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if not self.timed:
            return text
        when = datetime.fromtimestamp(record.created).astimezone()
        return f"{when.isoformat(' ', 'milliseconds')} {text}"


def level(args: argparse.Namespace) -> int:
    """The level the flags ask for: DEBUG with -v, WARNING with -q, INFO otherwise."""
    if getattr(args, "verbose", False):
        return logging.DEBUG
    return logging.WARNING if getattr(args, "quiet", False) else logging.INFO


def configure(args: argparse.Namespace, *, timed: bool = False, also: tuple[str, ...] = ()) -> None:
    """The ``grader`` logger (and the loggers named in ``also``, a library's) at the level the
    flags ask for, to stderr (timed when ``timed``) and to ``--log-file`` (always timed)."""
    to_terminal = logging.StreamHandler(sys.stderr)
    to_terminal.setFormatter(_Lines(timed))
    handlers: list[logging.Handler] = [to_terminal]
    if getattr(args, "log_file", None):
        try:
            to_file = logging.FileHandler(args.log_file, encoding="utf-8")
        except OSError as error:
            raise UserError(f"--log-file {args.log_file}: {error.strerror or error}") from None
        to_file.setFormatter(_Lines(timed=True, every_level=True))
        handlers.append(to_file)
    for name in (LOGGER, *also):
        logger = logging.getLogger(name)
        for old in logger.handlers[:]:  # a copy: removing from the list being walked skips
            logger.removeHandler(old)
            old.close()
        for handler in handlers:
            logger.addHandler(handler)
        logger.setLevel(level(args))
        logger.propagate = False
