"""The ``grader serve`` command: check the inputs, print the address and the token, run uvicorn.

On this machine only (the default), plain HTTP is fine. On any other address the token and the
session cookie would cross the network: it takes ``--certfile`` and ``--keyfile`` (HTTPS, and a
cookie sent over HTTPS only), or an explicit ``--insecure-http``.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

from grader import logs
from grader.course.config import find_course, load_course
from grader.course.options import add_common
from grader.errors import UserError
from grader.limits import WEB

_log = logging.getLogger(__name__)
TOKEN_ENV = "GRADER_SERVE_TOKEN"  # a fixed token for scripts; otherwise a fresh one per start


def transport(args: argparse.Namespace) -> bool:
    """Whether to serve HTTPS; UserError when the choice would send the token in clear text."""
    from grader.web.security import LOOPBACK_NAMES  # the web stack: an instructor's install

    if bool(args.certfile) != bool(args.keyfile):
        raise UserError("give both --certfile and --keyfile (the certificate and its key)")
    for given in (args.certfile, args.keyfile):
        if given and not Path(given).is_file():
            raise UserError(f"{given}: no such file")
    tls = bool(args.certfile)
    if not tls and args.host not in LOOPBACK_NAMES and not args.insecure_http:
        raise UserError(
            f"--host {args.host} makes the dashboard reachable from other machines, and over "
            "plain HTTP its token and session cookie would cross the network in clear text. "
            "Give --certfile and --keyfile to serve HTTPS, or --insecure-http if the network "
            "is yours alone; or leave out --host to serve this machine only."
        )
    return tls


def cli(args: argparse.Namespace) -> int:
    import uvicorn

    from grader.web.app import create_app
    from grader.web.security import LOGIN_PATH, LOOPBACK_NAMES, Guard, new_token
    from grader.web.site import Site

    course_path = find_course(args.course)
    load_course(course_path)  # a broken course file is a message now, not on the first page
    out = Path(args.out)
    if not out.is_dir():
        raise UserError(f"{out}: no such folder; give the --out folder `grader grade` wrote")
    tls = transport(args)
    token = os.environ.get(TOKEN_ENV) or new_token()
    if not token.isascii() or not token.isprintable() or " " in token:
        raise UserError(f"{TOKEN_ENV} must be printable ASCII without spaces")
    site = Site(course_path, out)
    instructor = args.marker or getpass.getuser()
    markers = _markers(args.add_marker, token, instructor)
    guard = Guard(
        token,
        instructor=instructor,
        markers=markers,
        served_host=args.host,
        extra_hosts=args.allow_host,
        secure_cookie=tls,
    )
    app = create_app(site, guard)
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    scheme = "https" if tls else "http"
    print(
        f"grader serve: {course_path} with results from {out}\n"
        f"Open {scheme}://{shown_host}:{args.port}{LOGIN_PATH} and paste the access token:\n"
        f"    token: {token}\n"
        f"{_marker_lines(markers)}"
        f"(Typed into the page, the token stays out of the browser's history.)\n"
        f"Stop with Ctrl-C.",
        file=sys.stderr,
        flush=True,
    )
    # Its requests (with -v) and its warnings, timed, through the grader's log (grader/logs.py).
    logs.configure(args, timed=True, also=("uvicorn",))
    if args.host not in LOOPBACK_NAMES and not tls:
        _log.warning(
            f"plain HTTP on {args.host} (--insecure-http): the token crosses the network in "
            "clear text"
        )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info" if args.verbose else "error" if args.quiet else "warning",
        log_config=None,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
    )
    return 0


def _marker_lines(markers: dict[str, str]) -> str:
    """The markers' tokens as the start prints them, to hand to each marker."""
    return "".join(
        f"Marker {name} (marking only) logs in with:\n    token: {token}\n"
        for name, token in markers.items()
    )


def _markers(names: list[str], instructor_token: str, instructor: str) -> dict[str, str]:
    """Each marker's name and token; UserError for a name given twice, an empty one, or the
    instructor's (the marks would not say who gave them)."""
    from grader.web.security import marker_token

    markers: dict[str, str] = {}
    for given in names:
        name = " ".join(given.split())
        if not name or not name.isprintable():
            raise UserError(f"--add-marker {given!r}: give the marker's name, e.g. 'Kiran Rao'")
        if name in markers or name == instructor:
            raise UserError(
                f"--add-marker {name!r} is given twice, or is the instructor's name (--marker):"
                " each marker needs a name of their own, recorded with their marks"
            )
        markers[name] = marker_token(instructor_token, name)
    return markers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)  # --course, --out: as the other course commands take them
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: this machine only)"
    )
    parser.add_argument("--port", type=int, default=WEB.port, help=f"port (default: {WEB.port})")
    parser.add_argument(
        "--marker",
        default=None,
        help="the instructor's name, recorded with the marks they save (default: your user name)",
    )
    parser.add_argument(
        "--add-marker",
        action="append",
        default=[],
        metavar="NAME",
        help="a marker (a TA): gets a token of their own, printed at start, that can mark "
        "(blind where the course is blind) but not reveal, decide regrade requests or see "
        "grades and the audit; their marks record NAME. Repeat for several.",
    )
    parser.add_argument("--certfile", help="TLS certificate (PEM): serve HTTPS")
    parser.add_argument("--keyfile", help="the certificate's private key (PEM)")
    parser.add_argument(
        "--insecure-http",
        action="store_true",
        help="allow plain HTTP on an address other than this machine's (the token then "
        "crosses the network in clear text)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the dashboard is also reached by (e.g. behind a proxy); any other "
        "Host header is refused. Repeat for several.",
    )
