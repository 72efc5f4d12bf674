"""The ``grader`` command line: a thin layer that parses flags and calls one stage module.

Every stage module raises :class:`grader.errors.UserError` for bad input; this layer prints its
message and exits 2, so users see what is wrong and what to do instead of a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence

from grader import __version__
from grader.errors import UserError


def _assign(args: argparse.Namespace) -> int:
    from grader.assignment import releasing

    return releasing.cli(args)


def _grade(args: argparse.Namespace) -> int:
    from grader.grading import command

    return command.cli(args)


def _report(args: argparse.Namespace) -> int:
    from grader import report

    return report.cli(args)


def _bundle(args: argparse.Namespace) -> int:
    from grader import bundle

    return bundle.cli(args)


def _collect(args: argparse.Namespace) -> int:
    from grader.intake import imap_collect, run

    return imap_collect.collect_cli(args, run.cli)


# The commands whose module owns its flags (``add_arguments(parser)``), its entry (``cli(args)``)
# and its one-line help (``HELP``), in the order ``grader --help`` lists them: those before
# ``assign`` and those after ``collect``. A module here is imported to build the parser, so it
# imports what its command runs on only inside ``cli``.
_FIRST = ("init", "grader.course.new_course"), ("setup", "grader.course.setup_command")
_COURSE = (
    ("marks", "grader.course.marks_command"),
    ("final", "grader.course.final_command"),
    ("lti", "grader.course.lti.commands"),
    ("roster", "grader.course.lti.roster_command"),
    ("mail", "grader.course.mail_command"),
    ("audit", "grader.course.audit_command"),
    ("written", "grader.course.written_command"),
    ("watch", "grader.watch.command"),
    ("serve", "grader.web.serve"),
    ("similarity", "grader.similarity.command"),
)


def _add(commands: argparse._SubParsersAction, table: Sequence[tuple[str, str]]) -> None:
    for name, module_name in table:
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        sub.set_defaults(handler=module.cli)
        module.add_arguments(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Release, collect, grade and report for a course."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    _add(commands, _FIRST)

    assign = command("assign", _assign, "Release the student notebook of an assignment.")
    assign.add_argument("assignment", nargs="?", help="assignment folder, e.g. assignments/<name>")
    assign.add_argument("--out", default="release", help="output folder (default: release/)")
    assign.add_argument(
        "--from-nbgrader",
        metavar="NOTEBOOK",
        help="write a starting assignment folder in --out from an nbgrader source notebook",
    )
    assign.add_argument(
        "--functions",
        metavar="F,G",
        help="with --from-nbgrader: the graded functions (default: those the solutions define)",
    )

    grade = command("grade", _grade, "Run every submission in a sandbox and score it.")
    grade.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="notebooks, student folders (from `grader collect`) or bundle zips",
    )
    grade.add_argument("--assignment", required=True, help="assignment folder")
    grade.add_argument("--out", required=True, help="output folder for results and grades")
    grade.add_argument("--timeout", type=float, default=None, help="per-cell time limit (s)")
    grade.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded at once (default: the number of cores)",
    )
    grade.add_argument(
        "--dask",
        metavar="SCHEDULER",
        default=None,
        help="grade on a Dask cluster: its scheduler's address (tcp://host:8786), or 'local' "
        "for a cluster of --workers processes on this machine; results are the same",
    )
    grade.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the hidden cases (default: a fresh seed per submission, "
        "recorded in the gradebook)",
    )
    grade.add_argument(
        "--resume",
        action="store_true",
        help="grade only the submissions the gradebook has no result for",
    )
    grade.add_argument(
        "--roster", default=None, help="roster.csv: name students by their roster id"
    )
    grade.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run without namespaces where this machine cannot make them",
    )

    report = command("report", _report, "Build a two-page project report PDF, or check one.")
    report.add_argument(
        "source", nargs="?", help="report Markdown or notebook; with --check, a PDF"
    )
    report.add_argument("-o", "--output", help="PDF to write (default: SOURCE with .pdf)")
    report.add_argument("--paper", choices=["a4", "letter"], type=str.lower, default="a4")
    report.add_argument(
        "--check",
        action="store_true",
        help="check an existing PDF: two pages at most, six sections in order",
    )
    report.add_argument(
        "--template",
        metavar="FILE",
        default=None,
        help="write the six-section report template (Markdown) to FILE, to start from",
    )

    bundle = command("bundle", _bundle, "Validate and build a student's submission bundle.")
    bundle.add_argument(
        "submission", nargs="?", help="submission.toml (--template writes one to fill in)"
    )
    bundle.add_argument(
        "--template",
        metavar="FILE",
        default=None,
        help="write a submission.toml to fill in to FILE",
    )
    bundle.add_argument("--out", default="bundle", help="output folder (default: bundle/)")

    collect = command("collect", _collect, "Turn an inbox of submissions into student folders.")
    collect.add_argument(
        "inbox",
        nargs="+",
        help="folder of bundle zips, .eml, .msg and mbox files, or one such file, or a mailbox "
        "imaps://USER@HOST[:PORT]/FOLDER (password in GRADER_IMAP_PASSWORD); several inboxes "
        "(the course's two addresses) are read as one",
    )
    collect.add_argument("--out", default="submissions", help="output folder")
    collect.add_argument(
        "--course",
        default=None,
        help="the course (course.toml or its folder): its auto-graded assignments' notebooks are "
        "filed under <id>/, its roster and deadlines used, replies to its feedback mail taken as "
        "regrade requests (default: course.toml here or beside --roster, if any)",
    )
    collect.add_argument(
        "--deadline", default=None, help="ISO 8601 deadline, e.g. 2023-01-15T23:59+05:30"
    )
    collect.add_argument(
        "--roster",
        default=None,
        help="roster: roster.csv (id,name,email,role), a Canvas or Moodle export, or .xlsx; "
        "attribute hand-ins to roster ids, skip staff mail",
    )
    collect.add_argument(
        "--fetch",
        action="store_true",
        help="download the notebook behind each Colab link that has no notebook beside it",
    )
    collect.add_argument(
        "--project-titles",
        default=None,
        metavar="TITLES",
        help="the projects' titles, separated by ';', to pair files that name a title",
    )
    collect.add_argument(
        "--graded",
        default=None,
        metavar="FOLDER",
        help="the course's graded folder (default: graded/ when it holds the gradebook): "
        "replies to its feedback mail are regrade requests, not hand-ins",
    )
    collect.add_argument(
        "--cafile", default=None, help="imaps://: PEM of certificates to trust besides the system's"
    )
    collect.add_argument(
        "--state",
        default=None,
        help="imaps://: SQLite file of the messages already fetched (default: OUT/mailbox.sqlite)",
    )

    _add(commands, _COURSE)
    return parser


# Packages of the [instructor] extra: a student's base install does not have them.
_INSTRUCTOR_PACKAGES = frozenset(
    {"IPython", "ipykernel", "jupyter_client", "nbclient", "tqdm", "dask", "distributed"}
    | {"starlette", "uvicorn", "multipart", "python_multipart", "jinja2"}
    | {"extract_msg", "openpyxl"}
    | {"jwt", "cryptography"}
)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, as Ctrl-C raises KeyboardInterrupt."""


@contextlib.contextmanager
def _terminated_as_interrupted() -> Iterator[None]:
    """SIGTERM (``kill``, a service manager's stop) ends the command as Ctrl-C does, so that
    what it holds (a run's sandbox and cgroup, a watch's graders) is cleaned up on the way
    out. A process forked from this one (a pool's grader worker) keeps the default: it dies."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def stop(number: int, _frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        raise _Terminated

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with _terminated_as_interrupted():
            return args.handler(args)
    except KeyboardInterrupt as stopped:
        how = "terminated" if isinstance(stopped, _Terminated) else "interrupted"
        print(f"grader {args.command}: {how}; every result written so far is kept", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(stopped, _Terminated) else signal.SIGINT)
    except UserError as error:
        print(f"grader {args.command}: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in _INSTRUCTOR_PACKAGES:
            raise
        print(
            f"grader {args.command}: this command is for instructors and needs packages a "
            f"student's install does not have ({error.name}). Install them with: "
            "pip install 'lstm-course-grader[instructor]'",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
