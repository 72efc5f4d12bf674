"""The grader-owned cells of the released notebook: the public cases and the self-check.

Their metadata records a checksum, so an edit or a deletion shows when the notebook is graded.
The self-check is the text of :mod:`grader.scoring.shapes`, :mod:`grader.scoring.behaviour`,
:mod:`grader.scoring.wiring`, :mod:`grader.scoring.wiring_words`,
:mod:`grader.scoring.inputs_used` and
:mod:`grader.scoring.selfcheck`, so the notebook diagnoses with the grader's own code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from grader.limits import WRITTEN
from grader.scoring import (
    behaviour,
    inputs_used,
    selfcheck,
    shapes,
    wiring,
    wiring_words,
    written_check,
)

OWNED_ROLES = ("fixtures", "self-check")
_OWNED_HEADER = re.compile(r"^# grader-owned: ([\w-]+)", re.MULTILINE)


def _checksum(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _owned_cell(role: str, title: str, body: str) -> nbformat.NotebookNode:
    """A grader-owned code cell: collapsed in Colab, locked in Jupyter, its checksum recorded."""
    source = (
        f'#@title {title} {{ display-mode: "form" }}\n'
        f"# grader-owned: {role} - run this cell, do not edit or delete it\n{body}"
    )
    cell = new_code_cell(source, id=f"grader-{role}")
    cell.metadata.update(
        {
            "cellView": "form",
            "editable": False,
            "deletable": False,
            "grader": {"owned": role, "checksum": _checksum(source)},
        }
    )
    return cell


def _module_text(module) -> str:
    """A module's text as the notebook carries it: without its grader-only imports."""
    lines = Path(module.__file__).read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.endswith("# grader-only")).strip()


def _literal(value: Mapping) -> str:
    return "{\n" + "".join(f"        {k!r}: {v!r},\n" for k, v in value.items()) + "    }"


def owned_cells(
    functions: Sequence[str],
    cases: str,
    settings: Mapping[str, object],
    written: Sequence[str] = (),
) -> list[nbformat.NotebookNode]:
    """The self-check intro and the two owned cells; ``settings`` are make_check's keyword
    arguments (tolerances, hint texts, ranges, output names); ``written`` the ids of the
    written answers ``check()`` reports as still empty."""
    lines = "\n".join(cases[i : i + 100] for i in range(0, len(cases), 100))
    arguments = "".join(
        f"    {key}={_literal(value) if isinstance(value, Mapping) else repr(value)},\n"
        for key, value in settings.items()
    )
    modules = [shapes, behaviour, wiring, wiring_words, inputs_used, selfcheck]
    modules += [written_check] if written else []
    check_code = (
        "\n\n\n".join(_module_text(m) for m in modules)
        + f"\n\n\ncheck = make_check(\n    globals(),\n    PUBLIC_CASES,\n{arguments})\n"
    )
    if written:
        check_code += (
            f"check = with_written_answers(check, globals(), {list(written)!r},"
            f" {bool(functions)!r}, {WRITTEN.colab_wait_s!r})\n"
        )
    intro = new_markdown_cell(
        "## Self-check\n\n" + _intro(functions, written), id="grader-self-check-intro"
    )
    return [
        intro,
        _owned_cell("fixtures", "Public test cases", f'PUBLIC_CASES = """\n{lines}\n"""\n'),
        _owned_cell("self-check", "Self-check: defines check(name)", check_code),
    ]


def _intro(functions: Sequence[str], written: Sequence[str]) -> str:
    if functions:
        text = (
            "Run the next two cells once, before the functions below. The first holds small"
            " public test cases, the second defines `check`: after you write a function, run"
            f' `check("{functions[0]}")` (or the name of your function) to test it. It prints'
            " `PASS`, or `FAIL` with the largest error and a hint."
        )
    else:
        text = "Run the next two cells once; they define `check`."
    if written:
        text += (
            " The written answers are marked by a person; `check()` lists those still empty"
            " (save the notebook first)."
        )
    return (
        text + "\n\nBoth cells are **grader-owned**: do not edit or delete them. The grader"
        " checks that they are intact, and it tests your functions on its own hidden cases."
    )


def owned_checksums(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """The checksum of each grader-owned cell, by role, as recorded in ``notebook``."""
    checksums = {}
    for cell in notebook.cells:
        role, checksum = _recorded_role(cell), _recorded(cell)
        if role is not None and checksum is not None:
            checksums[role] = checksum
    return checksums


def owned_sources(notebook: nbformat.NotebookNode) -> tuple[str, ...]:
    """The text of each grader-owned code cell of ``notebook``, in order."""
    return tuple(
        _text(cell)
        for cell in notebook.cells
        if cell.get("cell_type") == "code" and _recorded_role(cell) is not None
    )


def _grader_metadata(cell: object) -> dict:
    """The cell's ``grader`` metadata: empty when the notebook holds anything else there."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    grader = metadata.get("grader") if isinstance(metadata, dict) else None
    return grader if isinstance(grader, dict) else {}


def _recorded_role(cell: object) -> str | None:
    role = _grader_metadata(cell).get("owned")
    return role if isinstance(role, str) and role else None


def _recorded(cell: object) -> str | None:
    checksum = _grader_metadata(cell).get("checksum")
    return checksum if isinstance(checksum, str) else None


def _text(cell: object) -> str:
    """A cell's text; a student's notebook may hold anything there (``null``, a number)."""
    source = cell.get("source") if isinstance(cell, dict) else None
    if isinstance(source, list):
        return "".join(line for line in source if isinstance(line, str))
    return source if isinstance(source, str) else ""


def owned_cell_problems(
    notebook: nbformat.NotebookNode, expected: Mapping[str, str | AbstractSet[str]] | None = None
) -> list[str]:
    """What happened to the grader-owned cells of a student's notebook; empty when intact.

    Owned cells are found by their metadata or, where an editor dropped it, by their first
    lines. Each is checked against ``expected`` (role -> checksum, e.g. ``owned_checksums`` of
    the released notebook, or the checksums of every release: edited only when it differs
    from all of them) or else against the checksum its own metadata records. Any JSON where
    the metadata or the text belongs is taken as no record of them.
    """
    found: dict[str, list[tuple[int, nbformat.NotebookNode]]] = {}
    for index, cell in enumerate(notebook.get("cells") or []):
        header = _OWNED_HEADER.search("\n".join(_text(cell).splitlines()[:2]))
        role = _recorded_role(cell) or (header.group(1) if header else None)
        if role:
            found.setdefault(role, []).append((index, cell))
    if not found:
        roles = ", ".join(f'"{role}"' for role in OWNED_ROLES)
        return [
            f"none of the grader-owned cells ({roles}) is in the notebook: deleted, or the"
            f" notebook was not started from the released one"
        ]
    problems = []
    for role in OWNED_ROLES:
        cells = found.get(role, [])
        if not cells:
            problems.append(f'the grader-owned "{role}" cell was deleted')
        elif len(cells) > 1:
            numbers = ", ".join(str(i + 1) for i, _ in cells)
            problems.append(
                f'the grader-owned "{role}" cell appears {len(cells)} times (cells {numbers})'
            )
        else:
            index, cell = cells[0]
            want = (expected or {}).get(role, _recorded(cell))
            wanted = {want} if isinstance(want, str) else want
            if wanted is not None and _checksum(_text(cell)) not in wanted:
                problems.append(f'the grader-owned "{role}" cell (cell {index + 1}) was edited')
    return problems
