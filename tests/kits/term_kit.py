"""A term as the instructors' tutorial tells it: its walkthrough's fenced blocks (marked
``term`` and ``term-server``) read from docs/instructors/tutorial.md, and the course mailbox the
students' mail fills, shaped as Gmail and Outlook send it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailkit import gmail, outlook, takeout_mbox

ASSIGNMENTS = ("lstm_gates", "rnn_gradients", "lstm_backward")
# The sample notebooks' authors, as the example roster names them, and how each one mails.
NOTEBOOK_AUTHORS = {
    "asha": ("Asha Rao", "asha.rao@example.edu", "gmail"),
    "bhavin": ("Bhavin Patel", "bhavin.patel@example.edu", "outlook"),
    "chitra": ("Chitra Iyer", "chitra.iyer@example.edu", "gmail"),
    "dhaval": ("Dhaval Shah", "dhaval.shah@example.edu", "outlook"),
    "esha": ("Esha Gupta", "esha.gupta@example.edu", "gmail"),
}
PROJECT_AUTHORS = {
    "CS21B042": ("Asha Verma", "asha.verma@example.edu"),
    "EE21B017": ("Rahul Menon", "rahul.menon@example.edu"),
}
_FENCE = re.compile(r"^```sh (term(?:-server)?)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    kind: str  # "term": run to the end; "term-server": started, used, then stopped
    commands: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.commands.splitlines() if line.strip()]


def walkthrough(page: Path) -> list[Block]:
    """The page's term blocks, in order."""
    return [Block(kind, body) for kind, body in _FENCE.findall(page.read_text())]


def replace_once(block: Block, old: str, new: str) -> Block:
    """``block`` with ``old`` (which it must hold once) replaced: where the test stands in for
    the world (a light runtime for the 3 GB one, the loopback SMTP server for the course's)."""
    assert block.commands.count(old) == 1, f"the tutorial's walkthrough no longer says {old!r}"
    return Block(block.kind, block.commands.replace(old, new))


def _mail(kind: str, sender: str, sent: datetime, subject: str, text: str, files: list):
    if kind == "outlook":
        typed = [(name, data, "application/octet-stream") for name, data in files]
        return outlook(sender, sent, subject, text, f"<p>{text}</p>", typed)
    return gmail(sender, sent, subject, text, attachments=files)


def course_mailbox(path: Path, examples: Path, bundles: Path) -> Path:
    """The course's Gmail Takeout: every sample notebook's author hands in each assignment as
    Colab downloads it (``<assignment>.ipynb``) in a mail of its own, a day apart; the project
    students send the zip and PDF ``grader bundle`` made them."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    messages, arrived = [], []
    for day, assignment in enumerate(ASSIGNMENTS):
        for minute, (sample, (name, address, kind)) in enumerate(NOTEBOOK_AUTHORS.items()):
            sent = start + timedelta(days=day, minutes=minute)
            notebook = (examples / assignment / f"{sample}.ipynb").read_bytes()
            subject = f"{assignment} submission"
            text = f"Hello, please find my {assignment} notebook attached.\n{name}"
            files = [(f"{assignment}.ipynb", notebook)]
            messages.append(_mail(kind, f"{name} <{address}>", sent, subject, text, files))
            arrived.append(sent + timedelta(seconds=20))
    for minute, (student, (name, address)) in enumerate(PROJECT_AUTHORS.items()):
        sent = start + timedelta(days=2, hours=3, minutes=minute)
        files = [(p.name, p.read_bytes()) for p in sorted(bundles.glob(f"{student}.*"))]
        assert len(files) == 2, files  # the zip and the PDF
        text = f"Projects 1 and 2, {name} ({student})"
        messages.append(_mail("gmail", f"{name} <{address}>", sent, "Projects", text, files))
        arrived.append(sent + timedelta(seconds=20))
    return takeout_mbox(path, messages, arrived)
