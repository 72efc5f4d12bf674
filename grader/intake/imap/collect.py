"""``grader collect imaps://USER@HOST/FOLDER``: the mailbox's new messages written as ``.eml``
files to a spool folder, which collect then reads like any folder of exported messages (the
roster, split hand-ins, forwards and the accounting of every message hold as they do for an
mbox). The fetched UIDs are recorded only once collect has placed the messages, so a run that
stops half-way fetches them again and collect knows them by content."""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from grader.gradebook import schema
from grader.intake.imap.mailbox import FetchedLog, MailboxUrl, Session, is_imap_url, parse_url
from grader.scratch import Scratch

STATE_NAME = "mailbox.sqlite"


def spool_name(url: MailboxUrl, uid: int) -> str:
    """The .eml file's name, which collect's lists show as the message's source."""
    folder = re.sub(r"[^A-Za-z0-9]+", "_", url.folder).strip("_") or "mailbox"
    return f"{folder}-uid{uid}.eml"


def spool_new(
    url: MailboxUrl, cafile: Path | None, log: FetchedLog, folder: Path
) -> list[tuple[int, int, bytes]]:
    """Write the messages not fetched before to ``folder``; ``(uidvalidity, uid, raw)`` each."""
    session = Session(url, cafile)
    try:
        before = log.last_uid(url, session.uidvalidity)
        uids = session.new_uids(before)
        folder.mkdir(parents=True, exist_ok=True)
        fetched = []
        for uid, raw, _ in session.fetch(uids):
            (folder / spool_name(url, uid)).write_bytes(raw)
            fetched.append((session.uidvalidity, uid, raw))
    finally:
        session.close()
    earlier = log.count(url, session.uidvalidity)
    print(
        f"{url}: {len(fetched)} new message(s), {earlier} fetched by earlier runs",
        file=sys.stderr,
    )
    return fetched


def collect_cli(args: argparse.Namespace, run: Callable[[argparse.Namespace], int]) -> int:
    """``run`` (collect's own command) on the inboxes, each mailbox address replaced by a spool
    folder of its new messages; a mailbox with nothing new is left out."""
    inboxes = args.inbox if isinstance(args.inbox, list) else [args.inbox]
    if not any(is_imap_url(inbox) for inbox in inboxes):
        return run(args)
    urls = {inbox: parse_url(inbox) for inbox in inboxes if is_imap_url(inbox)}
    cafile = Path(args.cafile) if getattr(args, "cafile", None) else None
    state = Path(args.state) if getattr(args, "state", None) else Path(args.out) / STATE_NAME
    state.parent.mkdir(parents=True, exist_ok=True)
    with (
        # a Scratch: the messages a killed run spooled are removed by the next run
        Scratch(None, "grader-imap-") as spool,
        closing(sqlite3.connect(state)) as connection,
    ):
        schema.bring_forward(connection, state)
        log = FetchedLog(connection)
        connection.commit()
        local, done = [], []
        for number, inbox in enumerate(inboxes):
            if inbox not in urls:
                local.append(inbox)
                continue
            folder = Path(spool, str(number))
            fetched = spool_new(urls[inbox], cafile, log, folder)
            done += [(urls[inbox], *message) for message in fetched]
            if fetched:
                local.append(str(folder))
        if not local:
            print("Nothing new to collect.")
            return 0
        args.inbox = local if isinstance(args.inbox, list) else local[0]
        code = run(args)
        with connection:
            for url, uidvalidity, uid, raw in done:
                log.record(url, uidvalidity, uid, raw)
    return code
