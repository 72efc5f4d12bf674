"""``grader watch``'s flags, and the options they make."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from grader import logs
from grader.course.config import load_course
from grader.course.options import add_common, course_file
from grader.errors import UserError
from grader.limits import MAILBOX
from grader.mail import smtp
from grader.mail.composing import sender_address


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "mailboxes",
        nargs="+",
        metavar="MAILBOX",
        help="imaps://USER@HOST[:PORT]/FOLDER (password in GRADER_IMAP_PASSWORD, or an OAuth2 "
        "token in GRADER_IMAP_OAUTH2_TOKEN)",
    )
    parser.add_argument("--from", dest="sender", required=True, help="'Name <address>'")
    add_common(parser)  # --course, --out: as the other course commands take them
    parser.add_argument(
        "--submissions", default="submissions", help="where collect puts the hand-ins"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=MAILBOX.watch_interval_s,
        help=f"seconds between polls (default {MAILBOX.watch_interval_s:g}); with IMAP IDLE "
        "the mail is also read as soon as it lands",
    )
    parser.add_argument(
        "--max-per-hour",
        type=int,
        default=MAILBOX.watch_max_per_hour,
        help=(
            "gradings per student and assignment in an hour"
            f" (default {MAILBOX.watch_max_per_hour}); the rest wait"
        ),
    )
    parser.add_argument("--once", action="store_true", help="poll and answer once, then stop")
    parser.add_argument(
        "--no-idle",
        dest="idle",
        action="store_false",
        help="only poll, never wait on IMAP IDLE (by default the watch polls at once when a "
        "server offering IDLE says mail came)",
    )
    parser.add_argument("--cafile", default=None, help="IMAP: PEM of certificates to trust")
    parser.add_argument("--smtp-host", default=os.environ.get("GRADER_SMTP_HOST"))
    parser.add_argument("--smtp-port", type=int, default=None, help="default 587, or 465 with tls")
    parser.add_argument("--security", choices=smtp.SECURITY, default="starttls")
    parser.add_argument("--smtp-cafile", default=None, help="SMTP: PEM of certificates to trust")
    parser.add_argument(
        "--workers", type=int, default=MAILBOX.watch_workers, help="notebooks graded at once"
    )
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run without namespaces where this machine cannot make them",
    )


def cli(args: argparse.Namespace) -> int:
    from grader.intake.imap.mailbox import parse_url  # the intake: an instructor's install
    from grader.watch.loop import MailboxLoop, Options

    logs.configure(args, timed=True)  # it runs for days: every line says when

    if not args.smtp_host:
        raise UserError("grader watch answers by mail: give --smtp-host (or GRADER_SMTP_HOST)")
    if args.interval <= 0 or args.max_per_hour < 1:
        raise UserError("--interval must be positive and --max-per-hour at least 1")
    port = args.smtp_port or (465 if args.security == "tls" else 587)
    options = Options(
        mailboxes=tuple(parse_url(m) for m in args.mailboxes),
        cafile=Path(args.cafile) if args.cafile else None,
        course=load_course(course_file(args)),
        out=Path(args.out),
        submissions=Path(args.submissions),
        sender=sender_address(args.sender),
        server=smtp.Smtp(
            args.smtp_host,
            port,
            args.security,
            Path(args.smtp_cafile) if args.smtp_cafile else None,
        ),
        interval=args.interval,
        max_per_hour=args.max_per_hour,
        workers=args.workers,
        unsafe_no_sandbox=args.unsafe_no_sandbox,
        idle=args.idle,
    )
    try:
        MailboxLoop(options).run(once=args.once)
    except KeyboardInterrupt:
        print("stopped; everything done so far is in the gradebook", flush=True)
    return 0
