"""An IMAP server on loopback that answers the way Dovecot never does but RFC 3501 allows, for the
tests of the client side: LIST with a NIL hierarchy delimiter and folder names sent as literals
(``{N}`` and the name on the next line), and FETCH with the message as a literal followed by
its UID and INTERNALDATE (some servers put them after the body, so a reader that looks for them
before the literal finds neither). TLS with a certificate of its own, PLAIN and XOAUTH2 logins,
read-only EXAMINE, UID SEARCH and UID FETCH, and IDLE if asked for (``idle_ends``: how many
IDLE commands it ends itself, with a tagged OK, as some servers do after a while). Every command
it was sent is kept in ``commands``."""

from __future__ import annotations

import base64
import re
import select
import shutil
import socket
import ssl
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from imap_kit import wire_name
from smtp_kit import make_certificate

USER, PASSWORD = "lstm-course@example.edu", "app pässword 42"
TOKEN = "ya29.scripted-token"
UIDVALIDITY = 7
_TAGGED = re.compile(rb"^(\S+) (?:(UID) )?(\S+) ?(.*)$", re.IGNORECASE)
_XOAUTH2_FAILED = base64.b64encode(b'{"status":"401","schemes":"bearer"}')


class ScriptedImap:
    """``folders`` maps each folder name to whether LIST sends it as a literal with a NIL
    delimiter (True) or quoted with "/" (False); the first is the one ``url`` names (as the
    Dovecot kit's, for the watch's command line). Messages go in with :meth:`deliver`."""

    def __init__(self, folders: dict[str, bool], idle: bool = False, idle_ends: int = 0) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="grader-scripted-imap-"))
        self.cert, key = make_certificate(self.root)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(self.cert, key)
        self.folders = folders
        self.capabilities = b"IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2" + (b" IDLE" if idle else b"")
        self.idle_ends = idle_ends
        self.messages: dict[str, list[tuple[int, bytes, str]]] = {name: [] for name in folders}
        self.commands: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return self.address(next(iter(self.folders)))

    def address(self, folder: str, user: str = USER) -> str:
        return f"imaps://{user}@127.0.0.1:{self.port}/{folder}"

    def deliver(self, raw: bytes, folder: str, received: datetime) -> int:
        """Put a message in ``folder``, received at ``received`` (aware); its UID."""
        with self.lock:
            held = self.messages[folder]
            uid = (held[-1][0] if held else 0) + 3  # UIDs with gaps, as after deletions
            held.append((uid, raw, received.strftime("%d-%b-%Y %H:%M:%S %z")))
            return uid

    def close(self) -> None:
        """Stop listening and remove the certificate and its key."""
        self.listener.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            with self.context.wrap_socket(connection, server_side=True) as tls:
                Conversation(self, tls).run()
        except (OSError, ssl.SSLError):
            pass  # the client went away


class Conversation:
    def __init__(self, server: ScriptedImap, tls: ssl.SSLSocket) -> None:
        self.server = server
        self.tls = tls
        self.reader = tls.makefile("rb")
        self.folder: str | None = None
        self.reported = 0  # messages the client was told of (EXISTS)

    def send(self, *lines: bytes) -> None:
        self.tls.sendall(b"".join(line + b"\r\n" for line in lines))

    def run(self) -> None:
        self.send(b"* OK [CAPABILITY %s] scripted server ready" % self.server.capabilities)
        while line := self.reader.readline():
            line = line.rstrip(b"\r\n")
            self.server.commands.append(line)
            found = _TAGGED.match(line)
            if not found:
                self.send(b"* BAD no tag")
                continue
            tag, uid, command, rest = found.groups()
            answer = getattr(self, f"do_{command.decode().lower()}", None)
            if answer is None or (uid and command.upper() not in (b"SEARCH", b"FETCH")):
                self.send(tag + b" BAD unknown command")
                continue
            if answer(tag, rest) == "bye":
                return

    def do_capability(self, tag: bytes, rest: bytes) -> None:
        self.send(b"* CAPABILITY " + self.server.capabilities, tag + b" OK done")

    def do_noop(self, tag: bytes, rest: bytes) -> None:
        self.send(tag + b" OK done")

    def do_logout(self, tag: bytes, rest: bytes) -> str:
        self.send(b"* BYE logging out", tag + b" OK done")
        return "bye"

    def do_authenticate(self, tag: bytes, rest: bytes) -> None:
        self.send(b"+ ")
        response = base64.b64decode(self.reader.readline().strip())
        if rest.upper() == b"PLAIN":
            right = response == b"\0" + USER.encode() + b"\0" + PASSWORD.encode()
        else:
            right = response == f"user={USER}\1auth=Bearer {TOKEN}\1\1".encode()
            if not right:  # as Gmail: the error as a challenge, then NO after any answer
                self.send(b"+ " + _XOAUTH2_FAILED)
                self.reader.readline()
        self.send(tag + (b" OK logged in" if right else b" NO [AUTHENTICATIONFAILED] refused"))

    def do_list(self, tag: bytes, rest: bytes) -> None:
        for name, as_literal in self.server.folders.items():
            wire = wire_name(name).encode()
            if as_literal:
                bare = wire[1:-1]
                self.send(b"* LIST (\\HasNoChildren) NIL {%d}" % len(bare) + b"\r\n" + bare)
            else:
                self.send(b'* LIST (\\HasNoChildren) "/" ' + wire)
        self.send(tag + b" OK done")

    def do_examine(self, tag: bytes, rest: bytes) -> None:
        names = {wire_name(name).encode(): name for name in self.server.folders}
        self.folder = names.get(rest)
        if self.folder is None:
            self.send(tag + b" NO [NONEXISTENT] no such mailbox")
            return
        self.reported = count = len(self._held())
        self.send(
            b"* FLAGS (\\Seen \\Answered)",
            b"* %d EXISTS" % count,
            b"* 0 RECENT",
            b"* OK [UIDVALIDITY %d] UIDs valid" % UIDVALIDITY,
            tag + b" OK [READ-ONLY] examined",
        )

    def do_search(self, tag: bytes, rest: bytes) -> None:
        first = int(rest.upper().removeprefix(b"UID ").split(b":")[0])
        uids = [uid for uid, _, _ in self._held()]
        found = [uid for uid in uids if uid >= first] or uids[-1:]  # N:* names the last
        self.send(b"* SEARCH " + b" ".join(b"%d" % uid for uid in found), tag + b" OK done")

    def do_fetch(self, tag: bytes, rest: bytes) -> None:
        wanted = {int(uid) for uid in rest.split(b" ", 1)[0].split(b",")}
        for number, (uid, raw, received) in enumerate(self._held(), start=1):
            if uid in wanted:
                self.send(
                    b"* %d FETCH (BODY[] {%d}\r\n" % (number, len(raw))
                    + raw
                    + b' UID %d INTERNALDATE "%s")' % (uid, received.encode())
                )
        self.send(tag + b" OK fetched")

    def do_idle(self, tag: bytes, rest: bytes) -> None:
        if b"IDLE" not in self.server.capabilities:
            self.send(tag + b" BAD unknown command")
            return
        self.send(b"+ idling")
        with self.server.lock:
            ending = self.server.idle_ends > 0
            self.server.idle_ends -= ending
        if ending:
            self.send(tag + b" OK IDLE ended by the server")
            return
        while not select.select([self.tls], [], [], 0.05)[0] and not self.tls.pending():
            if (count := len(self._held())) > self.reported:
                self.reported = count
                self.send(b"* %d EXISTS" % count)
        done = self.reader.readline().strip()
        self.send(tag + (b" OK IDLE done" if done.upper() == b"DONE" else b" BAD expected DONE"))

    def _held(self) -> list[tuple[int, bytes, str]]:
        assert self.folder is not None, "FETCH or SEARCH before EXAMINE"
        with self.server.lock:
            return list(self.server.messages[self.folder])
