"""The public cases carried by the released notebook: inputs drawn from the public seed, the
solutions' outputs, and the outputs of the known mistakes that differ from them, packed compactly
so that the self-check needs nothing but numpy."""

from __future__ import annotations

import base64
import functools
import inspect
import json
import zlib
from collections.abc import Callable, Mapping

import numpy as np

from grader.assignment.config import PUBLIC_SEED
from grader.assignment.package import Assignment, as_value, copy_args
from grader.errors import UserError
from grader.scoring import inputs_used, traces
from grader.scoring.calls import Assignmentish
from grader.scoring.compare import close


def public_cases(
    assignment: Assignment,
    solutions: Mapping[str, Callable],
    cells: Mapping[str, str],
    values: Mapping[str, object] | None = None,
) -> tuple[str, dict[str, str]]:
    """The packed public cases, and the words of each known mistake by its key in them.

    Where ``grading.py`` has a REFERENCE, the solutions must agree with it on every case, since
    the grader compares students with the reference; ``cells`` names each solution's cell.
    ``values``: the student's values of [variants] (or the class-wide), handed to a
    ``make_cases`` that takes them, as the grader will.
    """
    config = assignment.config
    references = getattr(assignment.grading, "REFERENCE", None)
    arrays: dict[str, np.ndarray] = {}
    texts: dict[str, str] = {}
    for name, cases in assignment.cases(PUBLIC_SEED, public=True, values=values).items():
        params = list(inspect.signature(solutions[name]).parameters)
        for number, case in enumerate(cases):
            args = _float32_exact(case.args)  # stored as float32: compute from what is stored
            expected = as_value(_call_solution(solutions[name], args, cells[name]))
            if _holds_text(args, expected):
                continue  # the payload carries numbers only: the grader alone checks a str
            if references is not None:
                reference = assignment.expected(name, args, values)
                if not close(expected, reference, config.atol, config.rtol):
                    where = getattr(references[name], "__module__", "grading.py").split(".")[0]
                    raise UserError(
                        f"{cells[name]}: the solution of {name} disagrees with {where} on public"
                        f" case {number + 1} ({case.label}); students are graded against the"
                        f" reference, so fix the solution"
                    )
            prefix = f"{name}/{number}"
            for position, (param, value) in enumerate(zip(params, args, strict=False)):
                if isinstance(value, dict):
                    for key, array in value.items():
                        arrays[f"{prefix}/in/{position}/{param}.{key}"] = np.asarray(array)
                elif isinstance(value, int | float):
                    kind = "int" if isinstance(value, int) else "float"
                    arrays[f"{prefix}/in/{position}/{param}#{kind}"] = np.asarray(value)
                else:
                    arrays[f"{prefix}/in/{position}/{param}"] = value
            _store(arrays, f"{prefix}/out", expected)
            for index, mistake in enumerate(assignment.mistakes):
                variant = mistake.variants.get(name)
                if variant is None:
                    continue
                key = f"{index}-{mistake.code}"
                wrong = as_value(variant(*copy_args(args)))
                if not close(wrong, expected, config.atol, config.rtol):
                    _store(arrays, f"{prefix}/mistake/{key}", wrong)
                    # the words with ``{function}`` left in: the self-check fills in the
                    # function it checks, as the grader does (never one baked in here)
                    texts[key] = mistake.message
    return _pack(arrays), texts


def wiring_sketches(
    assignment: Assignment, values: Mapping[str, object] | None = None
) -> dict[str, list[dict]]:
    """The notes' calls of each composite's parts on each of its public cases, as labels (see
    grader.scoring.wiring): what the self-check sets a student's traced calls beside."""
    known = Assignmentish(
        functools.partial(assignment.reference, values=values),
        assignment.composition,
        assignment.parts,
        {name: assignment.parameters(name) for name in assignment.functions},
    )
    cases = assignment.cases(PUBLIC_SEED, public=True, values=values)
    arguments = {
        name: [_float32_exact(case.args) for case in cases[name]]
        for name in assignment.composition
        if name in cases
    }
    return traces.sketches(known, assignment.output_names, arguments)


def input_moves(
    assignment: Assignment, values: Mapping[str, object] | None = None
) -> dict[str, list[list[int]]]:
    """For each function, on each public case, the array inputs whose nudge moves the
    reference's answer (grader.scoring.inputs_used): what the self-check needs to say an
    input is ignored only where the notes' answer would move."""
    config = assignment.config
    moves: dict[str, list[list[int]]] = {}
    for name, cases in assignment.cases(PUBLIC_SEED, public=True, values=values).items():
        reference = functools.partial(_answered, assignment.reference(name, values))
        moves[name] = [
            inputs_used.moving_inputs(
                reference,
                _float32_exact(case.args),
                config.atol,
                config.rtol,
            )
            for case in cases
        ]
    return moves


def _answered(reference: Callable, *args: object) -> object:
    return as_value(reference(*copy_args(args)))


def _store(arrays: dict[str, np.ndarray], prefix: str, value: object) -> None:
    """A returned value under ``prefix``: ``a/0`` an array, ``t/<i>`` a tuple, ``d/<key>`` a
    dict."""
    if isinstance(value, dict):
        arrays.update({f"{prefix}/d/{k}": v for k, v in value.items()})
    elif isinstance(value, tuple):
        arrays.update({f"{prefix}/t/{i}": v for i, v in enumerate(value)})
    else:
        arrays[f"{prefix}/a/0"] = np.asarray(value)


def _pack(arrays: Mapping[str, np.ndarray]) -> str:
    """base64 of zlib of: a JSON line of [key, shape] pairs, then every array as float32.

    One flat buffer instead of an .npz, whose per-array headers would outweigh these small
    arrays many times over.
    """
    header = json.dumps([[key, list(a.shape)] for key, a in arrays.items()]).encode("ascii")
    data = b"".join(np.asarray(a, dtype="<f4").tobytes() for a in arrays.values())
    return base64.b64encode(zlib.compress(header + b"\n" + data, 9)).decode("ascii")


def _holds_text(args: tuple, expected: object) -> bool:
    """Whether a case's arguments or returned value hold a str (nbgrader's ``greeting``)."""
    values = [*args, *(expected.values() if isinstance(expected, dict) else ())]
    values += list(expected) if isinstance(expected, tuple) else [expected]
    return any(
        isinstance(v, str) or (isinstance(v, dict) and any(isinstance(x, str) for x in v.values()))
        for v in values
    )


def _float32_exact(args: tuple) -> tuple:
    def exact(value):
        if isinstance(value, np.ndarray):
            return value.astype(np.float32).astype(np.float64)
        return value

    return tuple(
        {k: exact(v) for k, v in a.items()} if isinstance(a, dict) else exact(a) for a in args
    )


def _call_solution(solution: Callable, args: tuple, where: str) -> object:
    try:
        return solution(*copy_args(args))
    except Exception as error:
        raise UserError(
            f"{where}: the solution raised {type(error).__name__}: {error}; fix the source notebook"
        ) from None
