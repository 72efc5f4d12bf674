"""An assignment's ``[variants]``: its named parameters, read and checked, and the values a
combination number stands for.

Each parameter has a finite list of values (an integer range by its step, a float range by its
digits after the point, or a list of choices), so the class's sets of values are numbered
0 .. ``combinations - 1``, and a student's number (:mod:`grader.variants.draw`) gives one value
of each parameter, read off the number digit by digit in mixed radix.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import UserError

KINDS = ("int", "float", "choice")
Value = int | float | str
_KEYS = {"int": ("min", "max", "step"), "float": ("min", "max", "digits"), "choice": ("choices",)}
# More digits after the point than a float holds exactly are not rounding.
MAX_DIGITS = sys.float_info.dig


@dataclass(frozen=True)
class Parameter:
    """One named parameter and its possible values, in order."""

    name: str
    kind: str
    values: tuple[Value, ...]
    spec: Mapping[str, Any]  # as written in assignment.toml, for the release record


@dataclass(frozen=True)
class Definition:
    """The parameters of ``[variants]``, in the file's order."""

    parameters: tuple[Parameter, ...]

    @property
    def combinations(self) -> int:
        """How many different sets of values the class can be given."""
        count = 1
        for parameter in self.parameters:
            count *= len(parameter.values)
        return count

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def fingerprint(self) -> str:
        """Names the definition: an edited ``[variants]`` has another one."""
        spec = [[p.name, dict(p.spec)] for p in self.parameters]
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]

    def values(self, number: int) -> dict[str, Value]:
        """The set of values numbered ``number`` (0 <= number < combinations)."""
        chosen: dict[str, Value] = {}
        for parameter in self.parameters:
            number, index = divmod(number, len(parameter.values))
            chosen[parameter.name] = parameter.values[index]
        return chosen

    def number(self, values: Mapping[str, Value]) -> int | None:
        """The number of a set of values, or None when a value is not one of this definition's
        (values recorded under an earlier definition)."""
        number, scale = 0, 1
        for parameter in self.parameters:
            if values.get(parameter.name) not in parameter.values:
                return None
            number += parameter.values.index(values[parameter.name]) * scale
            scale *= len(parameter.values)
        return number

    def class_wide(self) -> dict[str, Value]:
        """The values of the class-wide notebook: each parameter's first (the range's low
        end, the first choice)."""
        return self.values(0)


def read_definition(raw: Mapping[str, Any], where: Path) -> Definition:
    """``[variants]`` as ``assignment.toml`` at ``where`` holds it; UserError names the key."""
    return Definition(tuple(_parameter(name, spec, where) for name, spec in raw.items()))


def _parameter(name: str, spec: object, where: Path) -> Parameter:
    here = f"{where}: [variants.{name}]"
    if not name.isidentifier():
        raise UserError(f"{here}: {name!r} is not a Python name; the notebook uses it as one")
    if not isinstance(spec, dict):
        raise UserError(
            f'{where}: variants.{name} must be a table, e.g. [variants.{name}] kind = "int"'
            f" min = 1 max = 9"
        )
    kind = spec.get("kind")
    if kind not in KINDS:
        raise UserError(f"{here}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    unknown = sorted(set(spec) - {"kind", *_KEYS[kind]})
    if unknown:
        raise UserError(
            f"{here}: unknown key {unknown[0]!r} for kind {kind!r}; its keys: "
            f"{', '.join(_KEYS[kind])}"
        )
    if kind == "choice":
        values: tuple[Value, ...] = _choices(spec.get("choices"), here)
    else:
        values = _range(kind, spec, here)
    return Parameter(name, kind, values, dict(spec))


def _number(spec: Mapping[str, Any], key: str, here: str, whole: bool) -> Any:
    value = spec.get(key)
    ok = isinstance(value, int) if whole else isinstance(value, int | float)
    if value is None or isinstance(value, bool) or not ok:
        kind = "an integer" if whole else "a number"
        raise UserError(f"{here}: {key} must be {kind}, not {value!r}")
    return value


def _range(kind: str, spec: Mapping[str, Any], here: str) -> tuple[Value, ...]:
    whole = kind == "int"
    low, high = (_number(spec, key, here, whole) for key in ("min", "max"))
    if whole:
        step = _number({"step": spec.get("step", 1)}, "step", here, True)
        if step <= 0:
            raise UserError(f"{here}: step must be at least 1, not {step}")
        values: tuple[Value, ...] = tuple(range(low, high + 1, step))
    else:
        digits = _number(spec, "digits", here, True)
        if not 0 <= digits <= MAX_DIGITS:
            raise UserError(f"{here}: digits must be from 0 to {MAX_DIGITS}, not {digits}")
        scale = 10**digits
        # the values at that rounding within [min, max] (min * scale a whole number give or
        # take a float's last bits)
        first, last = math.ceil(round(low * scale, 6)), math.floor(round(high * scale, 6))
        values = tuple(round(k / scale, digits) for k in range(first, last + 1))
    if not values:
        fix = (  # an int range is empty only where max is below min
            "make max at least min"
            if high < low
            else f"widen it to hold a multiple of {10.0**-digits:g}, or give more digits"
        )
        raise UserError(
            f"{here}: the range from min = {low} to max = {high} holds no value"
            f"{' at its rounding' if not whole else ''}; {fix}"
        )
    return values


def _choices(choices: object, here: str) -> tuple[Value, ...]:
    if not isinstance(choices, list) or not all(
        isinstance(c, int | float | str) and not isinstance(c, bool) for c in choices
    ):
        raise UserError(f"{here}: choices must be a list of numbers or strings, not {choices!r}")
    repeated = sorted({str(c) for c in choices if choices.count(c) > 1})
    if repeated:
        raise UserError(f"{here}: the choice {repeated[0]} is listed twice; list each once")
    if len(choices) < 2:
        raise UserError(
            f"{here}: a choice list needs at least two choices to give students different"
            f" values, not {len(choices)}"
        )
    return tuple(choices)


def check_class_size(definition: Definition, students: int, where: Path) -> None:
    """One clear line when the class has more students than the definition has sets of
    values: some would be given the same numbers."""
    if definition.combinations < students:
        ranges = ", ".join(f"{p.name}: {len(p.values)}" for p in definition.parameters)
        raise UserError(
            f"{where}: [variants] can give only {definition.combinations} different sets of"
            f" values ({ranges}) to {students} students; widen a range, add choices or add a"
            f" parameter so that each student gets their own"
        )
