"""Proof of "wrong only because of a part": the student's composite called again with each
failing part (and the failing parts of those parts) answered right.

The right answers are computed here, on the trusted side: the notes' composition
(``COMPOSITION``) run over the reference records, for every part it calls, the inputs it gives
and the answer it gets. Those numbers go into the sandbox as a table; there the part's name is
bound, for that one call, to a stand-in answering from the table
(grader.engine.gradersandbox.standin). The reference itself never enters the sandbox.

- every such call right: the composite is wrong only because of its parts;
- one wrong (a wrong value, an error, a part asked on inputs the notes never give it): the
  composite has a mistake of its own besides its parts';
- no stand-in was called (the composite reaches its parts otherwise) or no call could be made:
  nothing is proven either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from grader.scoring.calls import Answer, Call
from grader.scoring.compare import FunctionResult, Rules, close, matching_mistakes
from grader.scoring.values import HiddenCase, as_value, copy_args

RIGHT, WRONG, UNPROVEN = "right", "wrong", "unproven"
# Errors that say nothing about the composite: the grader's stand-in unused, or no answer.
_SAYS_NOTHING = ("StandInUnused", "timed out", "not called", "the call failed")
OWN_MISTAKE_HINT = (
    "besides {parts}, which {verb} wrong on {its} own, {function} has a mistake of its own:"
    " with a right {parts} it still {fails}."
)


def failing_parts(composite: str, known, results: Mapping[str, FunctionResult]) -> list[str]:
    """The parts of ``composite``, and their parts in turn, that lost points."""
    found: list[str] = []
    waiting = list(known.parts.get(composite, ()))
    while waiting:
        part = waiting.pop(0)
        if part in found or part == composite:
            continue
        if part in results and not results[part].passed:
            found.append(part)
        waiting += list(known.parts.get(part, ()))
    return found


def stand_in_tables(known, composite: str, args: tuple, stood_in: Sequence[str]) -> dict:
    """{part: [(args, right answer), ...]}: what the notes' composition of ``composite`` on
    ``args`` asks each part in ``stood_in`` (parts of parts too), answered by the reference."""
    tables: dict[str, list] = {}

    def part(name: str):
        def call(*part_args):
            asked = copy_args(part_args)
            if name in known.composition and name in known.parts:
                inner = {p: part(p) for p in known.parts[name]}
                answer = as_value(known.composition[name](inner, *copy_args(part_args)))
            else:
                answer = as_value(known.reference(name)(*copy_args(part_args)))
            if name in stood_in:
                tables.setdefault(name, []).append((asked, answer))
            return answer

        return call

    parts = {p: part(p) for p in known.parts[composite]}
    known.composition[composite](parts, *copy_args(args))
    return tables


@dataclass
class Proof:
    """The stand-in calls of one failing composite and, once answered, what they show."""

    composite: str
    parts: list[str]  # stood in
    cases: list[int]  # indices of the composite's failing cases called
    verdict: str = UNPROVEN
    own_mistakes: dict[str, str] = field(default_factory=dict)  # code -> text
    fails: str = "returns wrong values"

    def calls(self, known, cases: Sequence[HiddenCase]) -> list[Call]:
        """The call of each case, with its stand-ins' tables computed here."""
        return [
            Call(
                self.composite,
                copy_args(cases[i].args),
                stand_in_tables(known, self.composite, cases[i].args, self.parts),
            )
            for i in self.cases
        ]

    def judge(self, answers: Sequence[Answer], cases: Sequence[HiddenCase], rules: Rules) -> None:
        """Read the stand-in calls' answers (value, error, probe) in the order of ``calls``."""
        verdicts = []
        for index, (value, error, _) in zip(self.cases, answers, strict=True):
            case = cases[index]
            if error is not None:
                if error.startswith(_SAYS_NOTHING):
                    verdicts.append(UNPROVEN)
                    continue
                verdicts.append(WRONG)
                if error.startswith("StandInMiss"):
                    self.fails = "gives its parts inputs the notes never give them"
                else:
                    self.fails = f"raises {error.split(':')[0]}"
                continue
            if close(value, case.expected, rules.atol, rules.rtol):
                verdicts.append(RIGHT)
                continue
            verdicts.append(WRONG)
            for mistake in matching_mistakes(case, value, rules):
                if not set(mistake.variants) & set(self.parts):  # the composite's own
                    self.own_mistakes[mistake.code] = mistake.text(self.composite)
        if WRONG in verdicts:
            self.verdict = WRONG
        elif verdicts and all(v == RIGHT for v in verdicts):
            self.verdict = RIGHT


def proofs_for(
    failing: Mapping[str, FunctionResult],
    results: Mapping[str, FunctionResult],
    outcomes: Mapping[str, Sequence[tuple[object, str | None]]],
    known,
) -> dict[str, Proof]:
    """A proof to make for each failing composite with failing parts, over its failing cases
    that returned a value or raised an error of its own."""
    proofs = {}
    for name, result in failing.items():
        if name not in known.composition or name not in known.parts:
            continue
        parts = failing_parts(name, known, results)
        tried = [
            i
            for i, (case, (value, error)) in enumerate(
                zip(result.cases, outcomes[name], strict=True)
            )
            if not case.passed
            and (value is not None or (error and not error.startswith(_UNANSWERED)))
        ]
        if parts and tried:
            proofs[name] = Proof(name, parts, tried)
    return proofs


_UNANSWERED = ("NotImplementedError", "timed out", "not ")
