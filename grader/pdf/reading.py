"""Reading a PDF from the wild (a student's report, a collected hand-in) without letting it
stall a run: pypdf reads it in a child process with a CPU-time and a memory limit. Whatever
goes wrong is said in words for the student who made the PDF, never in a library's."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.limits import REPORT, PdfLimits

TOO_SLOW = "this PDF takes too long to read: export it again from the program that made it"
LOCKED = (
    "the PDF is encrypted with a password, so nobody can open it without one: save or export "
    "it again without a password"
)
DAMAGED = (
    "not a readable PDF (it is damaged, or not a PDF at all): export it again from the "
    "program that made it"
)
_CHILD = Path(__file__).with_name("pdf_child.py")


class PdfUnreadable(Exception):
    """A PDF that cannot be read; ``reason`` is written for the student who made it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PdfFacts:
    pages: int
    sizes: list[tuple[float, float]]  # each page's visible size, pt
    texts: list[str]  # the text of the first pages
    unreadable: list[int]  # first pages whose text could not be read (1-based)
    images: int  # image objects on the first pages


# What a PDF's content told, by SHA-256: collect reads each report to pair it with its project,
# then checks it; the child is started once per content.
_READ: dict[tuple[str, int, PdfLimits], PdfFacts | PdfUnreadable] = {}


def read_pdf(
    path: Path, read_pages: int = REPORT.pages_read, limits: PdfLimits | None = None
) -> PdfFacts:
    """The facts of the PDF at ``path``; PdfUnreadable with the reason for the student.
    ``limits``: :meth:`PdfLimits.from_environment` unless given."""
    limits = limits or PdfLimits.from_environment()
    key = (hashlib.sha256(Path(path).read_bytes()).hexdigest(), read_pages, limits)
    if key not in _READ:
        try:
            _READ[key] = _read_in_child(path, read_pages, limits)
        except PdfUnreadable as unreadable:
            _READ[key] = unreadable
        while len(_READ) > REPORT.pdfs_kept:
            del _READ[next(iter(_READ))]
    found = _READ[key]
    if isinstance(found, PdfUnreadable):
        raise PdfUnreadable(found.reason)
    return found


def _read_in_child(path: Path, read_pages: int, limits: PdfLimits) -> PdfFacts:
    command = [
        sys.executable,
        "-I",  # no PYTHONPATH, no user site, no current folder: pypdf as installed
        str(_CHILD),
        str(Path(path).resolve()),
        str(read_pages),
        str(limits.cpu_seconds),
        str(limits.memory_bytes),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=limits.wall_seconds, check=False
        )
    except subprocess.TimeoutExpired:
        raise PdfUnreadable(TOO_SLOW) from None
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise PdfUnreadable(TOO_SLOW)
    if done.returncode < 0:  # the PDF crashed the reader: it is no PDF to hand in
        raise PdfUnreadable(DAMAGED)
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        # The child's own failure (pypdf missing, a crash of the interpreter) is the grader's.
        raise RuntimeError(
            f"reading {path} failed in the PDF reader (exit {done.returncode}): "
            f"{done.stderr.strip()[-2000:]}"
        ) from None
    problem = found.get("problem")
    if problem is not None:
        raise PdfUnreadable({"password": LOCKED, "damaged": DAMAGED}.get(problem, TOO_SLOW))
    return PdfFacts(
        pages=found["pages"],
        sizes=[(width, height) for width, height in found["sizes"]],
        texts=found["texts"],
        unreadable=found["unreadable"],
        images=found["images"],
    )
