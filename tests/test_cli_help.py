"""Every ``grader … --help`` as it was recorded (issue 41: the commands moved their flags into
their own modules, and no flag, default or help text may change on the way).

The record, ``cli_help.txt``, holds the help of ``grader`` and of every command and sub-command;
it is compared with line wrapping ignored. When a flag changes on purpose, record again with
``.venv/bin/python tests/test_cli_help.py`` and let the diff show the change.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import re
import sys
from pathlib import Path
from unittest import mock

import pytest

from grader.cli import COMMANDS, build_parser, main

RECORD = Path(__file__).with_name("cli_help.txt")
HEADING = "### "  # before each command line in the record; no help line starts so
COLUMNS = "100"


def command_lines(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """Every command and sub-command, as the words that name it, read off argparse itself."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from command_lines(sub, (*prefix, name))


def help_of(words: tuple[str, ...]) -> str:
    """What ``grader WORDS --help`` prints, run as the command line runs it, on a terminal as
    wide as the record's (a narrow one breaks long words, which no unwrapping undoes)."""
    printed = io.StringIO()
    wide = mock.patch.dict(os.environ, {"COLUMNS": COLUMNS})
    with wide, contextlib.redirect_stdout(printed), pytest.raises(SystemExit) as exited:
        main([*words, "--help"])
    assert exited.value.code == 0, words
    return printed.getvalue()


def unwrapped(text: str) -> str:
    """The help with line wrapping (which follows the terminal's width, and may break a line
    after a hyphen: ``canvas-`` / ``import.csv``) ignored."""
    return re.sub(r"-\s+", "-", " ".join(text.split()))


def current() -> dict[str, str]:
    every = [(), *command_lines(build_parser())]
    return {" ".join(("grader", *words)): help_of(words) for words in every}


def as_text(helps: dict[str, str]) -> str:
    return "".join(f"{HEADING}{command}\n{text}\n" for command, text in sorted(helps.items()))


def recorded() -> dict[str, str]:
    parts = RECORD.read_text(encoding="utf-8").split("\n" + HEADING)
    parts[0] = parts[0].removeprefix(HEADING)
    parts[-1] = parts[-1].removesuffix("\n")
    return dict(part.split("\n", 1) for part in parts)


def test_every_command_help_is_as_recorded():
    recorded_helps = recorded()
    now = current()
    assert sorted(now) == sorted(recorded_helps), "commands came or went: see the docstring"
    for command, text in recorded_helps.items():
        assert unwrapped(now[command]) == unwrapped(text), command


def test_each_command_is_a_module_with_its_flags_and_its_entry():
    """The shape of every command (issue 41): the table names a module that owns
    ``add_arguments(parser)`` and ``cli(args)``, and the parser runs that ``cli``."""
    parser = build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(commands.choices) == sorted(entry.name for entry in COMMANDS)
    for entry in COMMANDS:
        module = importlib.import_module(entry.module)
        assert callable(module.add_arguments), entry.name
        assert commands.choices[entry.name].get_default("handler") is module.cli, entry.name


if __name__ == "__main__":  # record the help as it is now
    RECORD.write_text(as_text(current()), encoding="utf-8")
    print(f"wrote {RECORD}", file=sys.stderr)
