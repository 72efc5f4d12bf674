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
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from grader import __version__
from grader.errors import UserError


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


@dataclass(frozen=True)
class Registrar:
    """A module that adds its commands itself through ``function(command)``, ``command`` being
    :func:`build_parser`'s ``command(name, handler, help)``: the course commands that have no
    ``add_arguments`` of their own yet. Imported for every command line (they are light), since
    their names are theirs to say."""

    module: str
    function: str


COMMANDS: tuple[Command | Registrar, ...] = (
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
    Registrar("grader.course.commands", "add_parsers"),  # marks, final, lti, roster, mail
    Registrar("grader.course.audit_command", "add_parser"),  # audit
    Registrar("grader.course.written_command", "add_parsers"),  # written
    Command(
        "watch", "Answer each hand-in in the mailbox with its feedback.", "grader.watch.command"
    ),
    Command("serve", "Serve the dashboard and project marking in the browser.", "grader.web.serve"),
    Command("similarity", "Find copied work across submissions.", "grader.similarity"),
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command and its flags (the docs' reference reads them all); with
    ``only``, every command is listed but only that one's module is imported for its flags."""
    parser = argparse.ArgumentParser(
        prog="grader", description="Release, collect, grade and report for a course."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    for entry in COMMANDS:
        if isinstance(entry, Registrar):
            getattr(importlib.import_module(entry.module), entry.function)(command)
            continue
        sub = commands.add_parser(entry.name, help=entry.help, description=entry.help)
        if only is None or only == entry.name:
            module = cast(CommandModule, importlib.import_module(entry.module))
            module.add_arguments(sub)
            sub.set_defaults(handler=module.cli)
    return parser


def named_command(argv: Sequence[str]) -> str:
    """The command a command line names: its first word that is not a flag (``grader`` itself
    takes no flag with a value); "" when there is none."""
    return next((word for word in argv if not word.startswith("-")), "")


# Packages of the [instructor] extra: a student's base install does not have them.
_INSTRUCTOR_PACKAGES = frozenset(
    {"IPython", "ipykernel", "jupyter_client", "nbclient", "tqdm", "dask", "distributed"}
    | {"starlette", "uvicorn", "multipart", "python_multipart", "jinja2", "markupsafe"}
    | {"nbconvert", "extract_msg", "openpyxl", "datasketch"}
    | {"jwt", "cryptography"}
)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    name = named_command(argv)
    try:
        args = build_parser(only=name).parse_args(argv)
        return args.handler(args)
    except UserError as error:
        print(f"grader {name}: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in _INSTRUCTOR_PACKAGES:
            raise
        print(
            f"grader {name}: this command is for instructors and needs packages a "
            f"student's install does not have ({error.name}). Install them with: "
            "pip install 'lstm-course-grader[instructor]'",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
