"""Reading what students handed in, and the known material, into plain documents.

A PATH is a student folder from ``grader collect`` (``manifest.json``), the folder ``collect``
wrote (one student per sub-folder with a manifest), a bundle zip, or a notebook; a folder of
loose notebooks and zips counts one student per file. Whatever one student handed in becomes one
:class:`Document`: code cells, prose (notebook markdown and report text), files by hash, and
figures (image files and images in notebook outputs) by a perceptual hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from grader.bundle import MANIFEST_NAME, MANIFEST_SCHEMA
from grader.errors import UserError
from grader.gradebook import schema
from grader.inputs.json_input import NotJSON, load_json, object_at
from grader.limits import SIMILARITY
from grader.similarity import images

NOTEBOOK = ".ipynb"
PROSE_SUFFIXES = frozenset({".md", ".txt", ".tex", ".rst"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"})
_SKIPPED_NAMES = frozenset({"manifest.json", "submission.toml", ".ds_store", "thumbs.db"})
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]{0,2000}>")
_URL = re.compile(r"\b(?:https?|ftp)://\S+")


@dataclass(frozen=True)
class Part:
    """A passage shown on the page: a code cell, a markdown paragraph or a report passage."""

    where: str  # "assignment.ipynb, cell 7" or "reports/project1.pdf, passage 3"
    text: str


@dataclass(frozen=True)
class FileEntry:
    where: str  # path inside the student's hand-in
    sha256: str
    size: int


@dataclass(frozen=True)
class Figure:
    where: str
    sha256: str
    phash: int  # 256-bit perceptual hash (images.perceptual_hash)
    data: bytes  # the image file, re-drawn as a thumbnail only if the page shows it


@dataclass
class Document:
    """Everything one student (or one public source) handed in, ready for fingerprinting."""

    owner: str
    source: Path
    code: list[Part] = field(default_factory=list)
    prose: list[Part] = field(default_factory=list)
    files: list[FileEntry] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be read, in plain words
    # each notebook's metadata, for a per-student release's variant (grader.similarity.variants)
    metadata: list[dict] = field(default_factory=list)


def _cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):  # a student's file may hold anything there
        return "".join(line for line in source if isinstance(line, str))
    return source if isinstance(source, str) else ""


def _output_images(cell: dict) -> Iterator[tuple[int, bytes]]:
    for number, output in enumerate(cell.get("outputs") or []):
        data = output.get("data") if isinstance(output, dict) else None
        for mime in ("image/png", "image/jpeg"):
            encoded = data.get(mime) if isinstance(data, dict) else None
            if encoded:
                text = "".join(encoded) if isinstance(encoded, list) else str(encoded)
                try:
                    yield number, base64.b64decode(text, validate=False)
                except (binascii.Error, ValueError):
                    continue


def add_notebook(path: Path, name: str, doc: Document) -> None:
    """Add a notebook's code cells, markdown paragraphs and output figures to ``doc``."""
    try:
        notebook = load_json(path.read_bytes())  # NotJSON is a ValueError
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except (OSError, ValueError, KeyError, TypeError) as error:
        doc.notes.append(f"{name} is not a readable notebook ({error}); it was skipped")
        return
    if isinstance(notebook.get("metadata"), dict):
        doc.metadata.append(notebook["metadata"])
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            continue
        where = f"{name}, cell {number}"
        if cell.get("cell_type") == "code":
            doc.code.append(Part(where, _cell_text(cell)))
            for output, data in _output_images(cell):
                _add_figure(doc, f"{where}, output {output + 1}", data)
        elif cell.get("cell_type") == "markdown":
            doc.prose.extend(Part(where, p) for p in paragraphs(plain_markdown(_cell_text(cell))))


def plain_markdown(text: str) -> str:
    """The words of a markdown cell: HTML tags, images, link targets and bare URLs dropped
    (every Colab notebook opens with the same badge; a shared URL is not shared prose)."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    return _URL.sub(" ", text)


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each on one line, the empty ones dropped; a long one
    (PDF text often has no blank lines) is cut at sentence ends into passages of about
    SIMILARITY.passage_chars, so the page can show the matching part side by side."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\f", "\n\n"))
    out = []
    for block in blocks:
        flat = " ".join(block.split())
        passage = ""
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", flat):
            if passage and len(passage) + len(sentence) > SIMILARITY.passage_chars:
                out.append(passage)
                passage = ""
            passage = f"{passage} {sentence}".strip()
        if passage:
            out.append(passage)
    return out


def _add_figure(doc: Document, where: str, data: bytes) -> None:
    phash = images.perceptual(data)
    if phash is None:
        return  # not an image Pillow can read, or a blank one: no evidence either way
    doc.figures.append(Figure(where, hashlib.sha256(data).hexdigest(), phash, data))


def pdf_text(path: Path, cache: Path | None) -> str:
    """The text of a PDF by ``pdftotext`` (pypdf where poppler is missing), cached by hash."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    cached = cache / f"{digest}.txt" if cache else None
    if cached is not None and cached.is_file():
        return cached.read_text(encoding="utf-8")
    text = ""
    if shutil.which("pdftotext"):
        run = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-q", str(path), "-"],
            capture_output=True,
            timeout=SIMILARITY.pdf_timeout_s,
            check=False,
        )
        text = run.stdout.decode("utf-8", "replace") if run.returncode == 0 else ""
    else:
        from pypdf import PdfReader

        try:
            text = "\n\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        except Exception:  # pypdf raises many kinds on broken files; the note says so
            text = ""
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(text, encoding="utf-8")
    return text


def _pdf_paragraphs(text: str) -> list[str]:
    # pdftotext breaks lines inside a paragraph and ends pages with \f; hyphenated line ends
    # are joined so a word split by the typesetter is still one word.
    return paragraphs(re.sub(r"-\n(?=[a-z])", "", text))


def _file_entry(path: Path, name: str) -> FileEntry:
    """Name, SHA-256 and size of a file, read in chunks (a dataset may be large)."""
    with path.open("rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").hexdigest()
    return FileEntry(name, digest, path.stat().st_size)


def _files(folder: Path) -> list[Path]:
    """Every file under ``folder``, sorted (os.walk: much cheaper than Path.rglob)."""
    found: list[Path] = []
    for top, dirs, names in os.walk(folder):
        dirs.sort()
        found.extend(Path(top) / name for name in names)
    return sorted(found)


def read_folder(folder: Path, doc: Document, pdfs: list) -> None:
    """Add every file of a hand-in folder to ``doc`` (PDFs are queued in ``pdfs``)."""
    for path in _files(folder):
        relative = path.relative_to(folder)
        if (
            path.is_symlink()
            or relative.parts[0] == "history"
            or any(p.startswith(".") for p in relative.parts)
            or path.name.lower() in _SKIPPED_NAMES
        ):
            continue
        name = relative.as_posix()
        suffix = path.suffix.lower()
        if suffix == NOTEBOOK:
            add_notebook(path, name, doc)
            continue
        entry = _file_entry(path, name)
        if entry.size >= SIMILARITY.min_file_bytes:
            doc.files.append(entry)
        if suffix in IMAGE_SUFFIXES and entry.size <= SIMILARITY.max_read_bytes:
            _add_figure(doc, name, path.read_bytes())
        elif suffix in PROSE_SUFFIXES and entry.size <= SIMILARITY.max_read_bytes:
            text = path.read_bytes().decode("utf-8", "replace")
            doc.prose.extend(Part(name, p) for p in paragraphs(text))
        elif suffix == ".pdf":
            pdfs.append((doc, name, path))


def _pdf_job(item: tuple, cache: Path | None) -> tuple[str, Exception | None]:
    _, _, path = item
    try:
        return pdf_text(path, cache), None
    except (OSError, subprocess.SubprocessError) as error:
        return "", error


def _collect_pdfs(futures: list, progress=None) -> None:
    """Add each extracted PDF's passages to its Document, in the order they were queued."""
    for count, ((doc, name, _), future) in enumerate(futures, 1):
        text, error = future.result()
        if progress:
            progress("reading report PDFs", count, len(futures))
        found = _pdf_paragraphs(text)
        if not found:
            reason = f" ({error})" if error else ""
            doc.notes.append(f"{name}: no text could be read from this PDF{reason}")
        doc.prose.extend(Part(f"{name}, passage {i}", p) for i, p in enumerate(found, 1))


def read_pdfs(pdfs: list, cache: Path | None, progress=None) -> None:
    """Extract the queued PDFs, a few at a time (pdftotext runs outside the GIL)."""
    with ThreadPoolExecutor(max_workers=SIMILARITY.pdf_threads) as pool:
        _collect_pdfs([(item, pool.submit(_pdf_job, item, cache)) for item in pdfs], progress)


def _owner_of(folder: Path) -> str:
    manifest = folder / MANIFEST_NAME
    try:
        data = load_json(manifest.read_bytes())
        schema.check_record(manifest, data, MANIFEST_SCHEMA)
        student = object_at(data, "student")
        claimed = str(student.get("id") or "").strip()
    except (OSError, NotJSON):
        claimed = ""
    return claimed if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", claimed) else folder.name


def expand(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """Each PATH as the hand-ins it holds, and notes on how folders were read."""
    found: list[Path] = []
    notes: list[str] = []
    for path in paths:
        if not path.exists():
            raise UserError(
                f"{path}: no such file or folder; give student folders (from `grader collect`), "
                "the folder collect wrote, bundle zips or notebooks"
            )
        if path.is_file():
            if path.suffix.lower() not in (NOTEBOOK, ".zip"):
                raise UserError(f"{path}: not a notebook (.ipynb) or a bundle zip")
            found.append(path)
        elif (path / "manifest.json").is_file() or (path / "submission.toml").is_file():
            found.append(path)
        else:
            students = sorted(p.parent for p in path.glob("*/manifest.json"))
            loose = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (NOTEBOOK, ".zip")
            )
            if students or (loose and not any(p.is_dir() for p in path.iterdir())):
                found.extend(students + loose)
                notes.append(f"{path}: read as a class of {len(students) + len(loose)} hand-ins")
            else:
                found.append(path)
    return found, notes


def _hand_in(path: Path, unpack_to: Path, pdfs: list) -> Document:
    """The student's Document of a notebook, a folder, or a bundle (unpacked into the new folder
    ``unpack_to``)."""
    if path.suffix.lower() == NOTEBOOK:
        doc = Document(path.stem, path)
        add_notebook(path, path.name, doc)
        return doc
    folder = path
    if path.suffix.lower() == ".zip":
        from grader import intake

        folder = unpack_to
        try:
            intake.extract_bundle(path, folder)
        except intake.Rejected as error:
            doc = Document(error.student or path.stem, path)
            doc.notes.append(f"bundle rejected, not compared: {error.reason}")
            return doc
    doc = Document(_owner_of(folder), path)
    read_folder(folder, doc, pdfs)
    return doc


def read_students(
    paths: Sequence[Path], scratch: Path, cache: Path | None, progress=None
) -> tuple[list[Document], list[str]]:
    """One Document per student; two hand-ins naming the same student are an error."""
    hand_ins, notes = expand(paths)
    docs = []
    # PDFs are extracted in threads while the next hand-ins are read.
    with ThreadPoolExecutor(max_workers=SIMILARITY.pdf_threads) as pool:
        futures = []
        for count, path in enumerate(hand_ins, 1):
            queued: list = []
            docs.append(_hand_in(path, scratch / f"bundle-{count}", queued))
            futures += [(item, pool.submit(_pdf_job, item, cache)) for item in queued]
            if progress:
                progress("reading hand-ins", count, len(hand_ins))
        _collect_pdfs(futures, progress)
    by_owner: dict[str, list[str]] = {}
    for doc in docs:
        by_owner.setdefault(doc.owner, []).append(str(doc.source))
    clashes = {o: s for o, s in by_owner.items() if len(s) > 1}
    if clashes:
        listing = "; ".join(f"{o}: {', '.join(s)}" for o, s in sorted(clashes.items())[:5])
        raise UserError(
            f"several hand-ins for one student ({listing}); give each student once "
            "(collect keeps the latest and moves earlier ones to history/)"
        )
    if len(docs) < 2:
        raise UserError(f"found {len(docs)} hand-in(s); similarity needs at least two students")
    return docs, notes


def read_known(
    releases: Sequence[Path], corpora: Sequence[Path], cache: Path | None
) -> tuple[Document, list[Document]]:
    """The released notebooks as one Document, and one Document per public source."""
    release = Document("release", Path("."))
    for path in releases:
        notebooks = sorted(path.rglob("*.ipynb")) if path.is_dir() else [path]
        if not path.exists() or not notebooks:
            raise UserError(f"--release {path}: no such notebook; give the released .ipynb")
        for notebook in notebooks:
            add_notebook(notebook, notebook.name, release)
    public: list[Document] = []
    pdfs: list = []
    for corpus in corpora:
        if not corpus.is_dir():
            raise UserError(f"--against {corpus}: not a folder; give a folder of public notebooks")
        for path in sorted(corpus.rglob("*")):
            if path.is_file() and not any(p.startswith(".") for p in path.parts):
                doc = Document(f"public:{path.relative_to(corpus).as_posix()}", path)
                if path.suffix.lower() == NOTEBOOK:
                    add_notebook(path, path.name, doc)
                else:
                    _read_single_file(path, doc, pdfs)
                public.append(doc)
    read_pdfs(pdfs, cache)
    return release, public


def _read_single_file(path: Path, doc: Document, pdfs: list) -> None:
    entry = _file_entry(path, path.name)
    suffix = path.suffix.lower()
    doc.files.append(entry)
    if entry.size > SIMILARITY.max_read_bytes:
        return
    if suffix in IMAGE_SUFFIXES:
        _add_figure(doc, path.name, path.read_bytes())
    elif suffix in PROSE_SUFFIXES:
        text = path.read_bytes().decode("utf-8", "replace")
        doc.prose.extend(Part(path.name, p) for p in paragraphs(text))
    elif suffix == ".pdf":
        pdfs.append((doc, path.name, path))
