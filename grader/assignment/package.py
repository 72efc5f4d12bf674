"""An assignment folder, loaded: its ``assignment.toml`` and its instructor-only ``grading.py``.

``grading.py`` is imported on the trusted side, by file path, as the module
``assignment_<name>_grading``; modules beside it that it imports are its own (they are taken out
of ``sys.modules`` again, so two assignments may both have a ``mistakes.py``). See
assignments/README.md for what it defines.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import json
import re
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.assignment.config import CONFIG_NAME, AssignmentConfig, load_config
from grader.assignment.types import Case, Mistake
from grader.errors import UserError
from grader.limits import GRADING
from grader.scoring.values import HiddenCase, as_value, copy_args

GRADING_NAME = "grading.py"
_CODE = re.compile(r"\w+(-\w+)*")


def function_rng(seed: int, function: str) -> np.random.Generator:
    """The generator of ``function``'s cases: seeded from the submission's seed and the
    function's name, so no function's inputs can be predicted from another's."""
    return np.random.default_rng([seed, *function.encode("utf-8")])


@dataclass
class Assignment:
    """An assignment folder: the config and what its ``grading.py`` defines."""

    config: AssignmentConfig
    grading: ModuleType

    def __reduce__(self):
        """Pickled (for a grading run's worker processes) as its config: a worker takes
        ``grading.py`` from the same folder, imported once per process and file version."""
        return (_with_grading, (self.config,))

    @property
    def functions(self) -> list[str]:
        return [f.name for f in self.config.functions]

    @property
    def mistakes(self) -> tuple[Mistake, ...]:
        return tuple(getattr(self.grading, "MISTAKES", ()))

    @property
    def composition(self) -> Mapping[str, Callable]:
        return getattr(self.grading, "COMPOSITION", {})

    @property
    def parts(self) -> Mapping[str, Sequence[str]]:
        return getattr(self.grading, "PARTS", {})

    @property
    def shape_hints(self) -> Mapping[str, str]:
        """The assignment's wording of the framework's generic hints (shapes, errors,
        behaviour), by code."""
        return getattr(self.grading, "HINTS", {})

    @property
    def output_names(self) -> Mapping[str, Sequence[str]]:
        """Names of the values a function returns as a tuple, e.g. ("h", "c"): OUTPUT_NAMES,
        or else as the source notebook's function names them (grader.assignment.returns)."""
        named = getattr(self.grading, "OUTPUT_NAMES", {})
        if all(name in named for name in self.functions):
            return named
        return {**_source_output_names(_Source.of(self.config)), **named}

    @property
    def ranges(self) -> Mapping[str, tuple[float, float]]:
        """Where a correct function's values lie, e.g. (0, 1) for a sigmoid."""
        return getattr(self.grading, "RANGES", {})

    def signature(self, function: str) -> tuple[str, ...] | None:
        """The parameters the grader passes, when the reference says (None when it does not)."""
        reference = getattr(self.grading, "REFERENCE", {}).get(function)
        try:
            return tuple(inspect.signature(reference).parameters) if reference else None
        except (TypeError, ValueError):
            return None

    def parameters(self, function: str) -> tuple[str, ...]:
        """The names of ``function``'s parameters, from the reference."""
        try:
            return self.signature(function) or tuple(
                inspect.signature(self.reference(function)).parameters
            )
        except (TypeError, ValueError):
            return ()

    @property
    def cases_take_values(self) -> bool:
        """Whether ``make_cases`` takes the student's values (``values=``): an assignment with
        [variants] whose cases depend on each student's numbers."""
        try:
            parameters = inspect.signature(self.grading.make_cases).parameters
        except (TypeError, ValueError):
            return False
        return "values" in parameters

    def cases(
        self, seed: int, *, public: bool = False, values: Mapping[str, object] | None = None
    ) -> dict[str, list[Case]]:
        """Each graded function's cases, from its own generator; ``values``, one student's
        (or the class-wide) values of [variants], are handed to a ``make_cases`` that takes
        them (``values=``), so an assignment whose hook does not works unchanged."""
        count = GRADING.public_cases if public else self.config.cases_per_function
        settings = {**self.config.cases, "count": count, "public": public}
        given = {"values": dict(values or {})} if self.cases_take_values else {}
        made = {}
        for name in self.functions:
            try:
                cases = self.grading.make_cases(
                    name, function_rng(seed, name), dict(settings), **given
                )
            except NotImplementedError as error:  # --from-nbgrader's start, not finished yet
                raise UserError(
                    f"{self.grading.__file__}: make_cases({name!r}, ...) is not written yet"
                    f" (it raised NotImplementedError: {error})"
                ) from None
            if not cases or not all(isinstance(c, Case) for c in cases):
                raise UserError(
                    f"{self.grading.__file__}: make_cases({name!r}, ...) must return a non-empty"
                    f" list of grader.assignment.Case, not {cases!r:.80}"
                )
            made[name] = list(cases)
        return made

    def reference(self, function: str, values: Mapping[str, object] | None = None) -> Callable:
        """The reference implementation: REFERENCE, or else the source notebook's solution
        (with [variants], filled with ``values``: one student's, else the class-wide)."""
        references = getattr(self.grading, "REFERENCE", None)
        if references is not None:
            return references[function]
        shown = json.dumps(dict(values), sort_keys=True) if values else ""
        return _source_solutions(_Source.of(self.config), shown)[function]

    def expected(
        self, function: str, args: tuple, values: Mapping[str, object] | None = None
    ) -> object:
        return as_value(self.reference(function, values)(*copy_args(args)))

    def hidden_cases(
        self, seed: int, *, public: bool = False, values: Mapping[str, object] | None = None
    ) -> dict[str, list[HiddenCase]]:
        """The cases of every graded function with their expected values, on the student's
        ``values`` where ``make_cases`` takes them.

        A run grades its submissions on one seed: the cases of a seed (and set of values) are
        made once per process and shared, their arrays read-only."""
        # the values change the cases where make_cases takes them, and the expected values
        # where the reference is the source notebook's solution (filled with them)
        matter = self.cases_take_values or getattr(self.grading, "REFERENCE", None) is None
        shown = json.dumps(dict(values), sort_keys=True) if values and matter else ""
        made = _made_cases(_CasesOf(self.grading, repr(self.config), self), seed, public, shown)
        return {name: list(cases) for name, cases in made.items()}


@dataclass(frozen=True)
class _CasesOf:
    """What an assignment's cases depend on: its config and its ``grading.py`` as imported (a
    changed file is a new module), the key of :func:`_made_cases`."""

    grading: ModuleType
    config: str  # repr of the AssignmentConfig
    assignment: Assignment = field(compare=False)


@functools.lru_cache(maxsize=GRADING.cases_kept)
def _made_cases(of: _CasesOf, seed: int, public: bool, values: str) -> dict[str, list[HiddenCase]]:
    assignment = of.assignment
    given = json.loads(values) if values else None
    made = {
        name: [
            HiddenCase(name, c.label, c.args, assignment.expected(name, c.args, given)) for c in cs
        ]
        for name, cs in assignment.cases(seed, public=public, values=given).items()
    }
    _read_only(made)
    return made


def _read_only(value) -> None:
    """Make every array in ``value`` (cases, their arguments and expected values) read-only."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, dict):
        for item in value.values():
            _read_only(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _read_only(item)
    elif isinstance(value, HiddenCase):
        _read_only(value.args)
        _read_only(value.expected)


@dataclass(frozen=True)
class _Source:
    """What is read from an assignment's source notebook depends on: its folder and the
    notebook's version, the key of the caches below (the config comes along, not in the key)."""

    directory: Path
    modified_ns: int
    config: AssignmentConfig = field(compare=False)

    @classmethod
    def of(cls, config: AssignmentConfig) -> _Source:
        return cls(config.directory.resolve(), config.source.stat().st_mtime_ns, config)


@functools.lru_cache(maxsize=GRADING.answer_values_kept)
def _source_solutions(of: _Source, values: str) -> dict[str, Callable]:
    from grader.assignment import source

    return source.solutions_of(of.config, json.loads(values) if values else None)


@functools.lru_cache(maxsize=8)
def _source_output_names(of: _Source) -> dict[str, tuple[str, ...]]:
    from grader.assignment import returns

    return returns.source_output_names(of.config)


def load_assignment(directory: Path) -> Assignment:
    """Read and check an assignment folder; UserError names the file and what is wrong."""
    return _with_grading(load_config(Path(directory)))


def _with_grading(config: AssignmentConfig) -> Assignment:
    """The assignment of ``config``, with its ``grading.py`` imported and checked."""
    path = config.directory / GRADING_NAME
    if not path.is_file():
        raise UserError(
            f"{path} not found: an assignment folder holds {CONFIG_NAME}, the source notebook and"
            f" {GRADING_NAME} (its cases and known mistakes; see assignments/README.md)"
        )
    grading = _import(path, config.name, path.stat().st_mtime)
    _check_grading(grading, config, path)
    return Assignment(config, grading)


@functools.lru_cache(maxsize=16)
def _import(path: Path, name: str, _mtime: float) -> ModuleType:
    """Import ``grading.py`` by path (cached per file version)."""
    module_name = f"assignment_{re.sub(r'[^0-9A-Za-z_]', '_', name)}_grading"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # not for a file named .py
        raise UserError(f"{path}: Python cannot import it as a module")
    module = importlib.util.module_from_spec(spec)
    before = set(sys.modules)
    sys.path.insert(0, str(path.parent))
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
        line = f" (line {frames[-1].lineno})" if frames else ""
        raise UserError(
            f"{path}: importing it failed{line}: {type(error).__name__}: {error}"
        ) from None
    finally:
        sys.path.remove(str(path.parent))
        for added in set(sys.modules) - before - {module_name}:
            file = getattr(sys.modules[added], "__file__", None) or ""
            if Path(file).parent == path.parent:
                del sys.modules[added]
    return module


def _check_grading(grading: ModuleType, config: AssignmentConfig, path: Path) -> None:
    def fail(message: str):
        raise UserError(f"{path}: {message}")

    if not callable(getattr(grading, "make_cases", None)):
        fail("defines no make_cases(function, rng, settings); see assignments/README.md")
    references: Any = getattr(grading, "REFERENCE", None)
    names = [f.name for f in config.functions]
    if references is not None:
        if not isinstance(references, Mapping):
            fail("REFERENCE must be a dict: graded function name -> reference implementation")
        for name in names:
            if name not in references:
                raise UserError(
                    f"{config.directory / CONFIG_NAME}: the grader cannot test a function named"
                    f' "{name}": {GRADING_NAME} has no REFERENCE for it; it knows'
                    f" {', '.join(references)}"
                )
    for mistake in getattr(grading, "MISTAKES", ()):
        if not isinstance(mistake, Mistake):
            fail(f"MISTAKES holds {mistake!r:.60}, not a grader.assignment.Mistake")
        if not _CODE.fullmatch(mistake.code):
            fail(f'mistake code "{mistake.code}" must be kebab-case (letters, digits, "_" and "-")')
        unknown = set(mistake.variants) - set(names)
        if unknown:
            fail(
                f"mistake {mistake.code} has variants of {', '.join(sorted(unknown))}, "
                f"which {CONFIG_NAME} does not grade"
            )
    for composite, parts in getattr(grading, "PARTS", {}).items():
        if composite not in getattr(grading, "COMPOSITION", {}):
            fail(f"PARTS lists {composite} but COMPOSITION has no composition for it")
        ungraded = [p for p in (composite, *parts) if p not in names]
        if ungraded:
            fail(f"PARTS names {', '.join(ungraded)}, which {CONFIG_NAME} does not grade")
