"""Reading a report's Markdown source: the front matter of its title block, and the blocks grouped
under the six sections, with every problem of the sections named at once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from grader.errors import UserError
from grader.report.document import Block, Heading, Report, Section
from grader.report.markdown import BlockParser
from grader.report.sections import SECTIONS, closest, order_text, out_of_order, section_of

FRONT_MATTER_KEYS: tuple[str, ...] = ("title", "author", "student_id", "course", "project", "colab")
REQUIRED_KEYS: tuple[str, ...] = ("title", "author", "student_id", "colab")
FRONT_MATTER = re.compile(
    r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S
)


def read_text(source: Path) -> str:
    try:
        return unicodedata.normalize("NFC", source.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise UserError(f"{source} is not UTF-8 text ({error}); save it as UTF-8.") from error


def read_markdown(source: Path) -> Report:
    text = read_text(source)
    match = FRONT_MATTER.match(text)
    if not match:
        raise UserError(
            f"{source} has no front matter: it must start with a block between '---' lines that "
            f"gives {', '.join(FRONT_MATTER_KEYS)} (copy the top of templates/report.md)."
        )
    meta = checked_meta(front_matter(match.group(1), source), source, REQUIRED_KEYS)
    body_line = text[: match.end()].count("\n")
    parser = BlockParser(source.parent, lambda line: f"line {line + body_line + 1}")
    blocks = parser.parse(text[match.end() :])
    sections = split_sections(blocks, meta, source, strict_preamble=True)
    title = parser.inline(meta["title"])
    return Report(source, meta, sections, tuple(parser.notes), title)


def front_matter(text: str, source: Path) -> dict[str, str]:
    try:
        # BaseLoader keeps every value a string: a student id like 0012 stays "0012".
        data = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as error:
        raise UserError(f"{source}: the front matter is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise UserError(
            f"{source}: the front matter must be 'key: value' lines, e.g. 'title: ...'."
        )
    return {
        re.sub(r"[\s-]+", "_", str(key).strip().lower()): " ".join(str(value).split())
        for key, value in data.items()
        if isinstance(value, str)
    }


def checked_meta(meta: dict[str, str], source: Path, required: Sequence[str]) -> dict[str, str]:
    meta = {key: unicodedata.normalize("NFC", value) for key, value in meta.items() if value}
    missing = [key for key in required if not meta.get(key)]
    if missing:
        raise UserError(
            f"{source}: the front matter has no {', '.join(missing)}. It needs "
            f"{', '.join(REQUIRED_KEYS)} (course and project are optional); see "
            f"templates/report.md."
        )
    if "colab" in meta and not re.match(r"https?://\S+$", meta["colab"]):
        raise UserError(
            f"{source}: colab must be the web address of your notebook (Share > Copy link), "
            f"starting with https://, not {meta['colab']!r}."
        )
    return meta


def split_sections(
    blocks: Sequence[Block], meta: Mapping[str, str], source: Path, strict_preamble: bool
) -> tuple[Section, ...]:
    """Group blocks under the six section headings; UserError lists every section problem."""
    sections: list[tuple[str, str, list[Block]]] = []
    preamble: list[Block] = []
    other_headings: list[Heading] = []
    for block in blocks:
        if isinstance(block, Heading):
            if name := section_of(block.plain):
                sections.append((name, block.where, []))
                continue
            other_headings.append(block)
        if sections:
            sections[-1][2].append(block)
        elif not (isinstance(block, Heading) and block.plain == meta.get("title")):
            preamble.append(block)

    if not sections:
        raise UserError(
            f"{source} has none of the six section headings. A report has the headings "
            f"{order_text()}, in this order, as Markdown headings ('# Introduction'); start "
            f"from templates/report.md."
        )
    problems = []
    if strict_preamble and preamble:
        first = sections[0] if sections else None
        problems.append(
            f"there is text before the first section{f' ({first[0]}, {first[1]})' if first else ''}"
            f": move it into a section (the report starts with '# {SECTIONS[0]}')"
        )
    places: dict[str, list[str]] = {}
    for name, where, _ in sections:
        places.setdefault(name, []).append(where)
    for name in SECTIONS:
        if name not in places:
            near = closest(name, [heading.plain for heading in other_headings])
            hint = next((h for h in other_headings if h.plain == near), None)
            problems.append(
                f"section '{name}' is missing: add the heading '# {name}'"
                + (f" (is '{hint.plain}' at {hint.where} meant to be it?)" if hint else "")
            )
        elif len(places[name]) > 1:
            problems.append(
                f"section '{name}' appears {len(places[name])} times ({', '.join(places[name])}): "
                f"merge them into one"
            )
    for name in out_of_order(list(places)):
        problems.append(
            f"section '{name}' ({places[name][0]}) is out of order: the sections go {order_text()}"
        )
    for name, where, content in sections:
        if not any(not isinstance(block, Heading) for block in content):
            problems.append(f"section '{name}' ({where}) is empty: write it")
    if problems:
        raise UserError(f"{source} cannot be built:\n" + "\n".join(f"  - {p}" for p in problems))
    return tuple(Section(name, where, tuple(content)) for name, where, content in sections)
