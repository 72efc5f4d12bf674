"""The ``grader serve`` command: check the inputs, print the URL with its token, run uvicorn."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from grader.course.config import load_course
from grader.errors import UserError

TOKEN_ENV = "GRADER_SERVE_TOKEN"  # a fixed token for scripts; otherwise a fresh one per start


def cli(args: argparse.Namespace) -> int:
    import uvicorn

    from grader.web.app import Site, create_app
    from grader.web.security import Guard, new_token

    course_path = Path(args.course)
    load_course(course_path)  # a broken course file is a message now, not on the first page
    out = Path(args.out)
    if not out.is_dir():
        raise UserError(f"{out}: no such folder; give the --out folder `grader grade` wrote")
    token = os.environ.get(TOKEN_ENV) or new_token()
    site = Site(course_path, out, marker=args.marker or getpass.getuser())
    app = create_app(site, Guard(token))
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"grader serve: {course_path} with results from {out}\n"
        f"Open this URL (it carries the access token):\n"
        f"    http://{shown_host}:{args.port}/?token={token}\n"
        f"Stop with Ctrl-C.",
        file=sys.stderr,
        flush=True,
    )
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"grader serve: warning: listening on {args.host}, not only this machine",
            file=sys.stderr,
        )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--course", required=True, help="the course file, e.g. assignments/course.toml"
    )
    parser.add_argument("--out", required=True, help="the folder `grader grade` wrote results into")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: this machine only)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    parser.add_argument(
        "--marker", default=None, help="name recorded with marks (default: your user name)"
    )
