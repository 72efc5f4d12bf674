"""``grader assign``: turn an instructor's notebook with solutions into the student notebook.

Every region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes a stub. The release
also carries public test cases, computed by running the instructor's solutions, and a ``check``
function that tests a student's function on them with nothing but numpy (see
:mod:`grader.assignment.owned`).
"""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from grader import forbidden
from grader.assignment import (
    answer_solutions,
    instructor,
    owned,
    public,
    releases,
    source,
    written,
)
from grader.assignment.config import CONFIG_NAME, AssignmentConfig, load_config
from grader.assignment.package import Assignment, load_assignment
from grader.errors import UserError
from grader.variants import release as variant_release

_KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def _student_notebook(
    notebook: nbformat.NotebookNode,
    plan: source.SourcePlan,
    config: AssignmentConfig,
    owned_cells: list[nbformat.NotebookNode],
) -> nbformat.NotebookNode:
    """The released notebook: stubs for solutions, the self-check cells, a check after each
    graded function; no outputs and no instructor metadata."""
    graded_at: dict[int, list[str]] = {}
    for name, index in plan.defined_in.items():
        graded_at.setdefault(index, []).append(name)
    written_at = {question.cell: question for question in plan.written}
    first = min([*plan.defined_in.values(), *written_at])
    while first > 0 and notebook.cells[first - 1].cell_type == "markdown":
        first -= 1  # keep the first graded function's text next to its code
    cells = []
    for index, cell in enumerate(notebook.cells):
        if index == first:
            cells += owned_cells
        if index in written_at:
            text = _released_text(cell, index, plan, config)
            cells += written.released_cells(written_at[index], cell, text)
            continue
        cells.append(_released_cell(cell, index, plan, config))
        if index in graded_at:
            calls = "\n".join(f'check("{name}")' for name in graded_at[index])
            cells.append(new_code_cell(calls, id=f"grader-check-{graded_at[index][0]}"))
    cells.append(new_code_cell("check()", id="grader-check-all"))
    released = new_notebook(cells=cells)
    released.metadata = nbformat.from_dict(
        {
            "kernelspec": _KERNELSPEC,
            "language_info": {"name": "python"},
            "colab": {"provenance": [], "name": f"{config.name}.ipynb"},
            "grader": {"assignment": config.name},
        }
    )
    return released


def _released_text(
    cell: nbformat.NotebookNode, index: int, plan: source.SourcePlan, config: AssignmentConfig
) -> str:
    """The cell's text as students receive it: solutions stubbed, hidden tests and mark schemes
    cut out, an nbgrader answer cell replaced whole, as nbgrader does."""
    if index in plan.answer_cells:
        return "\n".join(source.STUB) if cell.cell_type == "code" else instructor.ANSWER_STUB
    lines: list[str | None] = list(cell.source.splitlines())
    for begin, end in plan.withheld.get(index, []):
        lines[begin : end + 1] = [None] * (end + 1 - begin)
    stubbed = source.stubbed(lines, plan.regions.get(index, []))
    text = "\n".join(line for line in stubbed if line is not None)
    left = instructor.leftover_marker(text)
    if left is not None:
        raise UserError(
            f"{source.describe_cell(config.source, index, cell)}: the line {left.strip()!r}"
            f" looks like an nbgrader marker but is not one on a line of its own, so what it"
            f" marks would reach students; write the marker alone on its line"
        )
    return text


def _released_cell(
    cell: nbformat.NotebookNode, index: int, plan: source.SourcePlan, config: AssignmentConfig
) -> nbformat.NotebookNode:
    text = _released_text(cell, index, plan, config)
    released = nbformat.from_dict(
        {
            "cell_type": cell.cell_type,
            "id": cell.get("id") or f"cell-{index + 1}",
            "metadata": {"tags": list(cell.metadata["tags"])} if cell.metadata.get("tags") else {},
            "source": text,
        }
    )
    if cell.cell_type == "code":
        released.outputs, released.execution_count = [], None
    elif "attachments" in cell and index not in plan.answer_cells:
        released.attachments = cell.attachments
    return released


def release(assignment_dir: Path, out_dir: Path) -> Path:
    """Write the student notebook of the assignment to ``out_dir/<name>.ipynb``."""
    return _write_release(load_assignment(Path(assignment_dir)), Path(out_dir))


def self_check_settings(
    assignment: Assignment,
    hints: dict[str, str],
    wiring: Mapping[str, object] | None = None,
    moves: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """make_check's arguments: the same rules and wording the grader diagnoses with, the
    notes' calls of each composite's parts on the public cases (``wiring``) and the inputs
    the reference moves with there (``moves``)."""
    config = assignment.config
    return {
        "atol": config.atol,
        "rtol": config.rtol,
        "hints": hints,
        "wording": dict(assignment.shape_hints),
        "ranges": {k: tuple(map(float, v)) for k, v in assignment.ranges.items()},
        "names": {k: tuple(v) for k, v in assignment.output_names.items()},
        "parts": {k: tuple(v) for k, v in assignment.parts.items()},
        **({"wiring": dict(wiring)} if wiring else {}),
        **({"moves": dict(moves)} if moves else {}),
    }


def released_notebook(
    assignment: Assignment, variant: Mapping[str, object] | None = None
) -> nbformat.NotebookNode:
    """The student notebook, built in memory; the same source always gives the same notebook,
    so ``owned_checksums(released_notebook(assignment))`` is what every submission should
    carry. For an assignment with ``[variants]``, ``variant`` is one student's (its
    ``values``, ``student`` and ``fingerprint``), filled into the text and code and named in the
    metadata; without it, the class-wide values (:mod:`grader.variants.release`)."""
    config = assignment.config
    notebook = source.read_source_notebook(config.source)
    values: Mapping[str, object] | None = None
    if config.variants or config.pools:
        if config.variants:
            values = variant_values(config, variant)
        notebook, variant = variant_release.filled_source(notebook, config, variant)
        notebook, assignment = variant_release.drawn_questions(notebook, assignment, variant)
        config = assignment.config
    signatures = {name: assignment.signature(name) for name in assignment.functions}
    plan = source.plan_source(notebook, config, signatures)
    for index, cell in enumerate(notebook.cells):
        uses = _forbidden_uses(cell.source, config) if cell.cell_type == "code" else []
        if uses:
            raise UserError(
                f"{source.describe_cell(config.source, index, cell)}: {'; '.join(uses)}, which"
                f" [forbidden] in {CONFIG_NAME} forbids; remove it from the source notebook"
            )
    cells = {
        n: source.describe_cell(config.source, i, notebook.cells[i])
        for n, i in plan.defined_in.items()
    }
    solutions = source.run_solutions(notebook, plan, config)
    cases, hints = public.public_cases(assignment, solutions, cells, values)
    if config.answers:  # every answer set by a solution, and numbers on these values
        answer_solutions.run_answers(notebook, config, values or {}, plan.regions)
    owned_cells = owned.owned_cells(
        assignment.functions,
        cases,
        self_check_settings(
            assignment,
            hints,
            public.wiring_sketches(assignment, values),
            public.input_moves(assignment, values),
        ),
        [question.id for question in plan.written],
    )
    released = _student_notebook(notebook, plan, config, owned_cells)
    if variant is not None:
        released.metadata.grader["variant"] = nbformat.from_dict(dict(variant))
    nbformat.validate(released)
    return released


def variant_values(
    config: AssignmentConfig, variant: Mapping[str, object] | None
) -> Mapping[str, object]:
    """The values a release is made on: the student's (``variant``), else the class-wide."""
    if variant is None:
        return variant_release.definition_of(config).class_wide()
    values = variant["values"]
    if not isinstance(values, Mapping):
        raise TypeError("a variant's values are a mapping of names to values")
    return values


def _forbidden_uses(code: str, config: AssignmentConfig) -> list[str]:
    names = tuple(f.name for f in config.functions)
    return list(_forbidden_in(code, names, config.forbidden_imports, config.forbidden_calls))


@functools.lru_cache(maxsize=1024)  # a per-student release scans the same cells for everyone
def _forbidden_in(
    code: str, functions: tuple[str, ...], imports: tuple[str, ...], calls: tuple[str, ...]
) -> tuple[str, ...]:
    found = forbidden.forbidden_shortcuts(code, list(functions), imports, calls)
    return tuple(use for key, uses in found.items() if key != forbidden.REVIEW for use in uses)


def _write_release(assignment: Assignment, out_dir: Path) -> Path:
    """Write the class-wide release, and record it in the course that holds the assignment
    (its owned cells, by which grader version: :mod:`grader.assignment.releases`)."""
    config = assignment.config
    out = out_dir / f"{config.name}.ipynb"
    if out.resolve() == config.source.resolve():
        raise UserError(f"{out} is the source notebook; choose another --out folder")
    released = released_notebook(assignment)
    out.parent.mkdir(parents=True, exist_ok=True)
    recorded = releases.record_release(config.directory, config.name, released, out)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")  # a reader never sees half
    nbformat.write(released, partial)
    os.replace(partial, out)
    if recorded is not None:
        print(f"Recorded in {recorded}: grading checks its grader-owned cells against it.")
    return out


def _record(assignment_dir: Path, notebook: Path) -> int:
    """``grader assign ASSIGNMENT --record NOTEBOOK``: record the release given out."""
    config = load_config(assignment_dir)
    path, new = releases.record_given_out(config.directory, config.name, notebook)
    if new:
        print(
            f"Recorded {notebook} in {path} as a release of {config.name}: grading checks the"
            " grader-owned cells against every release recorded there."
        )
    else:
        print(f"{notebook} is recorded in {path} already: nothing to do.")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", nargs="?", help="assignment folder, e.g. assignments/<name>")
    parser.add_argument("--out", default="release", help="output folder (default: release/)")
    parser.add_argument(
        "--from-nbgrader",
        metavar="NOTEBOOK",
        help="write a starting assignment folder in --out from an nbgrader source notebook",
    )
    parser.add_argument(
        "--per-student",
        action="store_true",
        help="an assignment with [variants] or [[pools]]: one notebook per roster student, each "
        "with their own values and drawn questions, in --out/<name>/ (and what each was "
        "released recorded in the course folder)",
    )
    parser.add_argument(
        "--course",
        default=None,
        help="with --per-student: the course's course.toml or folder (default: the one above "
        "the assignment folder, else the one found from here)",
    )
    parser.add_argument(
        "--record",
        metavar="NOTEBOOK",
        help="release nothing: record NOTEBOOK, the class-wide release the students were given "
        "by a grader before 0.2 (which recorded none), as a release of the assignment in its "
        "course, so grading checks the grader-owned cells against it",
    )
    parser.add_argument(
        "--functions",
        metavar="F,G",
        help="with --from-nbgrader: the graded functions (default: those the solutions define)",
    )


def cli(args: argparse.Namespace) -> int:
    """``grader assign ASSIGNMENT --out DIR``, or ``--from-nbgrader NOTEBOOK --out DIR``."""
    if args.from_nbgrader:
        if args.assignment or args.record:
            raise UserError("give an assignment folder or --from-nbgrader NOTEBOOK, not both")
        from grader.assignment import from_nbgrader

        return from_nbgrader.cli(args)
    if not args.assignment:
        raise UserError(
            "name the assignment folder to release (grader assign assignments/<name>), or"
            " start one from nbgrader with --from-nbgrader NOTEBOOK --out DIR"
        )
    if args.functions:
        raise UserError("--functions goes with --from-nbgrader only")
    if args.record:
        if args.per_student:
            raise UserError(
                "--record records a class-wide release; a per-student one is recorded as made"
            )
        return _record(Path(args.assignment), Path(args.record))
    assignment = load_assignment(Path(args.assignment))
    if args.per_student:
        return variant_release.cli(assignment, args, released_notebook)
    out = _write_release(assignment, Path(args.out))
    config = assignment.config
    asked = written.questions_of(config)
    marked = (
        f" and {len(asked)} written answers ({sum(q.points for q in asked):g} points, marked by"
        f" a person in `grader serve`)"
        if asked
        else ""
    )
    numbers = f" and {len(config.answers)} numeric answers" if config.answers else ""
    print(
        f"Released {out}: {len(config.functions)} graded functions{numbers},"
        f" {config.max_score:g} points{marked}. Students open it in Colab or Jupyter and run"
        f" check() after each function."
    )
    return 0
