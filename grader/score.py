"""Scoring: hidden cases from a seed, and each graded function's answers against the reference.

Pure functions: arrays in, results out; nothing here touches files or runs student code.
Each function is called on the reference's own inputs, so one wrong gate does not cascade into
``cell_state`` or ``hidden_state``; only the functions that call it (``lstm_cell``,
``lstm_forward``) lose points with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

import reference_lstm as ref
from grader import hints

# A case whose gates see |z| in the tens: a naive sigmoid overflows, a stable one does not.
EDGE_SCALE = 6.0


@dataclass(frozen=True)
class Case:
    """One hidden call: the arguments a graded function receives and what it must return."""

    function: str
    label: str
    args: tuple
    expected: np.ndarray | tuple[np.ndarray, ...]


@dataclass
class CaseResult:
    """How one call went: ``score`` in [0, 1] (tuple outputs earn a share per value)."""

    label: str
    score: float
    max_error: float | None
    message: str
    hint_codes: tuple[str, ...] = ()
    expected: np.ndarray | tuple[np.ndarray, ...] | None = None
    got: np.ndarray | tuple[np.ndarray, ...] | None = None

    @property
    def passed(self) -> bool:
        return self.score == 1.0


@dataclass
class FunctionResult:
    """A graded function's result over all its hidden cases."""

    name: str
    points: float
    cases: list[CaseResult]
    hints: list[str] = field(default_factory=list)  # hint codes, most frequent first
    forbidden: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        if self.forbidden or not self.cases:
            return 0.0
        return round(self.points * sum(c.score for c in self.cases) / len(self.cases), 4)

    @property
    def passed(self) -> bool:
        return not self.forbidden and all(c.passed for c in self.cases)

    @property
    def max_error(self) -> float | None:
        errors = [c.max_error for c in self.cases if c.max_error is not None]
        return max(errors) if errors else None


# --- hidden cases -------------------------------------------------------------------------


def _random_state(rng: np.random.Generator, N: int, D: int, H: int, scale: float):
    x_t = scale * rng.standard_normal((N, D))
    h_prev = rng.uniform(-1.0, 1.0, (N, H))
    c_prev = 2.0 * rng.standard_normal((N, H))
    params = ref.init_params(D, H, rng, scale=scale)
    return x_t, h_prev, c_prev, params


def _cases_for_size(
    rng: np.random.Generator, N: int, D: int, H: int, T: int, label: str, scale: float
) -> list[Case]:
    x_t, h_prev, c_prev, params = _random_state(rng, N, D, H, scale)
    gate_values = {}
    cases = []
    for name, (w_key, b_key, _) in hints.GATES.items():
        args = (x_t, h_prev, params[w_key], params[b_key])
        gate_values[name] = getattr(ref, name)(*args)
        cases.append(Case(name, label, args, gate_values[name]))
    cell_args = (
        c_prev,
        gate_values["forget_gate"],
        gate_values["input_gate"],
        gate_values["candidate_memory"],
    )
    c_t = ref.cell_state(*cell_args)
    hidden_args = (gate_values["output_gate"], c_t)
    x = scale * rng.standard_normal((T, N, D))
    cases += [
        Case("cell_state", label, cell_args, c_t),
        Case("hidden_state", label, hidden_args, ref.hidden_state(*hidden_args)),
        Case(
            "lstm_cell",
            label,
            (x_t, h_prev, c_prev, params),
            ref.lstm_cell(x_t, h_prev, c_prev, params),
        ),
        Case(
            "lstm_forward",
            f"{label}, T={T}",
            (x, h_prev, c_prev, params),
            ref.lstm_forward(x, h_prev, c_prev, params),
        ),
    ]
    return cases


def hidden_cases(
    seed: int, sizes: Sequence[tuple[int, int, int]], sequence_lengths: Sequence[int], count: int
) -> dict[str, list[Case]]:
    """``count`` cases per graded function, drawn from ``seed``.

    Case ``k`` uses ``sizes[k]`` (N, D, H) and ``sequence_lengths[k]``; the last case, when
    there are several, scales inputs and weights so the gates see large |z|.
    """
    rng = np.random.default_rng(seed)
    by_function: dict[str, list[Case]] = {}
    for k in range(count):
        N, D, H = sizes[k]
        edge = count > 1 and k == count - 1
        label = f"N={N}, D={D}, H={H}" + (", large |z|" if edge else "")
        for case in _cases_for_size(
            rng, N, D, H, sequence_lengths[k], label, EDGE_SCALE if edge else 1.0
        ):
            by_function.setdefault(case.function, []).append(case)
    return by_function


# --- comparing ---------------------------------------------------------------------------


def _as_outputs(value) -> tuple | None:
    if isinstance(value, np.ndarray):
        return (value,)
    if isinstance(value, tuple) and all(isinstance(v, np.ndarray) for v in value):
        return value
    return None


def _close(got, expected, atol: float, rtol: float) -> bool:
    got_parts, expected_parts = _as_outputs(got), _as_outputs(expected)
    if got_parts is None or len(got_parts) != len(expected_parts):
        return False
    return all(
        g.shape == e.shape and bool(np.all(np.abs(g - e) <= atol + rtol * np.abs(e)))
        for g, e in zip(got_parts, expected_parts, strict=True)
    )


def _describe(value) -> str:
    if value is None:
        return "None (did you forget `return`?)"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    return type(value).__name__


def _compare_part(
    got: np.ndarray, expected: np.ndarray, atol: float, rtol: float, function: str, what: str
) -> tuple[bool, float | None, str, str | None]:
    """(passed, largest error, message, shape hint code) for one returned array."""
    if got.shape != expected.shape:
        code = hints.shape_hint(function, got.shape, expected.shape)
        advice = f": {hints.SHAPE_HINTS[code]}" if code else ""
        return False, None, f"{what}got {got.shape}, expected {expected.shape}{advice}", code
    finite = np.isfinite(got)
    if not finite.all():
        bad = int((~finite).sum())
        return (
            False,
            None,
            f"{what}{bad} of {got.size} values are NaN or inf "
            f"(an overflow? use a numerically stable sigmoid)",
            None,
        )
    error = np.abs(got - expected)
    worst = float(error.max()) if error.size else 0.0
    if np.all(error <= atol + rtol * np.abs(expected)):
        return True, worst, "", None
    return (
        False,
        worst,
        f"{what}largest error {worst:.3g} (tolerance {atol:g} + {rtol:g}·|expected|)",
        None,
    )


def score_case(case: Case, got, error: str | None, atol: float, rtol: float) -> CaseResult:
    """Compare one returned value (or the error the call raised) with the reference."""
    if error is not None:
        message = (
            "not implemented yet: replace `raise NotImplementedError()` with your code"
            if error.startswith("NotImplementedError")
            else error
        )
        codes = ("W-orientation",) if hints.MATMUL_ERROR.search(error) else ()
        return CaseResult(case.label, 0.0, None, message, codes, expected=case.expected)
    expected_parts = _as_outputs(case.expected)
    got_parts = _as_outputs(got)
    if got_parts is None or len(got_parts) != len(expected_parts):
        wanted = (
            "an array"
            if len(expected_parts) == 1
            else f"a tuple of {len(expected_parts)} arrays (h, c)"
        )
        return CaseResult(
            case.label,
            0.0,
            None,
            f"returned {_describe(got)}, expected {wanted}",
            expected=case.expected,
            got=None,
        )
    names = ("",) if len(expected_parts) == 1 else ("h: ", "c: ")
    passed, errors, messages, codes = 0, [], [], []
    for g, e, what in zip(got_parts, expected_parts, names, strict=True):
        ok, worst, message, code = _compare_part(
            g.astype(np.float64), e, atol, rtol, case.function, what
        )
        passed += ok
        if worst is not None:
            errors.append(worst)
        if message:
            messages.append(message)
        if code:
            codes.append(code)
    score = passed / len(expected_parts)
    if score < 1.0 and not codes:
        codes = [
            m.code
            for m in hints.matching_mistakes(
                case.function, case.args, got, lambda a, b: _close(a, b, atol, rtol)
            )
        ]
    return CaseResult(
        case.label,
        score,
        max(errors) if errors else None,
        "; ".join(messages),
        tuple(dict.fromkeys(codes)),
        expected=case.expected,
        got=got,
    )


def score_function(
    name: str,
    points: float,
    cases: Sequence[Case],
    outcomes: Sequence[tuple[object, str | None]],
    atol: float,
    rtol: float,
    forbidden: Sequence[str] = (),
) -> FunctionResult:
    """Score a function's outcomes ``(value, error)``, one per case, in the cases' order."""
    results = [
        score_case(case, value, error, atol, rtol)
        for case, (value, error) in zip(cases, outcomes, strict=True)
    ]
    counts: dict[str, int] = {}
    for result in results:
        for code in result.hint_codes:
            counts[code] = counts.get(code, 0) + 1
    ranked = sorted(counts, key=lambda code: -counts[code])
    return FunctionResult(name, points, results, ranked, list(forbidden))


def hint_message(function: str, code: str) -> str:
    """The sentence the student reads for a hint code on ``function``."""
    for mistake in hints.MISTAKES:
        if mistake.code == code and function in mistake.functions:
            specific = [m for m in hints.MISTAKES if m.code == code and function in m.functions]
            if len(specific) > 1:  # a gate mistake seen through lstm_cell: name every gate
                return "; ".join(m.message for m in specific)
            return mistake.message
    return hints.SHAPE_HINTS.get(code) or hints.HINT_CODES.get(code, code)
