"""A hand-in is only ever its sender's (issue 64): with mail as Gmail, Outlook (Exchange Online)
and a university's own server record it, the course's trusted server's Authentication-Results
decide; a forged hand-in (DMARC failed, or SPF and DKIM both failed with no DMARC result) never
replaces the student's own and is listed by name with the reason, a genuine one is collected as
before; forged results, below the trusted server's or from another server above it, count for
nothing. Without a trusted server's results (a Takeout, a folder of .eml), DKIM signatures are
checked against a test DNS: the outcome is in index.csv, and an unsigned hand-in replacing a
signed one is flagged."""

from __future__ import annotations

import base64
import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dkim
import pytest
from course_kit import make_course
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from mailkit import gmail, notebook, outlook, takeout_mbox

from grader import intake
from grader.cli import main
from grader.intake.message.authresults import parse, trusted_results
from grader.intake.message.sender import DkimKeys
from grader.intake.summary_text import summary_lines
from grader.roster import load_roster

ROSTER = (
    "id,name,email,role\n"
    "CS21B001,Asha Verma,asha@example.edu,student\n"
    "EE21B002,Rahul Menon,rahul@example.edu,student\n"
)
DAY = datetime(2023, 1, 15, 10, 0, tzinfo=UTC)
OWN, OTHER = notebook("# Assignment 1: LSTM gates"), notebook("# Assignment 1: LSTM gates", "x=2")
GMAIL_PASS = (
    "mx.google.com;\n       dkim=pass header.i=@example.edu header.s=s1 header.b=Ab12Cd34;\n"
    "       spf=pass (google.com: domain of asha@example.edu designates 209.85.220.41 as "
    "permitted sender) smtp.mailfrom=asha@example.edu;\n"
    "       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=example.edu"
)
GMAIL_FAIL = (
    "mx.google.com;\n       spf=fail (google.com: domain of asha@example.edu does not designate "
    "203.0.113.9 as permitted sender) smtp.mailfrom=asha@example.edu;\n"
    "       dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=example.edu"
)
# Exchange Online writes no authserv-id, and "action=none" where RFC 8601 wants a ptype.
OUTLOOK_PASS = (
    "spf=pass (sender IP is 40.107.1.2)\n smtp.mailfrom=example.edu; dkim=pass (signature was "
    "verified)\n header.d=example.edu;dmarc=pass action=none\n header.from=example.edu;"
    "compauth=pass reason=100"
)
OUTLOOK_FAIL = (
    "spf=fail (sender IP is 203.0.113.9)\n smtp.mailfrom=example.edu; dkim=none (message not "
    "signed)\n header.d=none;dmarc=fail action=none\n header.from=example.edu;compauth=fail "
    "reason=000"
)
# A university's Postfix with OpenDKIM and SPF checks, no DMARC.
UNIVERSITY_PASS = (
    "mx.example.edu; spf=pass smtp.mailfrom=asha@example.edu; dkim=pass header.d=example.edu"
)
UNIVERSITY_FAIL = (
    'mx.example.edu; dkim=fail reason="signature verification failed" header.d=example.edu '
    "header.i=@example.edu; spf=fail smtp.mailfrom=asha@example.edu"
)
SERVERS = {  # the course's trusted id, a pass, a fail
    "gmail": ("mx.google.com", GMAIL_PASS, GMAIL_FAIL),
    "outlook": ("exchange-online", OUTLOOK_PASS, OUTLOOK_FAIL),
    "university": ("mx.example.edu", UNIVERSITY_PASS, UNIVERSITY_FAIL),
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def delivered(mail, *results: str) -> bytes:
    """``mail`` as the mailbox holds it: the results headers on top, the first topmost."""
    raw = mail.as_bytes().replace(b"\r\n", b"\n")
    added = "".join(f"Authentication-Results: {result}\n" for result in results)
    return added.encode() + raw


def held(folder: Path) -> bytes:
    """The one notebook a student's folder holds (a notebook of no known assignment is
    filed as a project's)."""
    (found,) = [path for path in folder.rglob("*.ipynb") if "history" not in path.parts]
    return found.read_bytes()


def hand_in(kind: str, sent: datetime, data: bytes, sender: str = "Asha Verma <asha@example.edu>"):
    files = [("lstm_gates.ipynb", data)]
    if kind == "outlook":
        typed = [(name, content, "application/octet-stream") for name, content in files]
        return outlook(sender, sent, "Assignment 1", "My notebook.", "<p>My notebook.</p>", typed)
    return gmail(sender, sent, "Assignment 1", "My notebook.", attachments=files)


def course_trusting(tmp_path: Path, authserv_id: str):
    course, _ = make_course(
        tmp_path, ROSTER, lambda text: text + f'\n[mail]\ntrusted_authserv_id = "{authserv_id}"\n'
    )
    return course


def test_the_parser_reads_rfc_8601s_examples_and_microsofts_header() -> None:
    assert parse("example.org 1; none") == parse("example.org 1; none")
    none = parse("example.org 1; none")
    assert none is not None and none.authserv_id == "example.org" and none.results == ()
    spf = parse("example.com; spf=pass smtp.mailfrom=example.net")
    assert spf is not None and spf.of("spf")[0].properties == {"smtp.mailfrom": "example.net"}
    two = parse(
        "example.com;\n dkim=pass (good signature) header.d=mail-router.example.net;\n"
        " dkim=fail (bad signature) header.d=newyork.example.com"
    )
    assert two is not None
    assert [(r.result, r.properties["header.d"]) for r in two.of("dkim")] == [
        ("pass", "mail-router.example.net"),
        ("fail", "newyork.example.com"),
    ]
    commented = parse(
        'example.com (a comment; with a semicolon); auth=pass (cram-md5) smtp.auth="s@example.net"'
    )
    assert commented is not None and commented.authserv_id == "example.com"
    assert commented.of("auth")[0].properties == {"smtp.auth": "s@example.net"}
    microsoft = parse(OUTLOOK_FAIL)
    assert microsoft is not None and microsoft.authserv_id == ""
    assert [(r.method, r.result) for r in microsoft.results] == [
        ("spf", "fail"),
        ("dkim", "none"),
        ("dmarc", "fail"),
        ("compauth", "fail"),
    ]
    # the topmost of the trusted server's; another server's above it is not read
    headers = ["evil.example; dmarc=pass", GMAIL_FAIL, GMAIL_PASS]
    found = trusted_results(headers, "mx.google.com")
    assert found is not None and found.of("dmarc")[0].result == "fail"
    assert trusted_results(["evil.example; dmarc=pass"], "mx.google.com") is None


@pytest.mark.parametrize("server", SERVERS)
def test_a_forged_hand_in_never_replaces_the_students_own(tmp_path: Path, server: str) -> None:
    authserv_id, passed, failed = SERVERS[server]
    forged_pass = (
        passed if server != "outlook" else "dmarc=pass action=none header.from=example.edu"
    )
    messages = {
        "genuine": delivered(hand_in(server, DAY, OWN), passed),
        "forged": delivered(hand_in(server, DAY + timedelta(hours=1), OTHER), failed),
        # the forger writes a passing result of the trusted server into their own mail: the
        # server's own header lands above it
        "forged, a pass written below": delivered(
            hand_in(server, DAY + timedelta(hours=2), OTHER), failed, forged_pass
        ),
        # another server's pass above the trusted one (a hop the course does not trust)
        "forged, another server's pass above": delivered(
            hand_in(server, DAY + timedelta(hours=3), OTHER),
            "relay.elsewhere.example; dmarc=pass header.from=example.edu",
            failed,
        ),
    }
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number, raw in enumerate(messages.values(), 1):
        (inbox / f"{number}.eml").write_bytes(raw)
    course = course_trusting(tmp_path, authserv_id)
    out = tmp_path / "submissions"
    summary = intake.collect(inbox, out, roster=course.roster(), course=course)
    folder = out / "CS21B001"
    assert held(folder) == OWN
    assert not (folder / "history").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [email["source"] for email in manifest["emails"]] == ["1.eml"]
    refused = {row["source"]: row["reason"] for row in read_csv(out / "UNATTRIBUTED.csv")}
    assert sorted(refused) == ["2.eml", "3.eml", "4.eml"]
    for reason in refused.values():
        assert "not attributed to CS21B001 (Asha Verma)" in reason
        assert ("DMARC failed" if server != "university" else "SPF and DKIM both failed") in reason
    index = {row["student"]: row for row in read_csv(out / "index.csv")}
    assert "pass" in index["CS21B001"]["sender_check"]
    assert summary.replaced == [] and not (out / "REPLACED.csv").exists()
    said = "\n".join(summary_lines(summary))
    assert "unattributed 2.eml from asha@example.edu: " in said


def test_a_genuine_resend_replaces_and_is_listed_for_the_instructor(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(delivered(hand_in("gmail", DAY, OWN), GMAIL_PASS))
    later = DAY + timedelta(hours=1)
    (inbox / "2.eml").write_bytes(delivered(hand_in("gmail", later, OTHER), GMAIL_PASS))
    course = course_trusting(tmp_path, "mx.google.com")
    out = tmp_path / "submissions"
    summary = intake.collect(inbox, out, roster=course.roster(), course=course)
    assert held(out / "CS21B001") == OTHER
    assert [row["source"] for row in read_csv(out / "REPLACED.csv")] == ["2.eml"]
    assert summary.replaced[0][:4] == ("CS21B001", "2.eml", "project1/lstm_gates.ipynb", "1.eml")
    said = "\n".join(summary_lines(summary))
    assert (
        "CS21B001: project1/lstm_gates.ipynb of 1.eml (2023-01-15T10:00:00+00:00) replaced by 2.eml"
        in said
    )


def _key() -> tuple[bytes, bytes]:
    """A private key as dkimpy signs with it, and its DNS record."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def signed(mail, private: bytes) -> bytes:
    raw = mail.as_bytes().replace(b"\r\n", b"\n")
    signature = dkim.sign(
        raw,
        b"s2023",
        b"example.edu",
        private,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
    )
    return signature + raw


def test_without_a_trusted_server_dkim_signatures_are_checked_and_stated(tmp_path: Path) -> None:
    private, record = _key()
    looked_up: list[bytes] = []

    def dns(name: bytes, timeout: float = 5) -> bytes | None:
        looked_up.append(name)
        return record if name == b"s2023._domainkey.example.edu." else None

    asha_signed = signed(hand_in("gmail", DAY, OWN), private)
    asha_unsigned = delivered(hand_in("gmail", DAY + timedelta(hours=1), OTHER))
    rahul = hand_in("gmail", DAY, OWN, "Rahul Menon <rahul@example.edu>")
    tampered = signed(rahul, private).replace(b"My notebook.", b"My notebook!", 1)
    mbox = takeout_mbox(
        tmp_path / "All mail.mbox",
        [rahul, rahul, rahul],
        raw={0: asha_signed, 1: asha_unsigned, 2: tampered},
    )
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "submissions"
    summary = intake.collect(
        mbox, out, roster=load_roster(tmp_path / "roster.csv"), dkim_keys=DkimKeys(dns)
    )
    assert looked_up == [b"s2023._domainkey.example.edu."]  # once per signer and run
    index = {row["student"]: row for row in read_csv(out / "index.csv")}
    assert index["EE21B002"]["sender_check"].startswith("dkim=fail")  # stated, not refused
    assert index["CS21B001"]["sender_check"] == "unsigned"  # the unsigned one is held now
    # nothing is refused for want of a signature, but the unsigned replacement is flagged
    assert held(out / "CS21B001") == OTHER
    flagged = read_csv(out / "REPLACED.csv")[0]
    assert flagged["student"] == "CS21B001" and "which was signed" in flagged["flag"]
    assert "which was signed" in index["CS21B001"]["notes"]
    said = "\n".join(summary_lines(summary))
    assert "FLAGGED: unsigned" in said
    manifest = json.loads((out / "CS21B001" / "manifest.json").read_text())
    assert manifest["emails"][0]["sender_check"] == "dkim=pass (d=example.edu)"


def _collect_with(course: Path, inbox: Path, out: Path, capsys) -> str:
    assert main(["collect", str(inbox), "--out", str(out), "--course", str(course)]) == 0
    return capsys.readouterr().err


@pytest.fixture
def course_from_init(tmp_path: Path) -> Path:
    folder = tmp_path / "lstm-course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    return folder


def test_a_course_from_grader_init_is_told_whom_to_trust_until_it_is_set(
    course_from_init: Path, tmp_path: Path, capsys
) -> None:
    """Secure by default: a new course trusts no receiving server, so a forged From: is only
    flagged; collect says so, and which trusted_authserv_id to set, when every message carries
    one server's results on top. Once it is set: nothing said, the forgery refused."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(delivered(hand_in("gmail", DAY, OWN), GMAIL_PASS))
    forged = hand_in("gmail", DAY + timedelta(hours=1), OTHER)
    (inbox / "2.eml").write_bytes(delivered(forged, GMAIL_FAIL))
    capsys.readouterr()

    said = _collect_with(course_from_init, inbox, tmp_path / "default", capsys)
    warnings = [line for line in said.splitlines() if "senders are not checked" in line]
    assert len(warnings) == 1, said
    assert 'Set trusted_authserv_id = "mx.google.com" under [mail]' in warnings[0]
    assert str(course_from_init / "course.toml") in warnings[0]
    replaced = read_csv(tmp_path / "default" / "REPLACED.csv")
    assert [row["source"] for row in replaced] == ["2.eml"]  # the forgery won

    toml = course_from_init / "course.toml"
    toml.write_text(toml.read_text() + '\n[mail]\ntrusted_authserv_id = "mx.google.com"\n')
    said = _collect_with(course_from_init, inbox, tmp_path / "trusting", capsys)
    assert "senders are not checked" not in said
    assert not (tmp_path / "trusting" / "REPLACED.csv").exists()
    refused = read_csv(tmp_path / "trusting" / "UNATTRIBUTED.csv")
    assert [row["source"] for row in refused] == ["2.eml"]


def test_nothing_is_said_unless_one_server_tops_every_message(
    course_from_init: Path, tmp_path: Path, capsys
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(delivered(hand_in("gmail", DAY, OWN), GMAIL_PASS))
    (inbox / "2.eml").write_bytes(delivered(hand_in("gmail", DAY + timedelta(hours=1), OTHER)))
    capsys.readouterr()
    said = _collect_with(course_from_init, inbox, tmp_path / "out", capsys)
    assert "senders are not checked" not in said


def test_a_default_course_names_each_hand_in_its_receiving_server_says_is_forged(
    course_from_init: Path, tmp_path: Path, capsys
) -> None:
    """Issue 89: whatever the other messages carry (here one with no Authentication-Results, as
    relayed or internal mail has, so that no one server tops them all), a hand-in whose
    receiving server says DMARC failed (or SPF and DKIM both failed) is named in collect's
    output and index.csv's notes, with the trusted_authserv_id to set; it is still filed."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rahul = "Rahul Menon <rahul@example.edu>"
    (inbox / "1.eml").write_bytes(delivered(hand_in("gmail", DAY, OWN, rahul)))  # internal
    forged = hand_in("gmail", DAY + timedelta(hours=1), OTHER)  # in Asha's name
    (inbox / "2.eml").write_bytes(delivered(forged, GMAIL_FAIL))
    capsys.readouterr()

    out = tmp_path / "submissions"
    said = _collect_with(course_from_init, inbox, out, capsys)
    assert "senders are not checked" not in said  # no one server tops every message
    (warning,) = [line for line in said.splitlines() if line.startswith("WARNING")]
    assert warning.startswith("WARNING: 2.eml, filed for CS21B001: mx.google.com says DMARC ")
    assert "failed for asha@example.edu" in warning
    assert 'set trusted_authserv_id = "mx.google.com" under [mail]' in warning
    assert str(course_from_init / "course.toml") in warning
    index = {row["student"]: row for row in read_csv(out / "index.csv")}
    asha, rahul_row = index["CS21B001"], index["EE21B002"]
    assert held(out / "CS21B001") == OTHER  # filed, as the course trusts no server
    assert "mx.google.com says DMARC failed for asha@example.edu" in asha["notes"]
    assert 'trusted_authserv_id = "mx.google.com"' in asha["notes"]
    assert asha["sender_check"].startswith("unsigned; untrusted mx.google.com: ")
    assert "dmarc=fail" in asha["sender_check"]
    assert (
        rahul_row["sender_check"] == "unsigned" and "trusted_authserv_id" not in rahul_row["notes"]
    )


@pytest.mark.parametrize("server", ["outlook", "university"])
def test_a_default_course_reads_each_servers_word_of_a_failed_sender(
    course_from_init: Path, tmp_path: Path, capsys, server: str
) -> None:
    """Exchange Online's header without an id, and a university's server that says SPF and
    DKIM both failed with no DMARC result, are named too; a pass is not."""
    _, passed, failed = SERVERS[server]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rahul = "Rahul Menon <rahul@example.edu>"
    (inbox / "1.eml").write_bytes(delivered(hand_in(server, DAY, OWN, rahul), passed))
    (inbox / "2.eml").write_bytes(delivered(hand_in(server, DAY, OTHER), failed))
    capsys.readouterr()
    out = tmp_path / "submissions"
    said = _collect_with(course_from_init, inbox, out, capsys)
    named = "exchange-online" if server == "outlook" else "mx.example.edu"
    why = "DMARC failed" if server == "outlook" else "SPF and DKIM both failed"
    warnings = [line for line in said.splitlines() if line.startswith("WARNING")]
    # both messages carry that server's results on top: issue 72's warning too
    assert len(warnings) == 2 and "senders are not checked" in warnings[0], said
    warning = warnings[1]
    assert warning.startswith(f"WARNING: 2.eml, filed for CS21B001: {named} says {why}")
    assert f'set trusted_authserv_id = "{named}"' in warning
    index = {row["student"]: row for row in read_csv(out / "index.csv")}
    assert why in index["CS21B001"]["notes"] and why not in index["EE21B002"]["notes"]
