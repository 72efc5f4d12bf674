"""Reading a notebook as a report source: its markdown cells hold the sections, its figures are
the PNG outputs of cells tagged ``figure`` (else the plots under Data Visualization), and its title
block comes from front matter, the notebook's metadata or the usual lines of its first cells."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

from grader.errors import UserError
from grader.report.document import Block, Figure, Heading, Report, decode_png
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


def read_notebook(source: Path) -> Report:
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
    parsers = [
        (BlockParser(source.parent, lambda _, n=number: f"cell {n}", cell.get("attachments")), text)
        for number, text, cell in cells[first:]
    ]
    blocks = [block for parser, text in parsers for block in parser.parse(text)]
    parsers = [parser for parser, _ in parsers]
    blocks = _with_figures(blocks, list(_notebook_figures(notebook, source)))
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


def _with_figures(blocks: list[Block], figures: list[Figure]) -> list[Block]:
    """The blocks with the figures placed at the end of the Data Visualization section."""
    names = [section_of(b.plain) if isinstance(b, Heading) else None for b in blocks]
    if DATA_VISUALIZATION not in names:
        return blocks
    start = names.index(DATA_VISUALIZATION)
    end = next((i for i in range(start + 1, len(blocks)) if names[i]), len(blocks))
    return [*blocks[:end], *figures, *blocks[end:]]


def _notebook_figures(notebook: Any, source: Path) -> Iterator[Figure]:
    """PNG outputs of the cells tagged ``figure``, else of the code under Data Visualization."""
    tagged = [
        (n, cell)
        for n, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code" and FIGURE_TAG in cell.metadata.get("tags", [])
    ]
    cells = tagged or list(_cells_under(notebook, DATA_VISUALIZATION))
    for number, cell in cells:
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
        caption = str(cell.metadata.get("caption") or _leading_comment(cell.source))
        for image in images:
            data = decode_png(image, f"{source} cell {number}")
            yield Figure(data, (Span(caption or f"Output of notebook cell {number}."),))


def _cells_under(notebook: Any, section: str) -> Iterator[tuple[int, Any]]:
    current = None
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "markdown":
            current = next(
                (name for name in reversed(list(map(section_of, _headings(cell.source)))) if name),
                current,
            )
        elif cell.cell_type == "code" and current == section:
            yield number, cell


def _leading_comment(code: str) -> str:
    first = code.lstrip().splitlines()[0] if code.strip() else ""
    return first.lstrip("#").strip() if first.startswith("#") else ""
