"""``grader assign``: turn an instructor's notebook with solutions into the student notebook.

Every region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes a stub. The release
also carries public test cases, computed by running the instructor's solutions, and a ``check``
function that tests a student's function on them with nothing but numpy. The two cells that hold
them are grader-owned: their metadata records a checksum, so an edit or a deletion shows.
"""

from __future__ import annotations

import argparse
import ast
import base64
import contextlib
import difflib
import hashlib
import io
import json
import os
import re
import tomllib
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import nbformat
import numpy as np
from IPython.core.inputtransformer2 import TransformerManager
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import reference_lstm
from grader import forbidden, hints, score, selfcheck
from grader.errors import UserError

CONFIG_NAME = "assignment.toml"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
# The public cases use their own seed and sizes; a grading seed equal to it is refused.
PUBLIC_SEED = 20_231_101
PUBLIC_SIZES = ((2, 3, 4), (3, 5, 2))  # (N, D, H) of each public case
PUBLIC_SEQUENCE_LENGTHS = (3, 2)
OWNED_ROLES = ("fixtures", "self-check")
_MARKER = re.compile(r"^\s*#+\s*(BEGIN|END)\s+SOLUTION\s*$")
_OWNED_HEADER = re.compile(r"^# grader-owned: ([\w-]+)", re.MULTILINE)
_KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
# The graded functions the grader can test, with the parameters it passes, in this order.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "forget_gate": ("x_t", "h_prev", "W_f", "b_f"),
    "input_gate": ("x_t", "h_prev", "W_i", "b_i"),
    "candidate_memory": ("x_t", "h_prev", "W_c", "b_c"),
    "output_gate": ("x_t", "h_prev", "W_o", "b_o"),
    "cell_state": ("c_prev", "f_t", "i_t", "c_hat_t"),
    "hidden_state": ("o_t", "c_t"),
    "lstm_cell": ("x_t", "h_prev", "c_prev", "params"),
    "lstm_forward": ("x", "h0", "c0", "params"),
}


@dataclass(frozen=True)
class GradedFunction:
    """A function the grader calls by ``name``, worth ``points``."""

    name: str
    points: float


@dataclass(frozen=True)
class AssignmentConfig:
    """An assignment's ``assignment.toml``, validated. ``seed`` None means one per submission."""

    directory: Path
    name: str
    title: str
    source: Path
    deadline: datetime | None
    functions: tuple[GradedFunction, ...]
    atol: float
    rtol: float
    cases_per_function: int
    sizes: tuple[tuple[int, int, int], ...]
    sequence_lengths: tuple[int, ...]
    seed: int | None
    cell_timeout: float
    notebook_timeout: float
    memory_mb: int
    forbidden_imports: tuple[str, ...]
    forbidden_calls: tuple[str, ...]

    @property
    def max_score(self) -> float:
        """The points of all graded functions together."""
        return sum(f.points for f in self.functions)


# ----------------------------------------------------------------------------- configuration

_REQUIRED = object()
_KEYS = {
    "assignment": ("name", "title", "source", "deadline"),
    "grading": (
        "atol",
        "rtol",
        "cases_per_function",
        "sizes",
        "sequence_lengths",
        "seed",
        "cell_timeout",
        "notebook_timeout",
        "memory_mb",
    ),
    "functions": ("name", "points"),
    "forbidden": ("imports", "calls"),
}


class _ConfigReader:
    """Reads values out of one parsed TOML file; every complaint names the file and the key."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, message: str) -> NoReturn:
        raise UserError(f"{self.path}: {message}")

    def table(self, parent: Mapping[str, Any], name: str, optional: bool = False) -> dict:
        value = parent.get(name, {} if optional else None)
        if value is None:
            self.fail(f"missing table [{name}]; see assignments/lstm_gates/{CONFIG_NAME}")
        if not isinstance(value, dict):
            self.fail(f"[{name}] must be a table, not {_kind(value)}")
        self.only_known(value, name)
        return value

    def only_known(self, table: Mapping[str, Any], name: str) -> None:
        for key in table:
            if key not in _KEYS[name]:
                close = difflib.get_close_matches(key, _KEYS[name], n=1)
                guess = f'; did you mean "{close[0]}"?' if close else ""
                self.fail(
                    f'unknown key "{key}" in [{name}]{guess} Known keys: {", ".join(_KEYS[name])}'
                )

    def get(self, table: Mapping[str, Any], where: str, key: str, kind: str, default=_REQUIRED):
        """``table[key]`` checked against ``kind``: str, int, number, list or datetime."""
        if key not in table:
            if default is _REQUIRED:
                self.fail(f'missing key "{key}" in [{where}]')
            return default
        value = table[key]
        expected = {
            "str": lambda v: isinstance(v, str),
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "list": lambda v: isinstance(v, list),
            "datetime": lambda v: isinstance(v, date),
        }[kind]
        if not expected(value):
            self.fail(f"{where}.{key} must be a {kind}, not {_kind(value)} ({value!r})")
        return value

    def positive(self, table: Mapping[str, Any], where: str, key: str, kind: str):
        value = self.get(table, where, key, kind)
        if value <= 0:
            self.fail(f"{where}.{key} must be positive, not {value}")
        return value


def _kind(value: object) -> str:
    return {dict: "table", list: "list", str: "string", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def load_config(assignment_dir: Path) -> AssignmentConfig:
    """Read and validate ``assignment_dir/assignment.toml``; UserError names what is wrong."""
    directory = Path(assignment_dir)
    path = directory / CONFIG_NAME
    if not path.is_file():
        raise UserError(
            f"{path} not found: an assignment folder holds {CONFIG_NAME} and the source notebook"
            f" (see assignments/lstm_gates/)"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path} is not valid TOML: {error}") from None
    reader = _ConfigReader(path)
    for key in data:
        if key not in _KEYS:
            reader.fail(f"unknown table [{key}]; known tables: {', '.join(_KEYS)}")

    meta = reader.table(data, "assignment")
    name = reader.get(meta, "assignment", "name", "str")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        reader.fail(f'assignment.name "{name}" may hold letters, digits, "_" and "-" only')
    source = directory / reader.get(meta, "assignment", "source", "str")
    if not source.is_file():
        reader.fail(f"assignment.source: {source} does not exist")
    deadline = reader.get(meta, "assignment", "deadline", "datetime", default=None)
    if deadline is not None and (not isinstance(deadline, datetime) or deadline.tzinfo is None):
        reader.fail(
            f"assignment.deadline {deadline} needs a time and a UTC offset,"
            f" e.g. 2026-12-18T23:59:00+05:30"
        )

    grading = reader.table(data, "grading")
    cases = reader.positive(grading, "grading", "cases_per_function", "int")
    sizes = _int_lists(reader, grading, "sizes", cases, width=3)
    lengths = _int_lists(reader, grading, "sequence_lengths", cases, width=None)
    seed = grading.get("seed")
    if seed != "per-submission":
        seed = reader.get(grading, "grading", "seed", "int")
        if seed < 0 or seed == PUBLIC_SEED:
            reader.fail(
                f'grading.seed must be "per-submission" or an integer >= 0 other than'
                f" {PUBLIC_SEED} (the seed of the public cases), not {seed}"
            )
    tolerances = {k: reader.get(grading, "grading", k, "number") for k in ("atol", "rtol")}
    if min(tolerances.values()) < 0:
        reader.fail(f"grading.atol and grading.rtol must be >= 0, not {tolerances}")

    functions = _functions(reader, data.get("functions"))
    forbidden = reader.table(data, "forbidden", optional=True)
    imports, calls = (
        _strings(reader, reader.get(forbidden, "forbidden", key, "list", default=[]), key)
        for key in ("imports", "calls")
    )
    return AssignmentConfig(
        directory=directory,
        name=name,
        title=reader.get(meta, "assignment", "title", "str"),
        source=source,
        deadline=deadline,
        functions=functions,
        atol=float(tolerances["atol"]),
        rtol=float(tolerances["rtol"]),
        cases_per_function=cases,
        sizes=tuple(tuple(s) for s in sizes),
        sequence_lengths=tuple(lengths),
        seed=None if seed == "per-submission" else seed,
        cell_timeout=float(reader.positive(grading, "grading", "cell_timeout", "number")),
        notebook_timeout=float(reader.positive(grading, "grading", "notebook_timeout", "number")),
        memory_mb=reader.positive(grading, "grading", "memory_mb", "int"),
        forbidden_imports=imports,
        forbidden_calls=calls,
    )


def _int_lists(reader: _ConfigReader, grading: dict, key: str, cases: int, width: int | None):
    """``grading[key]``: at least ``cases`` positive ints, or lists of ``width`` positive ints."""
    values = reader.get(grading, "grading", key, "list")

    def positive_ints(items: list) -> bool:
        return all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in items)

    if width:
        valid = all(isinstance(v, list) and len(v) == width and positive_ints(v) for v in values)
        shape = f"lists of {width} positive integers, [N, D, H]"
    else:
        valid, shape = positive_ints(values), "positive integers"
    if not valid:
        reader.fail(f"grading.{key} must hold {shape}, not {values!r}")
    if len(values) < cases:
        reader.fail(
            f"grading.{key} has {len(values)} entries but cases_per_function is {cases}:"
            f" give one per hidden case"
        )
    return values


def _functions(reader: _ConfigReader, entries: object) -> tuple[GradedFunction, ...]:
    if not isinstance(entries, list) or not entries:
        reader.fail('missing [[functions]]: add one table per graded function, e.g. name = "..."')
    functions = []
    for number, entry in enumerate(entries, start=1):
        where = f"functions #{number}"
        if not isinstance(entry, dict):
            reader.fail(f"{where} must be a table")
        reader.only_known(entry, "functions")
        name = reader.get(entry, where, "name", "str")
        if name not in SIGNATURES:
            reader.fail(
                f'{where}: the grader cannot test a function named "{name}"; it knows'
                f" {', '.join(SIGNATURES)}"
            )
        if name in (f.name for f in functions):
            reader.fail(f'{where}: "{name}" is listed twice')
        functions.append(
            GradedFunction(name, float(reader.positive(entry, where, "points", "number")))
        )
    return tuple(functions)


def _strings(reader: _ConfigReader, values: list, key: str) -> tuple[str, ...]:
    if not all(isinstance(v, str) and v for v in values):
        reader.fail(f"forbidden.{key} must be a list of non-empty strings, not {values!r}")
    return tuple(values)


# ----------------------------------------------------------------------------- the source notebook


@dataclass(frozen=True)
class _SourcePlan:
    """Where the solutions are: line ranges per cell, and the cell defining each graded function."""

    regions: dict[int, list[tuple[int, int]]]
    defined_in: dict[str, int]


def _describe_cell(path: Path, index: int, cell: nbformat.NotebookNode) -> str:
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    first = first if len(first) <= 50 else first[:47] + "..."
    return f'{path}, cell {index + 1} ({cell.cell_type}, starts "{first}")'


def _read_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several unrelated types for bad JSON
        raise UserError(f"{path} is not a readable Jupyter notebook: {error}") from None


def _solution_regions(lines: list[str], where: str) -> list[tuple[int, int]]:
    """(begin, end) line numbers of each solution region; UserError when they do not pair up."""
    regions, begin = [], None
    for number, line in enumerate(lines):
        marker = _MARKER.match(line)
        if not marker:
            continue
        if marker.group(1) == "BEGIN":
            if begin is not None:
                raise UserError(
                    f"{where}: {BEGIN} on line {number + 1} comes before the {END} of the"
                    f" region opened on line {begin + 1}; close each region before the next"
                )
            begin = number
        elif begin is None:
            raise UserError(f"{where}: {END} on line {number + 1} has no {BEGIN} before it")
        else:
            regions.append((begin, number))
            begin = None
    if begin is not None:
        raise UserError(
            f"{where}: {BEGIN} on line {begin + 1} has no matching {END}; add one after the"
            f" solution"
        )
    return regions


def _stubbed(lines: list[str], regions: list[tuple[int, int]]) -> list[str]:
    """``lines`` with each region replaced by the stub, indented like its BEGIN marker."""
    out, last = [], 0
    for begin, end in regions:
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        out += lines[last:begin] + [indent + s for s in STUB]
        last = end + 1
    return out + lines[last:]


def _parse(source: str) -> ast.Module | None:
    """The cell's syntax tree, IPython magics and shell escapes included; None if invalid."""
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _plan(notebook: nbformat.NotebookNode, config: AssignmentConfig) -> _SourcePlan:
    """Find and check the solution regions and the graded functions of the source notebook."""
    path = config.source
    regions: dict[int, list[tuple[int, int]]] = {}
    definitions: dict[str, list[tuple[int, ast.FunctionDef]]] = {}
    for index, cell in enumerate(notebook.cells):
        where = _describe_cell(path, index, cell)
        lines = cell.source.splitlines()
        found = _solution_regions(lines, where)
        if found and cell.cell_type != "code":
            raise UserError(f"{where}: solution markers belong in code cells only")
        if cell.cell_type != "code":
            continue
        if found:
            regions[index] = found
            stub = "\n".join(_stubbed(lines, found))
            if _parse(stub) is None:
                raise UserError(
                    f"{where}: with the solution replaced by a stub the cell is no longer valid"
                    f" Python; put the markers around whole statements of a function body"
                )
        tree = _parse(cell.source)
        if tree is None and found:
            try:
                ast.parse(cell.source)
            except SyntaxError as error:
                raise UserError(
                    f"{where}: line {error.lineno} is not valid Python ({error.msg})"
                ) from None
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                definitions.setdefault(node.name, []).append((index, node))
    if not regions:
        raise UserError(
            f"{path}: no solution markers found; put each solution between lines"
            f' "{BEGIN}" and "{END}"'
        )
    defined_in = {}
    for function in config.functions:
        if function.name not in definitions:
            raise UserError(_undefined(notebook, path, function.name, definitions))
        defined_in[function.name] = _graded_cell(
            notebook, path, function.name, definitions[function.name], regions
        )
    return _SourcePlan(regions, defined_in)


def _undefined(
    notebook: nbformat.NotebookNode,
    path: Path,
    name: str,
    definitions: Mapping[str, list[tuple[int, ast.FunctionDef]]],
) -> str:
    """Why graded function ``name`` is missing, naming the cell of a look-alike if any."""
    message = (
        f"{path}: no code cell defines the graded function {name} that {CONFIG_NAME} lists;"
        f" the grader calls `{name}({', '.join(SIGNATURES[name])})`"
    )
    close = difflib.get_close_matches(name, list(definitions), n=1)
    if close:
        index = definitions[close[0]][0][0]
        where = _describe_cell(path, index, notebook.cells[index])
        return f"{message}. {where} defines {close[0]}: rename it to {name}"
    return f"{message}. Define it in a code cell, or remove it from {CONFIG_NAME}"


def _graded_cell(
    notebook: nbformat.NotebookNode,
    path: Path,
    name: str,
    definitions: list[tuple[int, ast.FunctionDef]],
    regions: Mapping[int, list[tuple[int, int]]],
) -> int:
    """The index of the one cell defining graded function ``name``, with its checks."""
    if len(definitions) > 1:
        cells = " and ".join(str(i + 1) for i, _ in definitions)
        raise UserError(f"{path}: cells {cells} both define {name}; keep one definition")
    index, node = definitions[0]
    where = _describe_cell(path, index, notebook.cells[index])
    expected = SIGNATURES[name]
    got = tuple(a.arg for a in node.args.posonlyargs + node.args.args)
    if got != expected or node.args.vararg or node.args.kwonlyargs:
        raise UserError(
            f"{where}: {name}({', '.join(got)}) must take exactly ({', '.join(expected)}),"
            f" in this order: the grader calls it that way"
        )
    body = range(node.lineno - 1, node.end_lineno or node.lineno)
    if not any(begin in body for begin, _ in regions.get(index, [])):
        raise UserError(
            f"{where}: {name} has no solution region, so students would receive it solved;"
            f" put its body between {BEGIN} and {END}"
        )
    return index


def _solutions(
    notebook: nbformat.NotebookNode, plan: _SourcePlan, config: AssignmentConfig
) -> dict[str, Callable]:
    """The graded functions as the source notebook defines them, by running its code cells up
    to the last graded one in a fresh namespace (the instructor's code is trusted)."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    last = max(plan.defined_in.values())
    for index, cell in enumerate(notebook.cells[: last + 1]):
        if cell.cell_type != "code":
            continue
        where = _describe_cell(config.source, index, cell)
        try:
            code = compile(cell.source, f"<{config.source} cell {index + 1}>", "exec")
            quiet = io.StringIO()
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                exec(code, namespace)
        except Exception as error:
            raise UserError(
                f"{where}: running it to compute the public cases failed with"
                f" {type(error).__name__}: {error}. Cells up to the last graded function must run"
                f" as plain Python, without magics"
            ) from None
    return {name: namespace[name] for name in plan.defined_in}


# ----------------------------------------------------------------------------- public cases


def public_cases(
    solutions: Mapping[str, Callable], config: AssignmentConfig, cells: Mapping[str, str]
) -> str:
    """The public cases, packed: inputs drawn from the public seed, the solution's outputs, and
    the outputs of the known mistakes (``grader.hints``) that differ from them.

    The solution must agree with ``reference_lstm`` on every case, since the grader compares
    students with the reference; ``cells`` names each solution's cell for the message.
    """
    cases = score.hidden_cases(
        PUBLIC_SEED, PUBLIC_SIZES, PUBLIC_SEQUENCE_LENGTHS, len(PUBLIC_SIZES)
    )
    arrays: dict[str, np.ndarray] = {}
    for function in config.functions:
        name = function.name
        for number, case in enumerate(cases[name]):
            args = _float32_exact(case.args)  # stored as float32: compute from what is stored
            expected = _outputs(_call_solution(solutions[name], args, cells[name]))
            reference = _outputs(getattr(reference_lstm, name)(*args))
            if not _close(expected, reference, config):
                raise UserError(
                    f"{cells[name]}: the solution of {name} disagrees with reference_lstm on"
                    f" public case {number + 1} ({case.label}); students are graded against the"
                    f" reference, so fix the solution"
                )
            prefix = f"{name}/{number}"
            for position, (param, value) in enumerate(zip(SIGNATURES[name], args, strict=True)):
                if isinstance(value, dict):
                    for key, array in value.items():
                        arrays[f"{prefix}/in/{position}/{param}.{key}"] = array
                else:
                    arrays[f"{prefix}/in/{position}/{param}"] = value
            for k, out in enumerate(expected):
                arrays[f"{prefix}/out/{k}"] = out
            for key, mistake in _mistakes(name):
                wrong = _outputs(hints.mistaken_output(mistake, name, args))
                if not _close(wrong, expected, config):
                    for k, out in enumerate(wrong):
                        arrays[f"{prefix}/mistake/{key}/{k}"] = out
    return _pack(arrays)


def _mistakes(function: str) -> list[tuple[str, hints.Mistake]]:
    """The known mistakes of ``function``, each with a key unique among them."""
    return [
        (f"{index}-{mistake.code}", mistake)
        for index, mistake in enumerate(hints.MISTAKES)
        if function in mistake.functions
    ]


def _outputs(value: object) -> tuple[np.ndarray, ...]:
    values = value if isinstance(value, tuple | list) else (value,)
    return tuple(np.asarray(v, dtype=np.float64) for v in values)


def _pack(arrays: Mapping[str, np.ndarray]) -> str:
    """base64 of zlib of: a JSON line of [key, shape] pairs, then every array as float32.

    One flat buffer instead of an .npz, whose per-array headers would outweigh these small
    arrays many times over.
    """
    header = json.dumps([[key, list(a.shape)] for key, a in arrays.items()]).encode("ascii")
    data = b"".join(a.astype("<f4").tobytes() for a in arrays.values())
    return base64.b64encode(zlib.compress(header + b"\n" + data, 9)).decode("ascii")


def _float32_exact(args: tuple) -> tuple:
    def exact(value):
        return value.astype(np.float32).astype(np.float64)

    return tuple(
        {k: exact(v) for k, v in a.items()} if isinstance(a, dict) else exact(a) for a in args
    )


def _call_solution(solution: Callable, args: tuple, where: str) -> object:
    copies = tuple(
        {k: v.copy() for k, v in a.items()} if isinstance(a, dict) else a.copy() for a in args
    )
    try:
        return solution(*copies)
    except Exception as error:
        raise UserError(
            f"{where}: the solution raised {type(error).__name__}: {error}; fix the source notebook"
        ) from None


def _close(a: Sequence[np.ndarray], b: Sequence[np.ndarray], config: AssignmentConfig) -> bool:
    """Whether ``a`` passes as ``b`` under the grading tolerance."""
    return len(a) == len(b) and all(
        x.shape == y.shape and np.allclose(x, y, atol=config.atol, rtol=config.rtol)
        for x, y in zip(a, b, strict=True)
    )


# ----------------------------------------------------------------------------- owned cells


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


def _owned_cells(config: AssignmentConfig, cases: str) -> list[nbformat.NotebookNode]:
    lines = "\n".join(cases[i : i + 100] for i in range(0, len(cases), 100))
    messages = {key: m.message for f in config.functions for key, m in _mistakes(f.name)}
    hint_lines = "".join(f"    {k!r}: {v!r},\n" for k, v in messages.items())
    check_code = (
        Path(selfcheck.__file__).read_text(encoding="utf-8").rstrip()
        + "\n\n\ncheck = make_check(\n    globals(),\n    PUBLIC_CASES,\n"
        + f"    atol={config.atol!r},\n    rtol={config.rtol!r},\n"
        + f"    hints={{\n{hint_lines}    }},\n)\n"
    )
    intro = new_markdown_cell(
        "## Self-check\n\n"
        "Run the next two cells once, before the functions below. The first holds small public"
        " test cases, the second defines `check`: after you write a function, run"
        ' `check("forget_gate")` (or the name of your function) to test it. It prints `PASS`, or'
        " `FAIL` with the largest error and a hint.\n\n"
        "Both cells are **grader-owned**: do not edit or delete them. The grader checks that they"
        " are intact, and it tests your functions on its own hidden cases.",
        id="grader-self-check-intro",
    )
    return [
        intro,
        _owned_cell("fixtures", "Public test cases", f'PUBLIC_CASES = """\n{lines}\n"""\n'),
        _owned_cell("self-check", "Self-check: defines check(name)", check_code),
    ]


def owned_checksums(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """The checksum of each grader-owned cell, by role, as recorded in ``notebook``."""
    return {
        cell.metadata["grader"]["owned"]: cell.metadata["grader"]["checksum"]
        for cell in notebook.cells
        if isinstance(cell.metadata.get("grader"), dict) and "owned" in cell.metadata["grader"]
    }


def owned_cell_problems(
    notebook: nbformat.NotebookNode, expected: Mapping[str, str] | None = None
) -> list[str]:
    """What happened to the grader-owned cells of a student's notebook; empty when intact.

    Owned cells are found by their metadata or, where an editor dropped it, by their first
    lines. Each is checked against ``expected`` (role -> checksum, e.g. ``owned_checksums`` of
    the released notebook) or else against the checksum its own metadata records.
    """
    found: dict[str, list[tuple[int, nbformat.NotebookNode]]] = {}
    for index, cell in enumerate(notebook.cells):
        grader = cell.get("metadata", {}).get("grader")
        role = grader.get("owned") if isinstance(grader, dict) else None
        header = _OWNED_HEADER.search("\n".join(cell.get("source", "").splitlines()[:2]))
        role = role or (header.group(1) if header else None)
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
            grader = cell.metadata.get("grader")
            recorded = grader.get("checksum") if isinstance(grader, dict) else None
            want = (expected or {}).get(role, recorded)
            if want is not None and _checksum(cell.source) != want:
                problems.append(f'the grader-owned "{role}" cell (cell {index + 1}) was edited')
    return problems


# ----------------------------------------------------------------------------- release


def _student_notebook(
    source: nbformat.NotebookNode, plan: _SourcePlan, config: AssignmentConfig, cases: str
) -> nbformat.NotebookNode:
    """The released notebook: stubs for solutions, the self-check cells, a check after each
    graded function; no outputs and no instructor metadata."""
    graded_at: dict[int, list[str]] = {}
    for name, index in plan.defined_in.items():
        graded_at.setdefault(index, []).append(name)
    first = min(plan.defined_in.values())
    while first > 0 and source.cells[first - 1].cell_type == "markdown":
        first -= 1  # keep the first graded function's text next to its code
    cells = []
    for index, cell in enumerate(source.cells):
        if index == first:
            cells += _owned_cells(config, cases)
        cells.append(_released_cell(cell, index, plan.regions.get(index, [])))
        if index in graded_at:
            calls = "\n".join(f'check("{name}")' for name in graded_at[index])
            cells.append(new_code_cell(calls, id=f"grader-check-{graded_at[index][0]}"))
    cells.append(new_code_cell("check()", id="grader-check-all"))
    notebook = new_notebook(cells=cells)
    notebook.metadata = nbformat.from_dict(
        {
            "kernelspec": _KERNELSPEC,
            "language_info": {"name": "python"},
            "colab": {"provenance": [], "name": f"{config.name}.ipynb"},
            "grader": {"assignment": config.name},
        }
    )
    return notebook


def _released_cell(
    cell: nbformat.NotebookNode, index: int, regions: list[tuple[int, int]]
) -> nbformat.NotebookNode:
    source = "\n".join(_stubbed(cell.source.splitlines(), regions)) if regions else cell.source
    released = nbformat.from_dict(
        {
            "cell_type": cell.cell_type,
            "id": cell.get("id") or f"cell-{index + 1}",
            "metadata": {"tags": list(cell.metadata["tags"])} if cell.metadata.get("tags") else {},
            "source": source,
        }
    )
    if cell.cell_type == "code":
        released.outputs, released.execution_count = [], None
    elif "attachments" in cell:
        released.attachments = cell.attachments
    return released


def release(assignment_dir: Path, out_dir: Path) -> Path:
    """Write the student notebook of the assignment to ``out_dir/<name>.ipynb``."""
    return _write_release(load_config(Path(assignment_dir)), Path(out_dir))


def released_notebook(config: AssignmentConfig) -> nbformat.NotebookNode:
    """The student notebook, built in memory; the same source always gives the same notebook,
    so ``owned_checksums(released_notebook(config))`` is what every submission should carry."""
    source = _read_notebook(config.source)
    plan = _plan(source, config)
    for index, cell in enumerate(source.cells):
        uses = _forbidden_uses(cell.source, config) if cell.cell_type == "code" else []
        if uses:
            raise UserError(
                f"{_describe_cell(config.source, index, cell)}: {'; '.join(uses)}, which"
                f" [forbidden] in {CONFIG_NAME} forbids; remove it from the source notebook"
            )
    cells = {
        n: _describe_cell(config.source, i, source.cells[i]) for n, i in plan.defined_in.items()
    }
    cases = public_cases(_solutions(source, plan, config), config, cells)
    released = _student_notebook(source, plan, config, cases)
    nbformat.validate(released)
    return released


def _forbidden_uses(code: str, config: AssignmentConfig) -> list[str]:
    found = forbidden.forbidden_shortcuts(
        code, [f.name for f in config.functions], config.forbidden_imports, config.forbidden_calls
    )
    return [use for key, uses in found.items() if key != forbidden.REVIEW for use in uses]


def _write_release(config: AssignmentConfig, out_dir: Path) -> Path:
    out = out_dir / f"{config.name}.ipynb"
    if out.resolve() == config.source.resolve():
        raise UserError(f"{out} is the source notebook; choose another --out folder")
    released = released_notebook(config)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")  # a reader never sees half
    nbformat.write(released, partial)
    os.replace(partial, out)
    return out


def cli(args: argparse.Namespace) -> int:
    """``grader assign ASSIGNMENT --out DIR``."""
    config = load_config(Path(args.assignment))
    out = _write_release(config, Path(args.out))
    print(
        f"Released {out}: {len(config.functions)} graded functions, {config.max_score:g} points."
        f" Students open it in Colab or Jupyter and run check() after each function."
    )
    return 0
