"""A numeric answer scored: the value read back from the student's notebook against the
instructor's solution run on the student's own values, with the answer's tolerance and its
partial-credit rules, in words that name the student's values ("With your W_rec = 0.87, the
gradient falls below 0.001 after 66 steps; you answered 65.").

What the sandbox sends back is parsed as data: numbers, or why there are none. Anything else
(text, a dict, a function, a list of other lengths) scores 0 with its reason, never a grader
error. Feedback given while the student may still hand in again (``withhold``) scores alike but
never states the right value, nor how far the answer is from it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from grader.scoring.compare import CaseResult, FunctionResult
from grader.scoring.returned import within


@dataclass(frozen=True)
class PartialRule:
    """Part of the points for an answer that is not right: within the looser ``atol``/``rtol``
    of the right value, or (``value``) within the answer's tolerance of another value the
    solution computes."""

    credit: float
    message: str
    atol: float | None = None
    rtol: float | None = None
    value: str | None = None


@dataclass(frozen=True)
class NumericAnswer:
    """One number (or short list of numbers) the student's notebook sets as ``name``."""

    name: str
    points: float
    atol: float
    rtol: float
    says: str = ""  # what the right value means, e.g. "the gradient falls below 1e-3 after
    # {expected} steps"; the feedback puts it after the student's values
    partial: tuple[PartialRule, ...] = ()

    @property
    def values_read(self) -> tuple[str, ...]:
        """The variables of the solution the grading needs: the answer, and every other value
        a partial-credit rule compares with."""
        return (self.name, *(rule.value for rule in self.partial if rule.value))


ReadBack = object  # a probe's value as the engine hands it back: arrays, str, tuple, dict, None


def score_answer(
    answer: NumericAnswer,
    got: ReadBack,
    error: str | None,
    expected: Mapping[str, np.ndarray],
    values: Mapping[str, object] | None,
    withhold: bool = False,
) -> FunctionResult:
    """The answer's result: one "case", the student's values, worth its points; with
    ``withhold``, its words say nothing of the right value."""
    right = expected[answer.name]
    label = f"with your {values_said(values)}" if values else "the answer"
    numbers, problem = _numbers(answer.name, got, error, right.size)
    meaning = _withheld(values) if withhold else _meaning(answer, right, values)
    if numbers is None:
        return _result(answer, label, 0.0, f"{problem}. {meaning}.")
    error_size = None if withhold or not numbers.size else float(np.max(np.abs(numbers - right)))
    if within(numbers, right, answer.atol, answer.rtol):
        return _result(answer, label, 1.0, "right", error_size)
    told = f"{meaning}; you answered {_shown(numbers)}.{_not_finite(answer.name, numbers)}"
    for rule in answer.partial:
        if _matches(rule, answer, numbers, right, expected):
            words = _filled(rule.message, answer, None if withhold else right, numbers, values)
            return _result(answer, label, rule.credit, f"{words} {told}", error_size)
    return _result(answer, label, 0.0, told, error_size)


def _not_finite(name: str, numbers: np.ndarray) -> str:
    """Why an answer of nan or inf is no number at all ("" for finite numbers)."""
    if np.all(np.isfinite(numbers)):
        return ""
    what = (
        "nan (not a number): a 0/0, inf - inf or the log of a negative number on the way"
        if np.any(np.isnan(numbers))
        else "infinite: an overflow or a division by zero on the way"
    )
    return f" {name} is {what}; print the steps that compute it to see where it goes wrong."


def _result(
    answer: NumericAnswer, label: str, score: float, message: str, error: float | None = None
) -> FunctionResult:
    case = CaseResult(label, score, error, message)
    return FunctionResult(answer.name, answer.points, [case])


def _matches(
    rule: PartialRule,
    answer: NumericAnswer,
    numbers: np.ndarray,
    right: np.ndarray,
    expected: Mapping[str, np.ndarray],
) -> bool:
    if rule.value is not None:
        other = np.ravel(expected[rule.value])
        return other.shape == numbers.shape and within(numbers, other, answer.atol, answer.rtol)
    return within(numbers, right, rule.atol or 0.0, rule.rtol or 0.0)


def _numbers(
    name: str, got: ReadBack, error: str | None, size: int
) -> tuple[np.ndarray | None, str]:
    """The student's answer as float64 numbers the size of the right one, or why it is not."""
    if error is not None:
        if error.startswith("NameError"):
            return None, f"Your notebook does not set {name}: set it to your answer ({name} = ...)"
        if error.startswith("NotImplementedError"):
            return None, f"{name} is not answered yet (the stub is still there)"
        said = " ".join(error.split())[:300]
        if said.startswith("ValueError: too many numbers"):  # the sandbox counted them
            return None, said.removeprefix("ValueError: ")
        return None, f"{name} could not be read as a number: {said}"
    if isinstance(got, tuple):  # a tuple crosses as its items, each an array
        if not all(isinstance(g, np.ndarray) and g.dtype.kind in "biuf" for g in got):
            return None, f"{name} is not a list of numbers"
        got = np.concatenate([np.ravel(g) for g in got]) if got else np.zeros(0)
    if isinstance(got, str):
        return None, f"{name} is text, not a number; set it to the number itself"
    if not isinstance(got, np.ndarray) or got.dtype.kind not in "biuf":
        return None, f"{name} is not a number (nor a list of numbers)"
    numbers = np.ravel(got).astype(np.float64)  # nan and inf are compared, never right
    if numbers.size != size:
        which = "a number" if size == 1 else f"{size} numbers"
        return None, f"{name} holds {numbers.size} numbers where the answer is {which}"
    return numbers, ""


def _meaning(answer: NumericAnswer, right: np.ndarray, values: Mapping[str, object] | None) -> str:
    """What the right answer is, after the student's values: "With your W_rec = 0.87, the
    gradient falls below 0.001 after 66 steps"."""
    says = _filled(answer.says, answer, right, None, values) if answer.says else ""
    says = says or f"{answer.name} is {_shown(right)}"
    return f"With your {values_said(values)}, {says}" if values else says[:1].upper() + says[1:]


def _withheld(values: Mapping[str, object] | None) -> str:
    """What stands for the right value while the student may hand in again."""
    own = f" for your {values_said(values)}" if values else ""
    return f"Not the right value{own} (it is given in the feedback after the deadline)"


def _filled(
    text: str,
    answer: NumericAnswer,
    right: np.ndarray | None,
    numbers: np.ndarray | None,
    values: Mapping[str, object] | None,
) -> str:
    """``text`` with its {words} filled in (a word it cannot fill is left as written; the
    right value, where it is withheld (``right`` None), is said to come after the deadline)."""
    words: dict[str, object] = {
        **(values or {}),
        "name": answer.name,
        "expected": _shown(right) if right is not None else "(given after the deadline)",
        "answered": _shown(numbers) if numbers is not None else "nothing",
    }
    parts = []
    for literal, field, _, _ in string.Formatter().parse(text):
        parts.append(literal)
        if field is not None:
            parts.append(str(words[field]) if field in words else "{" + field + "}")
    return "".join(parts)


def values_said(values: Mapping[str, object] | None) -> str:
    """A student's values as they read them: "b_f = 0.63, c0 = 1.1"."""
    return ", ".join(f"{name} = {value}" for name, value in (values or {}).items())


def _shown(numbers: np.ndarray) -> str:
    """Numbers as a student writes them: 66, 0.0123, [1, 2.5]."""
    shown = [_number(float(x)) for x in np.ravel(numbers)]
    return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"


def _number(x: float) -> str:
    if np.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"
