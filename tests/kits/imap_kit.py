"""A real IMAP server on loopback for the tests: Debian's Dovecot, started from a config file of
its own in a temporary folder (implicit TLS with a self-signed certificate, a passwd-file of its
own, maildirs with Gmail-style folders). Mail arrives by IMAP APPEND, as a mail client or a
delivery agent puts it there."""

from __future__ import annotations

import imaplib
import os
import pwd
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from smtp_kit import free_port, make_certificate

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "lstm-course@example.edu", "app pässword 42"
TOKEN_USER, TOKEN = "oauth-course@example.edu", "ya29.test-token"
ALL_MAIL = "[Gmail]/All Mail"
HAND_INS = "LSTM hand-ins"

needs_dovecot = pytest.mark.skipif(
    not Path(DOVECOT).exists(),
    reason="Dovecot is not installed: apt-get install dovecot-imapd (make test-deps does it)",
)

_CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = grader-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u:LAYOUT=fs
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
"""

_WITHOUT_IDLE = """
protocol imap {
  imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE NAMESPACE UIDPLUS
}
"""


def wire_name(folder: str) -> str:
    """A folder name as IMAP sends it, quoted: non-ASCII in modified UTF-7 (RFC 3501 5.1.3),
    made here from Python's UTF-7 codec as a mail client would."""
    runs = re.compile(rb"\+([A-Za-z0-9+/]*)-?")
    encoded = runs.sub(
        lambda m: b"&" + m.group(1).replace(b"/", b",") + b"-", folder.encode("utf-7")
    )
    return f'"{encoded.decode()}"'


def _living(group: int) -> bool:
    """Whether a process of process group ``group`` still runs. Its dead wait as zombies until
    init reaps them, which may be never (pytest as a pid namespace's init reaps none)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # after "pid (comm)": state, ppid, pgrp
            state, _, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):
            continue
        if int(pgrp) == group and state not in ("Z", "X"):
            return True
    return False


class Dovecot:
    """One Dovecot instance. As root its processes run as Debian's dovecot users and the mail
    as ``nobody``; as another user, everything runs as that user."""

    def __init__(self, idle: bool = True) -> None:
        # Not under pytest's tmp_path: that is private to root, and the mail user reads here.
        self.root = Path(tempfile.mkdtemp(prefix="grader-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.cert, key = make_certificate(self.root)
        key.chmod(0o644)
        for name in ("run", "state", "mail", "home"):
            (self.root / name).mkdir()
        (self.root / "users").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}::::::\n{TOKEN_USER}:{{PLAIN}}{TOKEN}::::::\n",
            encoding="utf-8",
        )
        if os.getuid() == 0:
            mail = pwd.getpwnam("nobody")
            for name in ("mail", "home"):
                os.chown(self.root / name, mail.pw_uid, mail.pw_gid)
            users = dict(login_user="dovenull", internal_user="dovecot", internal_group="dovecot")
        else:
            me = pwd.getpwuid(os.getuid())
            mail = me
            users = dict(login_user=me.pw_name, internal_user=me.pw_name, internal_group="")
        self.config = self.root / "dovecot.conf"
        text = _CONFIG.format(
            root=self.root,
            port=self.port,
            cert=self.cert,
            key=key,
            mail_uid=mail.pw_uid,
            mail_gid=mail.pw_gid,
            **users,
        )
        if not idle:  # a server that offers no IMAP IDLE (RFC 2177), as some hosted ones
            text += _WITHOUT_IDLE
        if not users["internal_group"]:
            text = text.replace("default_internal_group = \n", "")
        self.config.write_text(text)

    @property
    def url(self) -> str:
        return f"imaps://{USER}@127.0.0.1:{self.port}/{HAND_INS}"

    def start(self) -> Dovecot:
        # The daemon's children inherit its stdout: a pipe there would never close.
        with (self.root / "start.log").open("wb") as said:
            subprocess.run([DOVECOT, "-c", str(self.config)], check=True, stdout=said, stderr=said)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.client().logout()
                return self
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (every connection drops at once, most with Dovecot's BYE); ``start``
        again on the same port. SIGTERM to the instance's process group (its master's pid: the
        master and every process it started): `dovecot stop` signals the master alone, takes
        2-3 s, and leaves a connection's process that is not in IDLE serving for 20-30 s more."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """End the server at once (SIGKILL): every connection closes with no BYE, as when its
        machine fails; ``start`` again on the same port. The master leaves its pid file, which
        would name a zombie here (nothing may reap it), so it goes too."""
        self._end(signal.SIGKILL)
        (self.root / "run" / "master.pid").unlink(missing_ok=True)

    def remove(self) -> None:
        """End the instance (SIGKILL: nothing of it is needed) and remove its folder."""
        self._end(signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def _end(self, how: signal.Signals) -> None:
        try:
            group = int((self.root / "run" / "master.pid").read_text())
            os.killpg(group, how)
        except (OSError, ValueError):  # never started, or stopped already
            return
        deadline = time.monotonic() + 30
        while _living(group) and time.monotonic() < deadline:
            time.sleep(0.02)

    def client(self, user: str = USER, password: str = PASSWORD) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.cert))
        client = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context, timeout=30)
        secret = password.encode()
        client.authenticate("PLAIN", lambda _: b"\0" + user.encode() + b"\0" + secret)
        return client

    def make_folders(self, *folders: str) -> None:
        client = self.client()
        for folder in folders:
            client.create(wire_name(folder))
        client.logout()

    def deliver(self, raw: bytes, folder: str = HAND_INS) -> int:
        """Put one message in ``folder`` (made if missing); its UID."""
        client = self.client()
        client.create(wire_name(folder))
        status, data = client.append(wire_name(folder), None, None, raw)
        client.logout()
        assert status == "OK", data
        return int(data[0].split(b"APPENDUID ")[1].split()[1].rstrip(b"]"))

    def flags(self, folder: str = HAND_INS) -> list[bytes]:
        client = self.client()
        client.select(wire_name(folder), readonly=True)
        _, data = client.uid("FETCH", "1:*", "(FLAGS)")
        client.logout()
        return [line for line in data if line]

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""
