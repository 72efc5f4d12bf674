"""The ``grader`` command line: a table of commands, and the one place that maps errors to exits.

Each command lives in a module of its own that declares its flags (``add_arguments(parser)``)
and runs them (``cli(args)``), as :mod:`grader.watch.command` does. A command's module is
imported only when that command is run (or its help asked for): a student's install has
``grader report`` and ``grader bundle`` but not the instructor's packages the others import.

Every stage module raises :class:`grader.errors.UserError` for bad input; this layer prints its
message and exits 2, so users see what is wrong and what to do instead of a traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

import grader
from grader import logs
from grader.entry import ended_in_one_line


class CommandModule(Protocol):
    """What a command's module provides."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def cli(self, args: argparse.Namespace) -> int: ...


@dataclass(frozen=True)
class Command:
    """``grader NAME``: its one-line help, and the module that declares its flags and runs it."""

    name: str
    help: str
    module: str


COMMANDS: tuple[Command, ...] = (
    Command(
        "init",
        "Write a ready course folder: course.toml, roster, assignments.",
        "grader.course.new_course",
    ),
    Command(
        "setup",
        "Prepare the sandbox for a notebook runtime (done on first use too).",
        "grader.course.setup_command",
    ),
    Command(
        "assign", "Release the student notebook of an assignment.", "grader.assignment.releasing"
    ),
    Command("grade", "Run every submission in a sandbox and score it.", "grader.grading.command"),
    Command("report", "Build a two-page project report PDF, or check one.", "grader.report.build"),
    Command("bundle", "Validate and build a student's submission bundle.", "grader.bundle"),
    Command(
        "collect", "Turn an inbox of submissions into student folders.", "grader.intake.command"
    ),
    Command(
        "marks", "Enter, list, export or import project marks.", "grader.marking.marks_command"
    ),
    Command(
        "final", "Compute every student's final grade and exports.", "grader.mail.final_command"
    ),
    Command("lti", "Register the grader with an LMS over LTI 1.3.", "grader.lms.lti.commands"),
    Command(
        "roster",
        "Write roster.csv from the LMS's members (LTI NRPS).",
        "grader.lms.lti.roster_command",
    ),
    Command("mail", "Mail each student their marks and feedback pages.", "grader.mail.command"),
    Command(
        "audit",
        "List every change of a mark or score: who, when, why.",
        "grader.marking.audit_command",
    ),
    Command(
        "written",
        "Export, import the marks of written answers; reveal one.",
        "grader.marking.written_command",
    ),
    Command(
        "autograder",
        "Export an assignment as a Gradescope autograder or a PrairieLearn question.",
        "grader.platforms.command",
    ),
    Command(
        "watch", "Answer each hand-in in the mailbox with its feedback.", "grader.watch.command"
    ),
    Command("serve", "Serve the dashboard and project marking in the browser.", "grader.web.serve"),
    Command("similarity", "Find copied work across submissions.", "grader.similarity.command"),
    Command(
        "variants",
        "List every student's values (and drawn questions) of an assignment with [variants] or"
        " [[pools]] (CSV).",
        "grader.variants.command",
    ),
)


class _Version(argparse.Action):
    """``--version``: the version looked up only when asked (:data:`grader.__version__`)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str) -> None:
        super().__init__(option_strings, dest, nargs=0, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"{parser.prog} {grader.__version__}")  # to stdout, as argparse's own action
        parser.exit()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command and its flags (the docs' reference reads them all); with
    ``only``, every command is listed but only that one's module is imported for its flags."""
    parser = argparse.ArgumentParser(
        prog="grader", description="Release, collect, grade and report for a course."
    )
    parser.add_argument("--version", action=_Version, help="show program's version number and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for entry in COMMANDS:
        sub = commands.add_parser(entry.name, help=entry.help, description=entry.help)
        if only is None or only == entry.name:
            module = cast(CommandModule, importlib.import_module(entry.module))
            module.add_arguments(sub)
            sub.set_defaults(handler=module.cli)
        logs.add_arguments(sub)
    return parser


def named_command(argv: Sequence[str]) -> str:
    """The command a command line names: its first word that is not a flag (``grader`` itself
    takes no flag with a value); "" when there is none."""
    return next((word for word in argv if not word.startswith("-")), "")


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    name = named_command(argv)

    def run() -> int:
        # The command's modules, imported here, are kept: the collections their import sets
        # off free little and cost a tenth of each command's start.
        gc.disable()
        try:
            parser = build_parser(only=name)
        finally:
            gc.enable()
        args = parser.parse_args(argv)
        logs.configure(args)  # serve and watch configure it again, with times
        return cast(int, args.handler(args))

    return ended_in_one_line(f"grader {name}", run)


if __name__ == "__main__":
    sys.exit(main())
