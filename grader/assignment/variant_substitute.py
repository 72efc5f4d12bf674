"""The source notebook's ``{{NAME}}`` places, filled with a student's values: as text in
markdown (the question), as Python literals in code (the constants cell the student's code
reads)."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from pathlib import Path

import nbformat

from grader.assignment.source_notebook import describe_cell
from grader.assignment.variant_definition import Definition, Value
from grader.errors import UserError

PLACE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def check_names(
    notebook: nbformat.NotebookNode, definition: Definition, source: Path, toml: Path
) -> None:
    """One clear line for a name the notebook uses that ``[variants]`` does not declare."""
    declared = set(definition.names)
    for index, cell in enumerate(notebook.cells):
        for match in PLACE.finditer(cell.source):
            if match.group(1) not in declared:
                known = ", ".join(definition.names) or "none"
                raise UserError(
                    f"{describe_cell(source, index, cell)}: {match.group(0)} names a"
                    f" variant that [variants] in {toml} does not"
                    f" declare (declared: {known}); add [variants.{match.group(1)}] or fix the"
                    f" name"
                )


def filled(
    notebook: nbformat.NotebookNode, values: Mapping[str, Value], student: str = ""
) -> nbformat.NotebookNode:
    """A copy of the notebook with every place filled with ``values``: as a Python literal in
    code, as text elsewhere."""
    result = copy.deepcopy(notebook)
    for cell in result.cells:
        fill = functools.partial(_value, values, student, cell.cell_type == "code")
        cell.source = PLACE.sub(fill, cell.source)
    return result


def _value(values: Mapping[str, Value], student: str, as_code: bool, match: re.Match[str]) -> str:
    name = match.group(1)
    if name not in values:  # values released under an earlier [variants]
        raise UserError(
            f"student {student} was released values without {name} ({dict(values)}), which the"
            f" notebook now uses; they keep what they were released, so release the earlier"
            f" notebook to them or give {name} a fixed value"
        )
    return repr(values[name]) if as_code else str(values[name])
