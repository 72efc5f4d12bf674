"""Reading an assignment folder's ``assignment.toml``: every complaint names the file and the key.

The ``[cases]`` table is the assignment's own (sizes, lengths, ...): the framework checks only
that it is a table and hands it to the assignment's case generator.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

from grader.assignment.answers import check_words, read_answers
from grader.assignment.keys import ASSIGNMENT_TOML
from grader.errors import UserError
from grader.limits import FORBIDDEN
from grader.scoring.numeric_answer import NumericAnswer

CONFIG_NAME = "assignment.toml"
# The public cases use their own seed; a grading seed equal to it is refused.
PUBLIC_SEED = 20_231_101


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
    seed: int | None
    cell_timeout: float
    notebook_timeout: float
    memory_mb: int
    forbidden_imports: tuple[str, ...]
    forbidden_calls: tuple[str, ...]
    cases: Mapping[str, Any] = field(default_factory=dict)  # the free-form [cases] table
    # The [variants] table as written; grader.assignment.variant_definition reads and checks it.
    variants: Mapping[str, Any] = field(default_factory=dict)
    # The [[pools]] tables as written; grader.variants.pools reads and checks them.
    pools: tuple[Mapping[str, Any], ...] = ()
    # The numbers the student computes ([[answers]]), graded after the functions.
    answers: tuple[NumericAnswer, ...] = ()

    @property
    def max_score(self) -> float:
        """The points of all graded functions and answers together."""
        return sum(f.points for f in self.functions) + sum(a.points for a in self.answers)

    @property
    def graded_names(self) -> list[str]:
        """The graded functions, then the answers: the columns of the grades."""
        return [f.name for f in self.functions] + [a.name for a in self.answers]


# ----------------------------------------------------------------------------- configuration

_REQUIRED = object()
# Each table's known keys (None: a free-form table), as grader/assignment/keys.py declares them.
_KEYS = {table.name: None if table.free_form else table.names for table in ASSIGNMENT_TOML.tables}


class _ConfigReader:
    """Reads values out of one parsed TOML file; every complaint names the file and the key."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, message: str) -> NoReturn:
        raise UserError(f"{self.path}: {message}")

    def table(self, parent: Mapping[str, Any], name: str, optional: bool = False) -> dict:
        value = parent.get(name, {} if optional else None)
        if value is None:
            self.fail(f"missing table [{name}]; see assignments/README.md")
        if not isinstance(value, dict):
            self.fail(f"[{name}] must be a table, not {_kind(value)}")
        self.only_known(value, name)
        return value

    def only_known(self, table: Mapping[str, Any], name: str) -> None:
        known = _KEYS[name]
        if known is None:  # a free-form table
            return
        for key in table:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                guess = f'; did you mean "{close[0]}"?' if close else ""
                self.fail(f'unknown key "{key}" in [{name}]{guess} Known keys: {", ".join(known)}')

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
            f" (see assignments/README.md)"
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
    variants = reader.table(data, "variants", optional=True)
    answers = read_answers(
        data.get("answers"),
        path,
        float(tolerances["atol"]),
        float(tolerances["rtol"]),
        {f.name for f in functions},
    )
    check_words(answers, variants, path)
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
        seed=None if seed == "per-submission" else seed,
        cell_timeout=float(reader.positive(grading, "grading", "cell_timeout", "number")),
        notebook_timeout=float(reader.positive(grading, "grading", "notebook_timeout", "number")),
        memory_mb=reader.positive(grading, "grading", "memory_mb", "int"),
        forbidden_imports=imports,
        forbidden_calls=calls,
        cases=reader.table(data, "cases", optional=True),
        variants=variants,
        pools=_pools(reader, data.get("pools", [])),
        answers=answers,
    )


def _pools(reader: _ConfigReader, entries: object) -> tuple[dict, ...]:
    """The [[pools]] tables, each with known keys only; their values are checked where the
    graded functions and the source notebook are known (grader.variants.pools)."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        reader.fail('[[pools]] must be tables, e.g. [[pools]] name = "gates" draw = 2')
    for entry in entries:
        reader.only_known(entry, "pools")
    return tuple(entries)


def _functions(reader: _ConfigReader, entries: object) -> tuple[GradedFunction, ...]:
    if entries is None:  # an assignment of written answers only (the source notebook says)
        return ()
    if not isinstance(entries, list) or not entries:
        reader.fail('[[functions]] must be tables, one per graded function, e.g. name = "..."')
    functions: list[GradedFunction] = []
    for number, entry in enumerate(entries, start=1):
        where = f"functions #{number}"
        if not isinstance(entry, dict):
            reader.fail(f"{where} must be a table")
        reader.only_known(entry, "functions")
        name = reader.get(entry, where, "name", "str")
        if not name.isidentifier():
            reader.fail(f'{where}: "{name}" is not a Python function name')
        if name in (f.name for f in functions):
            reader.fail(f'{where}: "{name}" is listed twice')
        functions.append(
            GradedFunction(name, float(reader.positive(entry, where, "points", "number")))
        )
    return tuple(functions)


def _strings(reader: _ConfigReader, values: list, key: str) -> tuple[str, ...]:
    if not all(isinstance(v, str) and v for v in values):
        reader.fail(f"forbidden.{key} must be a list of non-empty strings, not {values!r}")
    for value in values:  # the probes look each one up by its parts
        if not all(part.isidentifier() for part in value.split(".")):
            reader.fail(f"forbidden.{key}: {value!r} is not a dotted name like torch.nn.LSTMCell")
    if len(values) > FORBIDDEN.max_names:
        reader.fail(
            f"forbidden.{key} lists {len(values)} names; at most {FORBIDDEN.max_names} are read"
        )
    return tuple(values)
