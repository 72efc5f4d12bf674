"""Comparing what a graded function returned with the reference, case by case.

Partial credit is per case and per returned value: a tuple earns a share per array, a dict a
share per key. A value passes when ``|got - expected| <= atol + rtol * |expected|`` everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from grader.scoring import behaviour, shapes
from grader.scoring.returned import Single, align, close, kind_problem, within
from grader.scoring.values import HiddenCase, as_value, copy_args


class KnownMistake(Protocol):
    """A known mistake as scoring reads it (the authoring type is
    :class:`grader.assignment.types.Mistake`, which builds on scoring): its code, the variants
    that reproduce it, and the words it says for a function."""

    @property
    def code(self) -> str: ...

    @property
    def variants(self) -> Mapping[str, Callable]: ...

    def text(self, function: str) -> str: ...


@dataclass(frozen=True)
class Rules:
    """How one assignment is scored and diagnosed."""

    atol: float
    rtol: float
    mistakes: tuple[KnownMistake, ...] = ()
    shape_hints: Mapping[str, str] = field(default_factory=dict)
    output_names: Mapping[str, Sequence[str]] = field(default_factory=dict)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    parameters: Mapping[str, Sequence[str]] = field(default_factory=dict)  # for feedback

    @classmethod
    def of(cls, assignment) -> Rules:
        return cls(
            assignment.config.atol,
            assignment.config.rtol,
            assignment.mistakes,
            dict(assignment.shape_hints),
            dict(assignment.output_names),
            dict(assignment.ranges),
            {name: assignment.parameters(name) for name in assignment.functions},
        )

    def hint(self, code: str, function: str) -> str:
        """The text of a generic hint, in the assignment's words where it gives them."""
        return shapes.hint_text(self.shape_hints, code, function) or code


@dataclass(frozen=True)
class CaseResult:
    """How one call went: ``score`` in [0, 1] (several returned values earn a share each);
    ``hints`` maps each hint code to the text the student reads; ``args`` are the case's
    inputs, for the feedback that lets the student call the function on them again."""

    label: str
    score: float
    max_error: float | None
    message: str
    hints: Mapping[str, str] = field(default_factory=dict)
    expected: object = None
    got: object = None
    args: tuple = ()
    wrong_shape: bool = False  # a returned value of the wrong shape: not in ``max_error``
    error: str = ""  # what the call raised, or why it returned nothing: no value, no error size
    raised: bool = False  # the student's code raised ``error`` (:func:`shapes.raised_by_code`)

    @property
    def passed(self) -> bool:
        return self.score == 1.0

    @property
    def hint_codes(self) -> tuple[str, ...]:
        return tuple(self.hints)


@dataclass(frozen=True)
class FunctionResult:
    """A graded function's result over all its cases; ``hints`` are codes, most frequent
    first (then as diagnosis ordered them), and ``hint_messages`` what the student reads for
    each; ``parameters`` and ``output_names`` name the function's arguments and the values of a
    tuple it returns."""

    name: str
    points: float
    cases: Sequence[CaseResult]
    hints: Sequence[str] = ()
    forbidden: Sequence[str] = ()
    hint_messages: Mapping[str, str] = field(default_factory=dict)
    parameters: tuple[str, ...] = ()
    output_names: tuple[str, ...] = ()
    tolerance: tuple[float, float] | None = None  # (atol, rtol) its values were compared with

    @property
    def tolerance_words(self) -> str:
        """The tolerance as the student reads it, once per function: "" where unknown."""
        if self.tolerance is None:
            return ""
        atol, rtol = self.tolerance
        return f"a value passes within {atol:g} + {rtol:g}·|expected| of the right one"

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

    @property
    def wrong_shape(self) -> bool:
        """Whether some case returned a value of the wrong shape (an error no number shows)."""
        return any(c.wrong_shape for c in self.cases)

    def with_hints(self, hints: Mapping[str, str]) -> FunctionResult:
        """This result with ``hints`` (code -> text, in order) in place of its own."""
        return replace(self, hints=tuple(hints), hint_messages=dict(hints))

    def with_forbidden(self, shortcuts: Sequence[str]) -> FunctionResult:
        """This result with the forbidden ``shortcuts`` found in the function: they cost its
        points, whatever its values."""
        return replace(self, forbidden=tuple(shortcuts))


def _compare_value(
    got: Single | None, expected: Single, rules: Rules, what: str, function: str
) -> tuple[bool, float | None, str, str | None]:
    """(passed, largest error, message, shape hint code) for one returned value; a str is
    compared as a str, exactly."""
    if got is not None and (isinstance(got, str) or isinstance(expected, str)):
        problem = kind_problem(got, expected)
        return problem is None, None, f"{what}{problem}" if problem else "", None
    if not isinstance(got, np.ndarray) or not isinstance(expected, np.ndarray):
        return False, None, f"{what}missing", None
    got = got.astype(np.float64)
    if got.shape != expected.shape:
        code = shapes.shape_code(got.shape, expected.shape)
        advice = f": {rules.hint(code, function)}" if code else ""
        return False, None, f"{what}got {got.shape}, expected {expected.shape}{advice}", code
    finite = np.isfinite(got)
    if not finite.all():
        bad = int((~finite).sum())
        return False, None, f"{what}{bad} of {got.size} values are NaN or inf (an overflow?)", None
    with np.errstate(all="ignore"):
        error = np.abs(got - expected)
    worst = float(error.max()) if error.size else 0.0
    if within(got, expected, rules.atol, rules.rtol):
        return True, worst, "", None
    # the tolerance is the function's, said once beside its cases (FunctionResult.tolerance)
    return False, worst, f"{what}largest error {worst:.3g}", None


def matching_mistakes(case: HiddenCase, got: object, rules: Rules) -> list[KnownMistake]:
    """The known mistakes whose variant returns what the student returned on this case."""
    found = []
    for mistake in rules.mistakes:
        variant: Callable | None = mistake.variants.get(case.function)
        if variant is None:
            continue
        try:
            wrong = as_value(variant(*copy_args(case.args)))
        except Exception:  # noqa: BLE001 - a variant that cannot run on this case matches nothing
            continue
        if not close(wrong, case.expected, rules.atol, rules.rtol) and close(
            got, wrong, rules.atol, rules.rtol
        ):
            found.append(mistake)
    return found


def mistake_hints(mistakes: Sequence[KnownMistake], function: str) -> dict[str, str]:
    """code -> text for the mistakes that matched; those sharing a code are joined, so a
    composite's hint names exactly the parts whose mistake it reproduced."""
    texts: dict[str, list[str]] = {}
    for mistake in mistakes:
        texts.setdefault(mistake.code, []).append(mistake.text(function))
    return {code: "; ".join(dict.fromkeys(t)) for code, t in texts.items()}


def changed_inputs(function: str, positions: Sequence[int], rules: Rules) -> str:
    """The names of the arguments at ``positions``, as a sentence ("c_prev", "x and h0")."""
    names = list(rules.parameters.get(function, ()))
    which = [names[i] if i < len(names) else f"argument {i + 1}" for i in sorted(set(positions))]
    return shapes.joined(which)[0]


def score_case(
    case: HiddenCase, got: object, error: str | None, rules: Rules, mutated: Sequence[int] = ()
) -> CaseResult:
    """Compare one returned value (or the error the call raised) with the reference. A call
    that changed an argument in place (``mutated``: their positions, as the engine saw them)
    earns nothing: its caller's array is not what it passed, whatever the value returned."""
    if error is None and mutated:
        which = changed_inputs(case.function, mutated, rules)
        text = behaviour.fill(rules.hint("mutates-input", case.function), case.function, which)
        return CaseResult(
            case.label,
            0.0,
            None,
            f"changed its input {which} in place",
            {"mutates-input": text},
            expected=case.expected,
            got=got,
            args=case.args,
        )
    if error is not None:
        message = (
            "not implemented yet: replace `raise NotImplementedError()` with your code"
            if error.startswith("NotImplementedError")
            else error
        )
        code = shapes.error_code(error)
        hints = {code: rules.hint(code, case.function)} if code else {}
        return CaseResult(
            case.label, 0.0, None, message, hints, expected=case.expected, args=case.args,
            error=error, raised=shapes.raised_by_code(error),
        )  # fmt: skip
    pairs, problem = align(got, case.expected, rules.output_names.get(case.function, ()))
    if problem:
        return CaseResult(
            case.label, 0.0, None, problem, expected=case.expected, got=got, args=case.args
        )
    passed, errors, messages, hints = 0, [], [], {}
    several = len(pairs) > 1
    shapes_wrong = any(
        isinstance(g, np.ndarray) and isinstance(e, np.ndarray) and g.shape != e.shape
        for _, g, e in pairs
    )
    for name, g, e in pairs:
        what = f"{name}: " if several else ""
        ok, worst, message, code = _compare_value(g, e, rules, what, case.function)
        passed += ok
        if worst is not None:
            errors.append(worst)
        if message:
            messages.append(message)
        if code:
            hints[code] = rules.hint(code, case.function)
    score = passed / len(pairs)
    if score < 1.0 and not hints:
        hints = mistake_hints(matching_mistakes(case, got, rules), case.function)
    return CaseResult(
        case.label,
        score,
        max(errors) if errors else None,
        "; ".join(messages),
        hints,
        expected=case.expected,
        got=got,
        args=case.args,
        wrong_shape=shapes_wrong,
    )


def observed_values(
    cases: Sequence[HiddenCase],
    outcomes: Sequence[tuple[object, str | None]],
    results: Sequence[CaseResult],
    rules: Rules,
) -> list[tuple[tuple, list[tuple[str, np.ndarray, np.ndarray]]]]:
    """(arguments, [(label, returned, expected)]) of each failing case whose values came back
    whole (every value there, finite): what :func:`pattern_hint` reads."""
    observed = []
    for case, (got, error), result in zip(cases, outcomes, results, strict=True):
        if error is not None or result.passed or "mutates-input" in result.hints:
            continue
        pairs, problem = align(got, case.expected, rules.output_names.get(case.function, ()))
        values = [
            (n, g, e)
            for n, g, e in pairs
            if isinstance(g, np.ndarray) and isinstance(e, np.ndarray)
        ]
        if problem or len(values) < len(pairs):
            continue
        arrays = [(n, g.astype(np.float64), np.asarray(e, dtype=np.float64)) for n, g, e in values]
        if all(np.isfinite(g).all() for _, g, _ in arrays):
            observed.append((case.args, arrays))
    return observed


def hint_over_cases(
    name: str,
    cases: Sequence[HiddenCase],
    outcomes: Sequence[tuple[object, str | None]],
    results: Sequence[CaseResult],
    rules: Rules,
) -> tuple[str, str] | None:
    """The code and text of what ``name``'s wrong values do over every case, in the words
    the self-check finds with the same function; "no-pattern" when nothing agrees; None when
    no case returned wrong values whole."""
    observed = observed_values(cases, outcomes, results, rules)
    if not observed:
        return None
    parameters = dict(enumerate(rules.parameters.get(name, ())))
    found = behaviour.pattern_hint(
        name,
        observed,
        rules.shape_hints,
        rules.ranges.get(name),
        rules.atol,
        rules.rtol,
        parameters,
    )
    if found is None:
        return "no-pattern", behaviour.fill(rules.hint("no-pattern", name), name)
    return found


def _contradicted(
    name: str,
    cases: Sequence[HiddenCase],
    outcomes: Sequence[tuple[object, str | None]],
    rules: Rules,
    codes: set[str],
) -> list[str]:
    """The known mistakes among ``codes`` that a case contradicts: the call raised an error of
    its own where the mistake returns a wrong value. Such a mistake matched only where it
    cannot be told from another one (W.reshape(D, H) is W where D == H), so it is not told."""
    raised = [
        case
        for case, (_, error) in zip(cases, outcomes, strict=True)
        if error is not None and not error.startswith(("NotImplementedError", "timed out", "not "))
    ]
    found = []
    for mistake in rules.mistakes:
        variant = mistake.variants.get(name)
        if variant is None or mistake.code not in codes or mistake.code in found:
            continue
        for case in raised:
            try:
                wrong = as_value(variant(*copy_args(case.args)))
            except Exception:  # noqa: BLE001 - the mistake raises here too: no contradiction
                continue
            if not close(wrong, case.expected, rules.atol, rules.rtol):
                found.append(mistake.code)
                break
    return found


def score_function(
    name: str,
    points: float,
    cases: Sequence[HiddenCase],
    outcomes: Sequence[tuple[object, str | None]],
    rules: Rules,
    mutated: Sequence[Sequence[int]] = (),
) -> FunctionResult:
    """Score a function's outcomes ``(value, error)``, one per case, in the cases' order;
    ``mutated``, when given, the arguments each call changed in place. A forbidden shortcut
    is the grader's finding, added with :meth:`FunctionResult.with_forbidden`."""
    changed = list(mutated) or [()] * len(cases)
    results = [
        score_case(case, value, error, rules, moved)
        for case, (value, error), moved in zip(cases, outcomes, changed, strict=True)
    ]
    counts: dict[str, int] = {}
    messages: dict[str, str] = {}
    for result in results:
        for code, text in result.hints.items():
            counts[code] = counts.get(code, 0) + 1
            messages.setdefault(code, text)
    for code in _contradicted(name, cases, outcomes, rules, set(counts)):
        del counts[code], messages[code]
    ranked = sorted(counts, key=lambda code: -counts[code])
    # what the values do, where no case's known mistake, shape or error names it already
    told = None if ranked else hint_over_cases(name, cases, outcomes, results, rules)
    if told is not None:
        ranked.append(told[0])
        messages[told[0]] = told[1]
    return FunctionResult(
        name,
        points,
        tuple(results),
        tuple(ranked),
        hint_messages=messages,
        parameters=tuple(rules.parameters.get(name, ())),
        output_names=tuple(rules.output_names.get(name, ())),
        tolerance=(rules.atol, rules.rtol),
    )
