"""The smallest failing case of a function that lost points, as Python a student pastes into a
notebook cell to call the function again: the inputs at full float64 precision under the
function's own parameter names, the call, the reference's answer and what the function returned
to the grader. A case too large to read is summarised instead: its shapes and first rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from grader.limits import GRADING
from grader.scoring import CaseResult, FunctionResult

SHOWN_NUMBERS = 600  # numbers of a case's inputs and expected value shown whole, at most
SUMMARY_ROWS = 2  # rows of each array in the summary of a larger case
SUMMARY_COLUMNS = 6  # numbers of each of those rows
LINE_WIDTH = 100  # characters of a line of numbers, before it wraps


@dataclass(frozen=True)
class Rerun:
    """The smallest failing case as text: ``code`` is Python to paste when ``whole``, else a
    summary in comments."""

    label: str
    code: str
    whole: bool


def _size(value: object) -> int:
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, tuple | list):
        return sum(_size(v) for v in value)
    return int(np.asarray(value).size)


def smallest_failing(result: FunctionResult) -> CaseResult | None:
    """The failing case with the fewest input numbers, among those where the function returned
    a value or raised an error of its own (not a stub, a time limit or a call never made)."""
    usable = [
        case
        for case in result.cases
        if not case.passed and case.args and (case.got is not None or case.raised)
    ]
    return min(usable, key=lambda case: _size(case.args), default=None)


def _number(x: np.generic) -> str:
    """The shortest Python text of ``x`` that reads back as the same number."""
    if isinstance(x, np.bool_ | np.integer):
        return repr(x.item())
    value = float(x)
    if math.isfinite(value):
        return repr(value)
    return "np.nan" if math.isnan(value) else ("np.inf" if value > 0 else "-np.inf")


def _nested(array: np.ndarray, column: int) -> str:
    """``array`` as nested lists, its "[" at ``column``: a row per line, a long row wrapped with
    its numbers lined up under its first."""
    if array.ndim == 1:
        lines, line = [], ""
        for text in (_number(x) for x in array):
            if line and column + 1 + len(line) + len(text) + 2 > LINE_WIDTH:
                lines.append(line + ",")
                line = ""
            line += (", " if line else "") + text
        return "[" + ("\n" + " " * (column + 1)).join([*lines, line]) + "]"
    rows = [_nested(row, column + 1) for row in array]
    return "[" + (",\n" + " " * (column + 1)).join(rows) + "]"


def _array(array: np.ndarray, before: str) -> str:
    """``array`` as ``np.array(...)`` that rebuilds it exactly; ``before`` is the text ahead
    of it on its line (its rows line up under its first)."""
    if array.size == 0:
        return f"np.zeros({array.shape})"
    dtype = "" if array.dtype in (np.float64, np.int64, np.bool_) else f", dtype=np.{array.dtype}"
    if array.ndim == 0:
        scalar = cast(np.generic, array[()])  # numpy's stubs type a 0-d array's item as an array
        return f"np.array({_number(scalar)}{dtype})"
    return f"np.array({_nested(array, len(before) + len('np.array('))}{dtype})"


def _literal(value: object, before: str = "") -> str:
    """Python that rebuilds ``value`` (an array, a dict or tuple of them, a number) exactly."""
    if isinstance(value, dict):
        items = [f"    {k!r}: {_literal(v, f'    {k!r}: ')}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n}"
    if isinstance(value, tuple | list):
        return "(\n" + "\n".join(f"    {_literal(v, '    ')}," for v in value) + "\n)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, np.ndarray):
        return _array(value, before)
    return repr(value)


def _summary(name: str, value: object, names: Sequence[str] = ()) -> list[str]:
    """Comment lines giving the shape and first rows of each array in ``value``."""
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _summary(f"{name}[{k!r}]", v)]
    if isinstance(value, tuple | list):
        labels = [f" ({n})" for n in names] if len(names) == len(value) else [""] * len(value)
        return [
            line
            for i, (v, label) in enumerate(zip(value, labels, strict=True))
            for line in _summary(f"{name}[{i}]{label}", v)
        ]
    array = np.asarray(value)
    if array.ndim == 0 or array.size == 0:
        return [f"# {name} = {_literal(value)}" if array.size else f"# {name}: shape {array.shape}"]
    rows = array.reshape(-1, array.shape[-1])
    lines = [f"# {name}: shape {array.shape}, its first rows:"]
    for row in rows[:SUMMARY_ROWS]:
        more = ", ..." if row.size > SUMMARY_COLUMNS else ""
        lines.append(f"#   [{', '.join(repr(float(x)) for x in row[:SUMMARY_COLUMNS])}{more}]")
    return lines + (["#   ..."] if len(rows) > SUMMARY_ROWS else [])


def _free(name: str, taken: set[str]) -> str:
    """``name``, made unlike every name in ``taken`` (a parameter may be called ``expected``)."""
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _comparison(yours: str, expected: str, value: object) -> str:
    if isinstance(value, dict):
        errors = f"{{k: np.abs({yours}[k] - e).max() for k, e in {expected}.items()}}"
    elif isinstance(value, tuple):
        errors = f"[np.abs(y - e).max() for y, e in zip({yours}, {expected})]"
    else:
        errors = f"np.abs({yours} - {expected}).max()"
    return f'print("largest error:", {errors})'


def rerun(result: FunctionResult) -> Rerun | None:
    """The smallest failing case of ``result``, or None when no failing case is worth calling
    again (every call a stub, a time limit, no notebook)."""
    case = smallest_failing(result)
    if case is None:
        return None
    function = result.name
    parameters = [
        result.parameters[i] if i < len(result.parameters) else f"arg{i + 1}"
        for i in range(len(case.args))
    ]
    taken = {"np", function, *parameters}
    yours, expected, returned = (_free(n, taken) for n in ("yours", "expected", "returned"))
    call = f"{function}({', '.join(parameters)})"
    named = f" ({', '.join(result.output_names)})" if isinstance(case.expected, tuple) else ""
    if case.got is None:
        got_lines = [f"# Your {function} raised {' '.join(case.message.split())}"]
    else:
        got_lines = [f"# What your {function} returned to the grader{named}:"]
        if _size(case.got) <= SHOWN_NUMBERS:
            got_lines.append(f"{returned} = {_literal(case.got, f'{returned} = ')}")
        else:
            got_lines += _summary(returned, case.got, result.output_names)
    numbers = _size(case.args) + _size(case.expected)
    if numbers <= SHOWN_NUMBERS:
        code = "\n".join(_whole(function, case, parameters, (yours, expected), named, got_lines))
        if _small(code):
            return Rerun(case.label, code, whole=True)
    lines = [
        f"# {function}'s smallest failing case ({case.label}) is too large to show whole"
        f" ({numbers} numbers): the shapes and first rows of {call}'s inputs,",
        *[line for p, a in zip(parameters, case.args, strict=True) for line in _summary(p, a)],
        f"# and of the right answer{named}:",
        *_summary(expected, case.expected, result.output_names),
        *got_lines,
    ]
    return Rerun(case.label, _cut("\n".join(lines)), whole=False)


def _small(code: str) -> bool:
    """Whether ``code`` is small enough to paste (and to print in the feedback)."""
    return (
        code.count("\n") < GRADING.rerun_lines and len(code.encode("utf-8")) <= GRADING.rerun_bytes
    )


def _cut(code: str) -> str:
    """``code`` cut to what the feedback prints of a case, saying how much was left out."""
    if _small(code):
        return code
    lines = code.encode("utf-8")[: GRADING.rerun_bytes].decode("utf-8", "ignore").split("\n")
    kept = lines[: GRADING.rerun_lines - 1]
    if len(kept) == len(lines):
        kept = kept[:-1]  # the last, cut in the middle
    left_out = code.count("\n") + 1 - len(kept)
    return "\n".join([*kept, f"# ... and {left_out} more lines, too many to show"])


def _whole(
    function: str,
    case: CaseResult,
    parameters: list[str],
    names: tuple[str, str],
    named: str,
    got_lines: list[str],
) -> list[str]:
    """The case as Python to paste: its inputs, the call, the right answer, what came back."""
    yours, expected = names
    call = f"{function}({', '.join(parameters)})"
    return [
        "import numpy as np",
        "",
        f"# {function}'s smallest failing case ({case.label}), as the grader called it:",
        *[f"{p} = {_literal(a, f'{p} = ')}" for p, a in zip(parameters, case.args, strict=True)],
        f"{yours} = {call}",
        "",
        f"# The right answer{named}:",
        f"{expected} = {_literal(case.expected, f'{expected} = ')}",
        *got_lines,
        "",
        _comparison(yours, expected, case.expected),
    ]
