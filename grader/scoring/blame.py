"""Blame by substitution: when a composite fails, its case is put together again, with the
assignment's ``COMPOSITION``, over the student's own parts called on the composite's inputs. If
that reproduces the student's answer, the composite is wrong only because of the parts that
differ; if every part is right there, the mistake is in the composition."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from grader.scoring import behaviour, shapes
from grader.scoring.calls import Answer, Assignmentish, Call, CallBatch
from grader.scoring.compare import FunctionResult, Rules, close
from grader.scoring.hint_sheet import NO_PATTERN, HintSheet
from grader.scoring.values import HiddenCase, as_value, copy_args

MIXED_HINT = (
    "besides {parts}, which {verb} wrong on {its} own, {function} puts its parts together"
    " differently from the notes."
)
Outcomes = Mapping[str, Sequence[tuple[object, str | None]]]
# The replays' answers in a composite's first round, and the replays' calls of that round
# in, made in one batch with the other first calls of diagnosis.
FirstRound = Callable[[list[Call]], list[Answer]]


def leaves(value: object) -> list:
    """The arrays and numbers in ``value`` (nested tuples, lists and dicts), in order."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, tuple | list):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


class _Unresolved(Exception):
    """A part's answer is not known yet and no stand-in can be made for it."""


def _same_args(a: tuple, b: tuple, atol: float, rtol: float) -> bool:
    leaves_a, leaves_b = leaves(a), leaves(b)
    return len(leaves_a) == len(leaves_b) and all(
        np.shape(x) == np.shape(y) and np.allclose(x, y, atol=atol, rtol=rtol)
        for x, y in zip(leaves_a, leaves_b, strict=True)
    )


# A replay's end: its value (None if a part raised), the parts that differ from the reference,
# and the parts that raised ("" for the composition itself).
Replayed = tuple[object, set[str], set[str]]


@dataclass
class Replay:
    """The composition of one composite case over the student's parts, resolved in rounds.

    A part whose answer is not known yet is answered with the reference on the same inputs
    meanwhile, and its call is recorded to be made. Later calls are recorded too, on inputs
    built from those stand-ins: where the earlier parts are right, they are the very calls the
    next attempt needs (looked up within a tenth of the tolerance), so a replay usually takes
    as many rounds as there are wrong parts in a row, not as many as there are parts."""

    composite: str
    case: HiddenCase
    index: int  # of the case among the composite's cases
    memo: list[tuple[str, tuple, object, str | None]] = field(default_factory=list)

    def find(self, name: str, args: tuple, rules: Rules) -> tuple[object, str | None] | None:
        for function, known_args, value, error in self.memo:
            if function == name and _same_args(args, known_args, rules.atol / 10, rules.rtol / 10):
                return value, error
        return None

    def attempt(self, known: Assignmentish, rules: Rules) -> list[Call] | Replayed:
        """The calls still to make, or how the replay ended."""
        missing: list[Call] = []
        differs: set[str] = set()
        raised: set[str] = set()

        def part(name: str) -> Callable:
            def call(*args):
                try:
                    reference = as_value(known.reference(name)(*copy_args(args)))
                except Exception:  # noqa: BLE001 - inputs a wrong part made may not fit it
                    reference = None
                answer = self.find(name, args, rules)
                if answer is None or answer[1] is not None:
                    if answer is None:
                        missing.append(Call(name, copy_args(args)))
                    else:
                        raised.add(name)
                    if reference is None:
                        raise _Unresolved(name)
                    return reference
                value = answer[0]
                if reference is not None and not close(value, reference, rules.atol, rules.rtol):
                    differs.add(name)
                return value

            return call

        parts = {name: part(name) for name in known.parts[self.composite]}
        value: object
        try:
            value = known.composition[self.composite](parts, *copy_args(self.case.args))
        except _Unresolved:
            value = None
        except Exception:  # noqa: BLE001 - the student's parts may not fit together at all
            value, raised = None, raised | {""}
        if missing:
            return missing
        if raised:
            return None, differs, raised
        return as_value(value), differs, raised


def blame(
    results: Mapping[str, FunctionResult],
    sheet: HintSheet,
    outcomes: Outcomes,
    known: Assignmentish,
    rules: Rules,
    replays: Mapping[str, Replay],
    call_batch: CallBatch,
    first_round: FirstRound,
    max_rounds: int,
) -> None:
    """Resolve each failing composite's replay in rounds (the first one shared with the
    behaviour calls), then say where the bug is, on ``sheet``."""
    done: dict[str, Replayed] = {}
    for round_number in range(max_rounds + 1):
        wanted: list[tuple[str, Call]] = []  # (owner, call)
        for name, replay in replays.items():
            if name in done:
                continue
            state = replay.attempt(known, rules)
            if isinstance(state, tuple):
                done[name] = state
            else:
                wanted += [(name, call) for call in state]
        if round_number == 0:
            answers = first_round([call for _, call in wanted])
        elif not wanted or round_number == max_rounds:
            break
        else:
            answers = call_batch([call for _, call in wanted])
        for (owner, call), answer in zip(wanted, answers, strict=True):
            replays[owner].memo.append((call.function, call.args, answer.value, answer.error))
    for name, replayed in done.items():
        _say_where(sheet, name, results, outcomes, known, rules, replays[name], replayed)


def _say_where(
    sheet: HintSheet,
    name: str,
    results: Mapping[str, FunctionResult],
    outcomes: Outcomes,
    known: Assignmentish,
    rules: Rules,
    replay: Replay,
    replayed: Replayed,
) -> None:
    """The hint of one composite whose replay ended."""
    value, differs, raised = replayed
    got = outcomes[name][replay.index][0]
    wrong_parts = [p for p in known.parts[name] if p in differs | raised and not passed(results, p)]
    random_parts = [p for p in wrong_parts if "nondeterministic" in sheet.codes(p)]
    if "nondeterministic" in sheet.codes(name) and random_parts:
        wrong_parts, value, got = random_parts, None, None  # no replay can match dice
    same = got is None if value is None else close(got, value, rules.atol, rules.rtol)
    if same and wrong_parts:
        text = behaviour.part_first(rules.shape_hints, name, wrong_parts, beneath(results, known))
        for code in [c for c in sheet.codes(name) if c not in codes_of(rules, wrong_parts, name)]:
            sheet.drop(name, code)
        sheet.add(name, "wrong-part", text, first=True)
    elif not differs and not raised:
        if set(sheet.codes(name)) <= {NO_PATTERN}:  # the parts are right: the self-check's words
            text = behaviour.fill(rules.hint("composition", name), name)
            sheet.add(name, "composition", text)
    elif wrong_parts:
        parts, verb, its = shapes.joined(wrong_parts)
        text = MIXED_HINT.format(function=name, parts=parts, verb=verb, its=its)
        sheet.add(name, "composition", text)


def beneath(results: Mapping[str, FunctionResult], known: Assignmentish) -> dict[str, list[str]]:
    """Each composite's parts that lose points on their own, as the self-check finds them."""
    return {
        name: [p for p in parts if p in results and not results[p].passed]
        for name, parts in known.parts.items()
    }


def passed(results: Mapping[str, FunctionResult], name: str) -> bool:
    return name in results and results[name].passed


def codes_of(rules: Rules, parts: Sequence[str], composite: str) -> set[str]:
    """Codes of the known mistakes that live in ``parts`` and show through ``composite``."""
    return {
        m.code for m in rules.mistakes if composite in m.variants and set(parts) & set(m.variants)
    }
