"""Reading a notebook as a report source: its markdown cells hold the sections, its figures are
the PNG outputs of cells tagged ``figure`` (else every plot, each in its cell's section), and
its title block comes from front matter, the notebook's metadata or the usual lines of its
first cells."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

from grader.errors import UserError
from grader.limits import REPORT
from grader.report.document import Block, Figure, Heading, Report, decode_png
from grader.report.images import page_image
from grader.report.inline import Span
from grader.report.markdown import MARKDOWN, BlockParser
from grader.report.sections import DATA_VISUALIZATION, section_of
from grader.report.sources import (
    FRONT_MATTER,
    REQUIRED_KEYS,
    checked_meta,
    front_matter,
    split_sections,
)

FIGURE_TAG = "figure"


def report_from_notebook(source: Path) -> Report:
    """The report a student wrote as a notebook: its markdown cells, front matter and
    figures; UserError when it cannot be read."""
    try:
        notebook = nbformat.read(source, as_version=4)
    except Exception as error:  # nbformat raises many kinds for a damaged file
        raise UserError(f"{source} is not a readable notebook: {error}") from error
    given = notebook.metadata.get("report")
    meta = {str(k): str(v) for k, v in given.items()} if isinstance(given, dict) else {}
    cells = [
        [number, unicodedata.normalize("NFC", cell.source), cell]
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "markdown"
    ]
    for entry in cells:
        if match := FRONT_MATTER.match(entry[1]):
            meta = meta or front_matter(match.group(1), source)
            entry[1] = entry[1][match.end() :]
            break
    # The report starts at the first section heading; the cells before it (the notebook's own
    # title, instructions, pictures) are not part of it, except as a fallback title.
    first = next(
        (i for i, (_, text, _) in enumerate(cells) if any(map(section_of, _headings(text)))),
        len(cells),
    )
    earlier = [heading for _, text, _ in cells[:first] for heading in _headings(text)]
    meta.setdefault("title", earlier[0] if earlier else source.stem.replace("_", " "))
    opening = [(number, text) for number, text, _ in cells[:first]]
    if first < len(cells):  # the lines above the first section heading of its own cell
        number, text, _ = cells[first]
        opening.append((number, re.split(r"(?m)^\s{0,3}#", text, maxsplit=1)[0]))
    found = {key: value for key, value in identity(opening).items() if not meta.get(key)}
    meta.update({key: value for key, (value, _) in found.items()})
    meta = checked_meta(meta, source, required=())
    parsed = [
        (BlockParser(source.parent, lambda _, n=number: f"cell {n}", cell.get("attachments")), text)
        for number, text, cell in cells[first:]
    ]
    blocks = [block for parser, text in parsed for block in parser.parse(text)]
    parsers = [parser for parser, _ in parsed]
    figures = list(_notebook_figures(notebook, source))
    blocks = _with_figures(blocks, figures)
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    notes = [
        f"{source}: the title block's {key} was read from cell {cell}: {value!r}"
        for key, (value, cell) in found.items()
    ]
    if missing:
        notes.append(
            f"{source}: the title block has no {', '.join(missing)}: write them in the first "
            f"markdown cell as '**Name:** ...', 'Roll no: ...', 'Email: ...' and an Open in Colab "
            f"link, or start it with a '---' front matter block as at the top of "
            f"templates/report.md"
        )
    if outside := sum(section is None for section, _ in figures):
        notes.append(
            f"{source}: {outside} plot(s) lie above the report's first section heading and are "
            f"left out: tag a cell '{FIGURE_TAG}' to put its plot in, or move it under a section"
        )
    sections = split_sections(blocks, meta, source, strict_preamble=False)
    notes.extend(note for parser in parsers for note in parser.notes)
    title = BlockParser(source.parent, lambda _: "the title").inline(meta["title"])
    return Report(source, meta, sections, tuple(notes), title)


# "**Name:** Ravi Kumar", "Roll no. - 21CS1042", "E-mail: ravi@example.edu", one per line or
# several on a line between | or <br>; the label may be bold and the value in a link.
_LABELS = {
    "author": r"(?:student'?s?\s+)?(?:full\s+)?name|author|submitted\s+by",
    "student_id": r"roll(?:\s*(?:no|number|num|#))?|(?:student\s*)?id(?:\s*(?:no|number))?|"
    r"enrol(?:l)?ment(?:\s*(?:no|number))?|reg(?:istration)?(?:\s*(?:no|number))?|prn|usn",
    "email": r"e-?mail(?:\s*(?:id|address))?|mail",
    "colab": r"colab(?:\s*(?:link|url|notebook))?|notebook\s*(?:link|url)",
}
_LABELLED = re.compile(
    r"^(?:[-*+>]\s+)*(?P<label>"
    + "|".join(f"(?P<{key}>{pattern})" for key, pattern in _LABELS.items())
    + r")\.?\s*[:\uff1a\-\u2013\u2014]\s*(?P<value>.+)$",
    re.I,
)
_COLAB_LINK = re.compile(
    r"https?://colab\.research\.google\.com/(?:drive|github|gist|notebooks?)/[^\s)\"'<>\]]+"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MARKUP = re.compile(r"\*\*|__|`|<[^>]*>")


def identity(cells: list[tuple[int, str]]) -> dict[str, tuple[str, int]]:
    """The author, student_id, email and colab link written in the opening cells, each with the
    number of the cell it came from: labelled lines, an Open in Colab badge or link, an address."""
    found: dict[str, tuple[str, int]] = {}
    for number, text in cells:
        for line in re.split(r"\n|<br\s*/?>|\|", text, flags=re.I):
            match = _LABELLED.match(_MARKUP.sub("", line).strip())
            if not match:
                continue
            key = next(key for key in _LABELS if match.group(key))
            value = _value(key, match.group("value"), line)
            if value and key not in found:
                found[key] = (value, number)
        links = _COLAB_LINK.findall(text)
        if links and "colab" not in found:
            found["colab"] = (links[0], number)
        emails = _EMAIL.findall(text)
        if emails and "email" not in found:
            found["email"] = (emails[0], number)
    return found


def _value(key: str, value: str, line: str) -> str:
    """The value of a labelled line, without Markdown link syntax or trailing punctuation."""
    if key == "colab":
        links = _COLAB_LINK.findall(line)
        return links[0] if links else ""
    if key == "email":
        emails = _EMAIL.findall(line)
        return emails[0] if emails else ""
    value = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", value)  # [text](link) -> text
    return " ".join(value.strip(" *_.,;").split())


def _headings(markdown: str) -> list[str]:
    tokens = MARKDOWN.parse(markdown)
    return [
        inline.content.strip()
        for opening, inline in itertools.pairwise(tokens)
        if opening.type == "heading_open"
    ]


def _with_figures(blocks: list[Block], figures: list[tuple[str | None, Figure]]) -> list[Block]:
    """The blocks with each figure at the end of its cell's section (a plot made under Results
    stays under Results); one of no section (above the report) is left out."""
    names = [section_of(b.plain) if isinstance(b, Heading) else None for b in blocks]
    held: dict[str, list[Figure]] = {}
    for section, figure in figures:
        if section is not None:
            held.setdefault(section, []).append(figure)
    placed: list[Block] = []
    current = None
    for block, name in zip(blocks, names, strict=True):
        if name:  # the section before this heading ends here: its figures close it
            placed += held.pop(current, []) if current else []
            current = name
        placed.append(block)
    return placed + (held.pop(current, []) if current else [])


def _notebook_figures(notebook: Any, source: Path) -> Iterator[tuple[str | None, Figure]]:
    """Each PNG output of the cells tagged ``figure``, else of every code cell, with the
    section the cell is under (a tagged cell above every section: Data Visualization). The
    caption is the cell's ``caption`` metadata, else its first comment, else the markdown just
    before it."""
    cells = list(_code_cells(notebook))
    tagged = [entry for entry in cells if FIGURE_TAG in entry[1].metadata.get("tags", [])]
    for number, cell, section, before in tagged or cells:
        images = [
            output["data"]["image/png"]
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ]
        if not images and tagged:
            raise UserError(
                f"{source}: cell {number} is tagged '{FIGURE_TAG}' but has no PNG output: run the "
                f"notebook and save it with its outputs."
            )
        caption = str(cell.metadata.get("caption") or _first_comment(cell.source) or _plain(before))
        for image in images:
            where = f"{source} cell {number}"
            data = page_image(decode_png(image, where), where, "the plot")
            figure = Figure(data, (Span(caption or f"Output of notebook cell {number}."),))
            yield (section or DATA_VISUALIZATION) if tagged else section, figure


def _code_cells(notebook: Any) -> Iterator[tuple[int, Any, str | None, str]]:
    """Each code cell: its number, the section it is under and the markdown cell just before
    it ('' when the cell before is code)."""
    current, before = None, ""
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "markdown":
            current = next(
                (name for name in reversed(list(map(section_of, _headings(cell.source)))) if name),
                current,
            )
            before = cell.source
        elif cell.cell_type == "code":
            yield number, cell, current, before
            before = ""


def _first_comment(code: str) -> str:
    """The first comment line of a cell that says something ("# Loss per epoch")."""
    for line in code.splitlines():
        text = line.strip()
        if text.startswith("#") and not text.startswith("#!"):
            words = text.lstrip("#").strip()
            if re.search(r"[^\W\d_]", words):
                return words
    return ""


def _plain(markdown: str) -> str:
    """The first paragraph of a markdown cell that is no heading, without its markup."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]
    text = next((p for p in paragraphs if not p.lstrip().startswith("#")), "")
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](link) -> text
    text = " ".join(_MARKUP.sub("", text).replace("*", "").split())
    most = REPORT.caption_chars
    return text if len(text) <= most else text[: most - 1].rsplit(" ", 1)[0] + "…"
