"""Messages that share a Message-ID in one mbox (a Gmail Takeout, as it holds a message under
two labels; a copy cut short by a broken export; a program that rewrites a body and keeps its
Message-ID): an identical copy is counted once and named in ``COPIES.csv`` with what it was
folded into; messages whose content differs are never folded, each read on its own and listed
by its name."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mailkit import gmail, notebook, takeout_mbox, thunderbird

from grader import intake
from grader.intake.summary_text import summary_lines
from grader.roster import load_roster

ROSTER = (
    "id,name,email\nCS21B001,Asha Verma,asha@example.edu\nEE21B002,Rahul Menon,rahul@example.edu\n"
)
NB = notebook("# Assignment 1: LSTM gates")
FIXED = "<assignment-1@forms.example.edu>"  # written on every message the form sends
DAY = datetime(2023, 1, 15, 10, 0, tzinfo=UTC)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def cut_short(raw: bytes) -> bytes:
    """The message as a broken export leaves it: ended in the middle of its last part."""
    return raw[: raw.rindex(b"\n--") - 120]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("copies")
    asha = thunderbird(
        "Asha Verma <asha@example.edu>",
        DAY,
        "Assignment 1",
        "My notebook for assignment 1.",
        attachments=[("lstm_gates.ipynb", NB)],
    )
    asha.replace_header("Message-ID", FIXED)
    rewritten = thunderbird(
        "Asha Verma <asha@example.edu>",
        DAY,
        "Assignment 1",
        "My notebook for assignment 1. I fixed the forget gate after sending.",
        attachments=[("lstm_gates.ipynb", NB)],
    )
    rewritten.replace_header("Message-ID", FIXED)
    hostile = gmail(
        "Rahul Menon <rahul@example.edu>",
        DAY + timedelta(minutes=5),
        "a1",
        "nb",
        attachments=[("a.ipynb", NB)],
    )
    hostile.get_payload()[-1].set_param("filename", "../evil.ipynb", "Content-Disposition")
    whole = hostile.as_bytes()
    messages = [asha, asha, asha, rewritten, hostile, hostile]
    mbox = takeout_mbox(
        root / "Takeout" / "All mail.mbox",
        messages,
        raw={
            2: cut_short(asha.as_bytes()),  # the notebook cut off
            5: cut_short(whole),  # rejected like the whole one, but cut short
        },
    )
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out = root / "submissions"
    summary = intake.collect(mbox, out, roster=load_roster(root / "roster.csv"))
    return out, summary


def test_every_message_sharing_a_message_id_is_listed_by_name(collected) -> None:
    out, summary = collected
    sources = [f"All mail.mbox#{n}" for n in range(1, 7)]
    places: dict[str, list[str]] = {}
    for folder in out.iterdir():
        if (folder / "manifest.json").is_file():
            manifest = intake.load_manifest(folder)
            for sent in manifest["emails"]:
                places.setdefault(sent["source"], []).append(folder.name)
    for name in ("REJECTED.csv", "UNATTRIBUTED.csv", "NO_HANDIN.csv"):
        for row in read_csv(out / name):
            places.setdefault(row["source"], []).append(name)
    copies = {row["source"]: row for row in read_csv(out / "COPIES.csv")}
    for source, row in copies.items():
        if row["folded_into"]:
            places.setdefault(source, []).append("COPIES.csv")
    assert {s: len(places.get(s, [])) for s in sources} == dict.fromkeys(sources, 1), places
    # the identical copy: folded, and named with what it was folded into
    assert copies["All mail.mbox#2"]["folded_into"] == "All mail.mbox#1"
    assert copies["All mail.mbox#2"]["message_id"] == FIXED.strip("<>")
    assert summary.duplicates == [("All mail.mbox#2", "All mail.mbox#1")]
    # the cut-short and rewritten copies, and the cut-short rejected one: never folded
    for differing, first in (("#3", "#1"), ("#4", "#1"), ("#6", "#5")):
        row = copies[f"All mail.mbox{differing}"]
        assert row["folded_into"] == ""
        assert row["message_id"] and (first != "#1" or row["message_id"] == FIXED.strip("<>"))
        assert f"shares its Message-ID with All mail.mbox{first} but differs" in row["why"]
    assert len(read_csv(out / "REJECTED.csv")) == 2


def test_the_summary_names_the_copies_file(collected) -> None:
    out, summary = collected
    said = "\n".join(summary_lines(summary))
    assert "1 more were identical copies of these, counted once." in said
    assert "3 shared a Message-ID with another but differ: each read on its own." in said
    assert f"by name: {out / 'COPIES.csv'}" in said


def test_two_messages_sharing_a_message_id_that_differ_in_an_attachment_are_both_collected(
    tmp_path: Path,
) -> None:
    # A client that reuses the Message-ID when a message is sent again with a new attachment:
    # once with a second notebook, once with a voice note Gmail sends as an unnamed inline
    # part (no file name: the hand-in reads no file from it, yet it is not the same message).
    first = gmail(
        "Asha Verma <asha@example.edu>", DAY, "Assignment 1", "My notebook.",
        attachments=[("lstm_gates.ipynb", NB)],
    )  # fmt: skip
    again = gmail(
        "Asha Verma <asha@example.edu>", DAY, "Assignment 1", "My notebook.",
        attachments=[("lstm_gates.ipynb", NB), ("extra.ipynb", notebook("# extra"))],
    )  # fmt: skip
    voiced = gmail(
        "Asha Verma <asha@example.edu>", DAY, "Assignment 1", "My notebook.",
        attachments=[("lstm_gates.ipynb", NB)],
    )  # fmt: skip
    voiced.add_attachment(b"\x00\x00\x00\x20ftypM4A " * 400, "audio", "mp4", disposition="inline")
    for mail in (again, voiced):
        mail.replace_header("Message-ID", first["Message-ID"])
    mbox = takeout_mbox(tmp_path / "All mail.mbox", [first, again, voiced])
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "submissions"
    summary = intake.collect(mbox, out, roster=load_roster(tmp_path / "roster.csv"))
    assert summary.duplicates == []
    sent = [e["source"] for e in intake.load_manifest(out / "CS21B001")["emails"]]
    assert sorted(sent) == ["All mail.mbox#1", "All mail.mbox#2", "All mail.mbox#3"]
    copies = {row["source"]: row for row in read_csv(out / "COPIES.csv")}
    for source in ("All mail.mbox#2", "All mail.mbox#3"):
        assert copies[source]["folded_into"] == ""
        assert "shares its Message-ID with All mail.mbox#1 but differs" in copies[source]["why"]
