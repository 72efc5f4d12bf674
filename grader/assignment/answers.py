"""An assignment's ``[[answers]]``: numbers the student computes (a count of steps, a norm, a
short list of them), each checked with its tolerance against the instructor's solution run on
the student's own values, with declared partial credit.

Each answer names the variable the student's notebook sets; the source notebook's solution
sets it too, between the solution markers (:mod:`grader.assignment.answer_solutions`). A
partial-credit rule gives ``credit`` (a share of the points) with its own ``message`` when the
answer is right but for a looser tolerance (``atol``/``rtol``: right method, wrong rounding),
or matches another value the solution computes (``value``: a known wrong path, e.g. the count
started from 1); the first rule that matches counts.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader.assignment.keys import ASSIGNMENT_TOML
from grader.errors import UserError
from grader.scoring.numeric_answer import NumericAnswer, PartialRule

ANSWER_KEYS = ASSIGNMENT_TOML.table("answers").names
PARTIAL_KEYS = ASSIGNMENT_TOML.table("answers.partial").names
# The words of a rule or of ``says`` may name these, and the variant parameters by name.
WORDS = ("answered", "expected", "name")


def read_answers(
    entries: object, where: Path, atol: float, rtol: float, taken: set[str]
) -> tuple[NumericAnswer, ...]:
    """``[[answers]]`` as ``assignment.toml`` at ``where`` holds it (None: no answers); the
    tolerances default to ``[grading]``'s; ``taken`` are the graded functions' names."""
    if entries is None:
        return ()
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UserError(
            f'{where}: [[answers]] must be tables, one per answer, e.g. name = "steps" points = 10'
        )
    answers: list[NumericAnswer] = []
    for number, entry in enumerate(entries, start=1):
        here = f"{where}: answers #{number}"
        _only(entry, ANSWER_KEYS, here)
        name = entry.get("name")
        if not isinstance(name, str) or not name.isidentifier():
            raise UserError(
                f"{here}: name must be the Python variable the notebook sets, not {name!r}"
            )
        here = f"{where}: [[answers]] {name}"
        if name in taken or name in (a.name for a in answers):
            raise UserError(f"{here}: {name} is graded twice; give each answer its own name")
        points = _number(entry, "points", here)
        if points is None or points <= 0:
            raise UserError(f"{here}: points must be a number above 0, not {entry.get('points')!r}")
        says = entry.get("says", "")
        if not isinstance(says, str):
            raise UserError(f"{here}: says must be a string, not {says!r}")
        partial = entry.get("partial", [])
        if not isinstance(partial, list) or not all(isinstance(r, dict) for r in partial):
            raise UserError(f"{here}: partial must be [[answers.partial]] tables")
        answers.append(
            NumericAnswer(
                name,
                float(points),
                _tolerance(entry, "atol", here, atol),
                _tolerance(entry, "rtol", here, rtol),
                says,
                tuple(_rule(rule, f"{here}, partial #{k}") for k, rule in enumerate(partial, 1)),
            )
        )
    return tuple(answers)


def check_words(
    answers: tuple[NumericAnswer, ...], variants: Mapping[str, Any], where: Path
) -> None:
    """One clear line for a ``{word}`` in ``says`` or a rule's message that is neither one of
    :data:`WORDS` nor a declared variant."""
    known = (*WORDS, *variants)
    for answer in answers:
        for text in (answer.says, *(rule.message for rule in answer.partial)):
            for _, field, _, _ in string.Formatter().parse(text):
                if field is not None and field not in known:
                    words = ", ".join("{" + k + "}" for k in known)
                    raise UserError(
                        f"{where}: [[answers]] {answer.name}: {{{field}}} in {text!r} is not a"
                        f" word the feedback fills in; use {words}"
                    )


def _only(entry: Mapping[str, Any], keys: tuple[str, ...], here: str) -> None:
    for key in entry:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            guess = f'; did you mean "{close[0]}"?' if close else ""
            raise UserError(f'{here}: unknown key "{key}"{guess} Known keys: {", ".join(keys)}')


def _number(entry: Mapping[str, Any], key: str, here: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError(f"{here}: {key} must be a number, not {value!r}")
    return float(value)


def _tolerance(entry: Mapping[str, Any], key: str, here: str, default: float | None) -> Any:
    value = _number(entry, key, here)
    if value is not None and value < 0:
        raise UserError(f"{here}: {key} must be >= 0, not {value:g}")
    return default if value is None else value


def _rule(rule: Mapping[str, Any], here: str) -> PartialRule:
    _only(rule, PARTIAL_KEYS, here)
    credit = _number(rule, "credit", here)
    if credit is None or not 0 < credit < 1:
        raise UserError(
            f"{here}: credit must be a share of the points between 0 and 1 (e.g. 0.5), not"
            f" {rule.get('credit')!r}"
        )
    message = rule.get("message")
    if not isinstance(message, str) or not message.strip():
        raise UserError(f"{here}: message must say what the student got right and what not")
    value = rule.get("value")
    if value is not None and (not isinstance(value, str) or not value.isidentifier()):
        raise UserError(
            f"{here}: value must name a variable the source notebook's solution sets, not {value!r}"
        )
    atol, rtol = (_tolerance(rule, key, here, None) for key in ("atol", "rtol"))
    if (value is None) == (atol is None and rtol is None):
        raise UserError(
            f"{here}: give either atol/rtol (a looser tolerance: right method, wrong rounding) or"
            f" value (another value the solution computes: a known wrong path), one of the two"
        )
    return PartialRule(credit, message, atol, rtol, value)
