"""``grader collect`` SIGKILLed (its whole process group) at named moments of its run, then run
again as the docs say: the folder ends as one uninterrupted run leaves it. Every list complete
(``REPLACED.csv`` names the replacement the killed run made), no staging folder left."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mailkit import gmail

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "lstm_gates"
SENT = datetime(2026, 1, 10, 9, tzinfo=UTC)

# The killed run: a moment of collect's, named by the function it is about to call for the
# Nth time (after N-1 calls), when the run's process group is SIGKILLed: a function of
# grader.intake.run, or module.function of another module of grader.intake (run imports the
# merged PDF's module only when it writes the PDF).
DRIVER = """
import importlib, os, signal, sys
where, calls = sys.argv[1], int(sys.argv[2])
module, _, name = where.rpartition(".")
owner = importlib.import_module("grader.intake." + (module or "run"))
real, made = getattr(owner, name), []
def killed_there(*args, **kwargs):
    made.append(1)
    if len(made) == calls:
        os.killpg(0, signal.SIGKILL)
    return real(*args, **kwargs)
setattr(owner, name, killed_there)
from grader.cli import main
sys.exit(main(sys.argv[3:]))
"""


def mail(inbox: Path, file: str, sender: str, notebook: str, sample: str, sent: datetime) -> None:
    inbox.mkdir(exist_ok=True)
    message = gmail(
        sender,
        sent,
        "Assignment 1",
        "My notebook is attached.",
        attachments=[(notebook, (SAMPLES / f"{sample}.ipynb").read_bytes())],
    )
    (inbox / file).write_bytes(bytes(message))


def collect(inbox: Path, out: Path, moment: tuple[str, int] | None = None) -> int:
    arguments = ["collect", str(inbox), "--out", str(out)]
    command = [sys.executable, "-m", "grader.cli", *arguments]
    if moment is not None:
        command = [sys.executable, "-c", DRIVER, moment[0], str(moment[1]), *arguments]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, start_new_session=True
    )
    assert moment is not None or done.returncode == 0, done.stderr
    return done.returncode


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def tree(out: Path) -> list[str]:
    return sorted(
        str(path.relative_to(out)) for path in out.rglob("*") if path.name != "all_submissions.pdf"
    )


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """An inbox read once (two hand-ins), then again with a student's corrected notebook under
    a new name and a third student's hand-in; the folder after one uninterrupted second run."""
    root = tmp_path_factory.mktemp("term")
    inbox = root / "inbox"
    mail(
        inbox,
        "1-deepak.eml",
        "Deepak Rao <deepak.rao@example.edu>",
        "Deepak_A1_draft.ipynb",
        "bhavin",
        SENT,
    )
    mail(
        inbox,
        "2-priya.eml",
        "Priya Nair <priya.nair@example.edu>",
        "lstm_gates.ipynb",
        "chitra",
        SENT,
    )
    first = root / "first"
    collect(inbox, first)
    later = SENT + timedelta(hours=2)
    mail(
        inbox,
        "3-deepak.eml",
        "Deepak Rao <deepak.rao@example.edu>",
        "Deepak_A1.ipynb",
        "asha",
        later,
    )
    mail(
        inbox, "4-ravi.eml", "Ravi Iyer <ravi.iyer@example.edu>", "lstm_gates.ipynb", "esha", later
    )
    whole = root / "whole"
    subprocess.run(["cp", "-a", str(first), str(whole)], check=True)
    collect(inbox, whole)
    return inbox, first, whole


@pytest.mark.parametrize(
    "moment",
    [("place_student", 2), ("write_lists", 1), ("merged_pdf.write_merged_pdf", 1)],
    ids=["between-students", "before-the-lists", "before-the-pdf"],
)
def test_a_killed_collect_run_again_ends_as_one_run(term, tmp_path, moment):
    inbox, first, whole = term
    out = tmp_path / "submissions"
    subprocess.run(["cp", "-a", str(first), str(out)], check=True)
    assert collect(inbox, out, moment) == -9
    assert list(out.glob(".collect-*/")), "the killed run's staging is left"

    collect(inbox, out)  # run again, as the docs say

    assert not [p for p in out.glob(".collect-*") if p.is_dir()]
    replaced = rows(out / "REPLACED.csv")
    assert [(r["student"], r["source"], r["replaced_source"]) for r in replaced] == [
        ("deepak.rao", "3-deepak.eml", "1-deepak.eml")
    ]
    assert replaced == rows(whole / "REPLACED.csv")
    assert rows(out / "index.csv") == rows(whole / "index.csv")
    assert tree(out) == tree(whole)
