"""``grader collect`` accounts for every message, however broken: each one read ends in
exactly one place (a student's manifest, REJECTED.csv, UNATTRIBUTED.csv or NO_HANDIN.csv) with
a reason a person can act on. The messages are built as clients and servers write them: a
forward loop's endless enclosed messages, an enclosed message cut off, a "torture test" of
nested parts, attachment names in every non-ASCII form clients use, and hand-ins from a
program that writes the same Message-ID on every message it sends."""

from __future__ import annotations

import base64
import csv
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from mailkit import OWNER, forward_as_attachment, gmail, notebook, thunderbird

from grader import intake
from grader.roster import load_roster

ROSTER = (
    "id,name,email\n"
    "CS21B001,Asha Verma,asha@example.edu\n"
    "EE21B002,Rahul Menon,rahul@example.edu\n"
    "ME21B003,Priya Nair,priya@example.edu\n"
    "CH21B004,Karthik Rao,karthik@example.edu\n"
    "BT21B005,Divya Iyer,divya@example.edu\n"
    "MA21B006,Sneha Pillai,sneha@example.edu\n"
)
NB = notebook("# Assignment 1: LSTM gates")
DAY = datetime(2023, 1, 15, 10, 0, tzinfo=UTC)
NAMES = ("Wörter — 週 1.ipynb", "Größe (Ü1).ipynb", "संख्या.ipynb")


def at(minutes: int) -> datetime:
    return DAY + timedelta(minutes=minutes)


def forward_loop(depth: int) -> bytes:
    """Two mailboxes forwarding to each other "as attachment" (an Outlook rule on each): every
    hop encloses the message before it as message/rfc822, ``depth`` times, the hand-in
    innermost."""
    message = thunderbird(
        "Asha Verma <asha@example.edu>",
        at(0),
        "CS21B001 assignment 1",
        "attached",
        attachments=[("lstm_gates.ipynb", NB)],
    ).as_bytes()
    for hop in range(depth):
        boundary = f"----=_NextPart_{hop:06d}"
        message = (
            (
                f"From: Asha Verma <asha@example.edu>\r\nTo: {OWNER}\r\n"
                f"Date: {format_datetime(at(1))}\r\nSubject: FW: CS21B001 assignment 1\r\n"
                f"Message-ID: <loop-{hop}@example.edu>\r\nMIME-Version: 1.0\r\n"
                f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
                f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nhop {hop}\r\n"
                f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
            ).encode()
            + message
            + f"\r\n--{boundary}--\r\n".encode()
        )
    return message


def cut_enclosed() -> bytes:
    """Rahul forwards his hand-in as an attachment; the upload cut the enclosed message off in
    its base64 notebook, before its own closing boundary."""
    original = thunderbird(
        "Rahul Menon <rahul@example.edu>",
        at(2),
        "EE21B002 hand-in",
        "my notebook",
        attachments=[("lstm_gates.ipynb", NB)],
    )
    forward = forward_as_attachment("Rahul Menon <rahul@example.edu>", at(3), original, "again")
    forward.add_attachment(
        NB, maintype="application", subtype="octet-stream", filename="copy.ipynb"
    )
    raw = forward.as_bytes()
    inner = original.as_bytes()
    cut = inner[: len(inner) // 2]
    return raw.replace(inner.replace(b"\n", b"\r\n"), cut).replace(inner, cut)


def torture(sender: str) -> bytes:
    """After Mark Crispin's MIME torture test: multiparts in multiparts, an enclosed message
    holding multiparts and another enclosed message, an empty part, a part without headers,
    a preamble and epilogue, a quoted-printable part and a base64 part, odd boundaries."""
    b64 = base64.encodebytes(NB).decode().replace("\n", "\r\n")
    enclosed = (
        "From: Nathaniel Borenstein <nsb@example.com>\r\nSubject: inner\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="in ner"\r\n\r\n'
        "--in ner\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
        "--in ner\r\nContent-Type: message/rfc822\r\n\r\n"
        "Subject: deepest\r\nContent-Type: text/enriched\r\n\r\n<bold>x</bold>\r\n"
        "--in ner--\r\n"
    )
    body = (
        f"From: {sender}\r\nTo: {OWNER}\r\nDate: {format_datetime(at(4))}\r\n"
        "Subject: MA21B006 Multi-media mail demonstration (torture test)\r\n"
        "Message-ID: <torture-1@example.edu>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="=_outer (one)"\r\n\r\n'
        "This is a preamble: a MIME reader shows none of it.\r\n"
        "--=_outer (one)\r\n\r\nA part without any header: text/plain, us-ascii.\r\n"
        "--=_outer (one)\r\nContent-Type: multipart/parallel; boundary=par\r\n\r\n"
        "--par\r\nContent-Type: audio/basic\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "AAAA\r\n--par\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "R0lGODlhAQABAAAAACw=\r\n--par--\r\n"
        "--=_outer (one)\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe aus M=FCnchen\r\n"
        "--=_outer (one)\r\nContent-Type: text/plain\r\n\r\n"
        "--=_outer (one)\r\nContent-Type: message/rfc822\r\n\r\n" + enclosed + "\r\n"
        '--=_outer (one)\r\nContent-Type: application/octet-stream; name="lstm_gates.ipynb"\r\n'
        'Content-Disposition: attachment; filename="lstm_gates.ipynb"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n"
        "--=_outer (one)--\r\nThis is an epilogue: also shown to nobody.\r\n"
    )
    return body.encode()


def non_ascii_names() -> list[bytes]:
    """One hand-in per way clients write a non-ASCII file name: Thunderbird's RFC 2231
    (split into continuations when long), Gmail's and Outlook's RFC 2047 encoded-word, and
    Apple Mail's raw UTF-8 (a server speaking SMTPUTF8 passes it on)."""
    rfc2231 = thunderbird(
        "Priya Nair <priya@example.edu>", at(5), "ME21B003", "nb", attachments=[(NAMES[0], NB)]
    )
    rfc2047 = gmail(
        "Karthik Rao <karthik@example.edu>", at(6), "CH21B004", "nb", attachments=[(NAMES[1], NB)]
    )
    part = rfc2047.get_payload()[-1]
    part.replace_header(
        "Content-Disposition",
        'attachment; filename="=?UTF-8?B?' + base64.b64encode(NAMES[1].encode()).decode() + '?="',
    )
    raw_utf8 = (
        f"From: Divya Iyer <divya@example.edu>\r\nTo: {OWNER}\r\nDate: {format_datetime(at(7))}\r\n"
        "Subject: BT21B005\r\nMessage-ID: <apple-1@example.edu>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=Apple-Mail-1\r\n\r\n--Apple-Mail-1\r\n"
        f'Content-Disposition: attachment; filename="{NAMES[2]}"\r\n'
        f'Content-Type: application/octet-stream; name="{NAMES[2]}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(NB).decode().replace("\n", "\r\n")
        + "\r\n--Apple-Mail-1--\r\n"
    ).encode()
    return [rfc2231.as_bytes(), rfc2047.as_bytes(), raw_utf8]


def fixed_message_id() -> list[bytes]:
    """A department's submission form mails each hand-in with the same Message-ID."""
    mails = []
    for minute, (name, address) in enumerate(
        [("Asha Verma", "asha@example.edu"), ("Rahul Menon", "rahul@example.edu")], 8
    ):
        mail = gmail(
            f"{name} <{address}>",
            at(minute),
            "Assignment 1 hand-in",
            "from the form",
            attachments=[("lstm_gates.ipynb", notebook("# Assignment 1", f"who = {address!r}"))],
        )
        mail.replace_header("Message-ID", "<submission@forms.example.edu>")
        mails.append(mail.as_bytes())
    return mails


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("broken")
    inbox = root / "inbox"
    inbox.mkdir()
    messages = {
        "01 forward loop.eml": forward_loop(1500),
        "02 cut enclosed.eml": cut_enclosed(),
        "03 torture.eml": torture("Sneha Pillai <sneha@example.edu>"),
    }
    for number, raw in enumerate(non_ascii_names(), 4):
        messages[f"{number:02d} name.eml"] = raw
    for number, raw in enumerate(fixed_message_id(), 7):
        messages[f"{number:02d} form.eml"] = raw
    for name, raw in messages.items():
        (inbox / name).write_bytes(raw)
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out = root / "submissions"
    summary = intake.collect(inbox, out, roster=load_roster(root / "roster.csv"))
    return sorted(messages), out, summary


def test_every_broken_message_ends_in_exactly_one_place(collected):
    sources, out, summary = collected
    places: dict[str, list[str]] = {}
    for folder in out.iterdir():
        if (folder / "manifest.json").is_file():
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            for sent in manifest["emails"]:
                places.setdefault(sent["source"], []).append(folder.name)
    for name in ("REJECTED.csv", "UNATTRIBUTED.csv", "NO_HANDIN.csv"):
        for row in read_csv(out / name):
            places.setdefault(row["source"], []).append(name)
    assert {source: len(places.get(source, [])) for source in sources} == dict.fromkeys(sources, 1)
    assert summary.duplicates == [] and summary.items == len(sources)


def test_a_forward_loop_is_rejected_with_a_reason_a_person_can_act_on(collected):
    _, out, _ = collected
    [row] = [r for r in read_csv(out / "REJECTED.csv") if r["source"] == "01 forward loop.eml"]
    assert "nest deeper than any mail program writes" in row["reason"]
    assert "please report" not in row["reason"] and "Error" not in row["reason"]


def test_two_hand_ins_with_one_message_id_are_both_collected(collected):
    _, out, _ = collected
    for student in ("CS21B001", "EE21B002"):
        manifest = json.loads((out / student / "manifest.json").read_text(encoding="utf-8"))
        sources = [sent["source"] for sent in manifest["emails"]]
        assert any(source.endswith("form.eml") for source in sources), (student, sources)


def test_non_ascii_file_names_arrive_as_written(collected):
    _, out, _ = collected
    for student, name in zip(("ME21B003", "CH21B004", "BT21B005"), NAMES, strict=True):
        files = {path.name for path in (out / student).rglob("*.ipynb")}
        assert name in files, (student, files)


def test_the_torture_test_and_the_cut_enclosed_message_are_read(collected):
    _, out, _ = collected
    assert any((out / "MA21B006").rglob("lstm_gates.ipynb"))
    rahul = json.loads((out / "EE21B002" / "manifest.json").read_text(encoding="utf-8"))
    assert "02 cut enclosed.eml" in [sent["source"] for sent in rahul["emails"]]
