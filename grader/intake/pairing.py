"""Which project each file and link of a hand-in is for, told by what it says.

A project number or title is looked for in the file name, then in the report's first page or the
notebook's first cell (and for a link, in the text around it). What cannot be told is filed
under the first project still lacking a file of that role, and a note says it was a guess.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.intake.common import DATA_SUFFIXES, natural_key
from grader.intake.links import Link
from grader.projects.kinds import FILE_ROLES

ASSIGNMENT_SLOT = "assignment/"  # + the assignment's id: the slot of its notebook
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_NUMBERED = re.compile(
    r"(?<![A-Za-z0-9])(?:project|proj|prj|p|report|notebook|nb)[\s_#.-]*(?:no\.?\s*)?(\d{1,2})(?!\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Piece:
    """One file of a hand-in, with its place: ``slot`` is what a later file of the same
    project and role replaces (``project2/report``), or ``other/<name>`` for the rest."""

    slot: str
    relpath: str
    data: bytes


def assignment_of(name: str, data: bytes, auto_ids: Sequence[str] | None) -> str | None:
    """The auto-graded assignment a notebook names: the released notebook's metadata
    (``grader.assignment``, written by ``grader assign``), else its file name ("Copy of
    lstm_gates (2).ipynb"). ``auto_ids`` None (no course known): the metadata alone names it."""
    try:
        named = json.loads(data)["metadata"]["grader"]["assignment"]
    except (ValueError, KeyError, TypeError):
        named = None
    if isinstance(named, str) and (
        named in (auto_ids or ()) or (auto_ids is None and _PLAIN_ID.fullmatch(named))
    ):
        return named
    stem = re.sub(r"[^a-z0-9]+", "_", PurePosixPath(name).stem.lower())
    return next((aid for aid in auto_ids or () if aid.lower() in stem), None)


def role_of(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".ipynb":
        return "notebook"
    if suffix == ".pdf":
        return "report"
    return "dataset" if suffix in DATA_SUFFIXES else "other"


def project_in(text: str, required: int, titles: Sequence[str] = ()) -> int | None:
    """The project a text names ("Project 2", "p2", "report_1", or a title), or None."""
    for match in _NUMBERED.finditer(text):
        if 1 <= int(match[1]) <= required:
            return int(match[1])
    lowered = text.lower()
    for number, title in enumerate(titles[:required], 1):
        if title and title.lower() in lowered:
            return number
    return None


def _first_page_text(data: bytes) -> str:
    """The first page's text, read in a limited child process (a hostile PDF cannot stall
    collect); '' when it cannot be read, which ``check_pdf`` reports elsewhere."""
    from grader.pdf.reading import PdfUnreadable, read_pdf

    with tempfile.TemporaryDirectory(prefix="grader-pair-") as folder:
        path = Path(folder, "report.pdf")
        path.write_bytes(data)
        try:
            texts = read_pdf(path).texts  # as check_pdf reads it: read once
        except PdfUnreadable:
            return ""
    return texts[0] if texts else ""


def _first_cell_text(data: bytes) -> str:
    try:
        cells = json.loads(data).get("cells") or []
        source = cells[0].get("source", "") if cells else ""
    except (ValueError, AttributeError, TypeError):
        return ""
    return "".join(source) if isinstance(source, list) else str(source)


def _project_of(name: str, data: bytes, role: str, required: int, titles: Sequence[str]):
    number = project_in(PurePosixPath(name).stem, required, titles)
    if number is None and role == "report":
        number = project_in(_first_page_text(data), required, titles)
    if number is None and role == "notebook":
        number = project_in(_first_cell_text(data), required, titles)
    return number


def pair_files(
    files: Sequence[tuple[str, bytes]],
    required: int,
    titles: Sequence[str] = (),
    assignments: Sequence[str] | None = (),
) -> tuple[list[Piece], list[str]]:
    """Each file placed in a slot; and notes for what was guessed or set aside. A notebook that
    names an auto-graded assignment (see :func:`assignment_of`) goes to that assignment's slot
    and folder, never to a project."""
    pieces: list[Piece] = []
    notes: list[str] = []
    used: set[str] = set()

    def relpath(folder: str, name: str) -> str:
        base = PurePosixPath(name).name
        path, copy = f"{folder}/{base}", 2
        while path in used:
            path = f"{folder}/{PurePosixPath(base).stem}-{copy}{PurePosixPath(base).suffix}"
            copy += 1
        used.add(path)
        return path

    unknown: dict[str, list[tuple[str, bytes]]] = {role: [] for role in FILE_ROLES}
    taken: set[tuple[int, str]] = set()
    for name, data in sorted(files, key=lambda file: natural_key(file[0])):
        role = role_of(name)
        if role == "other":
            pieces.append(Piece(f"other/{name}", relpath("other", name), data))
            continue
        if role == "notebook" and (aid := assignment_of(name, data, assignments)):
            slot = f"{ASSIGNMENT_SLOT}{aid}"
            if any(piece.slot == slot for piece in pieces):
                path = relpath(aid, name)
                pieces.append(Piece(f"other/{path}", path, data))
                notes.append(f"{name}: a second notebook for {aid}, kept beside the first")
            else:
                pieces.append(Piece(slot, relpath(aid, name), data))
            continue
        number = _project_of(name, data, role, required, titles)
        if number is None:
            unknown[role].append((name, data))
        elif (number, role) in taken:
            path = relpath(f"project{number}", name)
            pieces.append(Piece(f"other/{path}", path, data))
            notes.append(f"{name}: a second {role} for project {number}, kept beside the first")
        else:
            taken.add((number, role))
            pieces.append(Piece(f"project{number}/{role}", relpath(f"project{number}", name), data))
    for role, names in unknown.items():
        free = [n for n in range(1, required + 1) if (n, role) not in taken]
        for name, data in names:
            if not free:
                pieces.append(Piece(f"other/{name}", relpath("other", name), data))
                notes.append(f"{name}: no project left without a {role}; kept under other/")
                continue
            number = free.pop(0)
            taken.add((number, role))
            pieces.append(Piece(f"project{number}/{role}", relpath(f"project{number}", name), data))
            notes.append(
                f"{name}: which project it is for could not be told (no project number or "
                f"title in its name{_WHERE.get(role, '')}); taken as project {number}'s {role}"
            )
    return pieces, notes


_WHERE = {"report": " or first page", "notebook": " or first cell"}


def pair_links(
    links: Sequence[Link], required: int, titles: Sequence[str] = ()
) -> tuple[dict[str, str], list[str]]:
    """Slots ``project<n>/colab`` and ``project<n>/dataset_link`` for the links; and notes."""
    slots: dict[str, str] = {}
    notes: list[str] = []
    unknown: list[tuple[str, Link]] = []
    for link in links:
        if link.kind == "colab" or (link.kind == "drive" and link.near_notebook):
            key = "colab"
        elif link.near_dataset:
            key = "dataset_link"
        else:
            notes.append(f"a Google Drive link not said to be a dataset or notebook: {link.url}")
            continue
        number = project_in(link.context, required, titles)
        if number is None and link.kind == "colab":
            number = project_in(_last_path_part(link.url), required, titles)
        if number is None or f"project{number}/{key}" in slots:
            unknown.append((key, link))
        else:
            slots[f"project{number}/{key}"] = link.url
    for key, link in unknown:
        free = [n for n in range(1, required + 1) if f"project{n}/{key}" not in slots]
        if not free:
            notes.append(f"more links than projects, not used: {link.url}")
            continue
        slots[f"project{free[0]}/{key}"] = link.url
        what = "Colab link" if key == "colab" else "dataset link"
        if required > 1:
            notes.append(
                f"the {what} {link.url}: which project it is for could not be told; "
                f"taken as project {free[0]}'s"
            )
    return slots, notes


def _last_path_part(url: str) -> str:
    return url.split("?", 1)[0].rsplit("/", 1)[-1]
