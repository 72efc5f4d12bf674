"""Diagnosis of the functions that lost points, by calling the student's code again.

- **Blame by substitution** (:mod:`grader.scoring.blame`): when a composite fails, the
  student's own parts are called on the composite's inputs and put together with the
  assignment's ``COMPOSITION``; :mod:`grader.scoring.proof` then calls the composite with its
  failing parts answered right.
- **Behaviour**: a second call on the same input (nondeterministic), calls with one input
  changed (an input the answer ignores), and what the engine saw inside the sandbox (inputs
  changed in place, one array returned several times).
- A hint never names a part that passed: a known mistake of a part is dropped from a composite
  when that part passed its own cases.

Calls go through ``call_batch`` (:data:`grader.scoring.calls.CallBatch`): a list of calls in,
their answers out, in rounds. Marks never change here, nor do the results: what diagnosis finds
is a :class:`Diagnosis` (hints only), so nothing a notebook does to these extra calls can earn
it points.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from grader.scoring import behaviour, proof, shapes, traces
from grader.scoring.blame import (
    Outcomes,
    Replay,
    beneath,
    blame,
    codes_of,
    leaves,
    passed,
)
from grader.scoring.calls import Answer, Assignmentish, Call, CallBatch, ProbeNotes
from grader.scoring.compare import FunctionResult, Rules, close
from grader.scoring.hint_sheet import NO_PATTERN, Diagnosis, HintSheet
from grader.scoring.values import HiddenCase, as_value, copy_args

__all__ = ["Assignmentish", "Diagnosis", "diagnose"]
PERTURBATION_SEED = 1729
TRACED_CASES = 3  # failing cases a composite's wiring is traced on, smallest first


class _Check(NamedTuple):
    """A behaviour check on a failing function's smallest failing case: its calls start at
    ``at`` in the first round; a perturbation has changed ``args`` at ``position``."""

    function: str
    at: int
    case: int  # its index among the function's cases
    position: int | None = None  # None: the repeat check
    args: tuple = ()


def _drop_passed_parts(
    results: Mapping[str, FunctionResult], sheet: HintSheet, known: Assignmentish, rules: Rules
) -> None:
    """Take from each composite the hints that name a part which passed and no part which
    failed: a hint never sends a student to fix what is right. Where a known mistake of the
    composite's own explains its values, the known mistakes that live only in parts which
    passed go too (their arithmetic can repeat in the composite: a cell given two gates'
    weights swapped computes f * c~ + i * C_prev, though its cell state part is right)."""
    for composite, parts in known.parts.items():
        if composite not in results:
            continue
        right = [p for p in parts if passed(results, p)]
        failed = [p for p in parts if p not in right]
        homes = _homes(sheet.codes(composite), composite, known, rules)
        for code in sheet.codes(composite):
            text = sheet.text(composite, code)
            own = composite in homes.get(code, ())  # naming the parts it misuses is right
            if not own and _names_any(text, right) and not _names_any(text, failed):
                sheet.drop(composite, code)
        if any(composite in where for where in homes.values()):
            for code, where in homes.items():
                if where and composite not in where and all(passed(results, p) for p in where):
                    sheet.drop(composite, code)


def _homes(
    codes: Sequence[str], composite: str, known: Assignmentish, rules: Rules
) -> dict[str, set[str]]:
    """Hint code -> the functions its known mistakes live in (empty: no known mistake)."""
    homes: dict[str, set[str]] = {code: set() for code in codes}
    for mistake in rules.mistakes:
        if mistake.code in homes and composite in mistake.variants:
            homes[mistake.code] |= set(mistake_homes(mistake.variants, known.parts))
    return homes


def mistake_homes(variants: Collection[str], parts: Mapping[str, Sequence[str]]) -> list[str]:
    """The functions a known mistake lives in: those of its ``variants`` none of whose parts
    (or their parts) has it too; in the others it only shows through."""

    def below(name: str) -> set[str]:
        found: set[str] = set()
        for part in parts.get(name, ()):
            found |= {part} | below(part)
        return found

    return [name for name in variants if not below(name) & set(variants)]


def _names_any(text: str, names: Sequence[str]) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in names)


def _smallest_failing(
    result: FunctionResult,
    cases: Sequence[HiddenCase],
    outcomes: Sequence[tuple[object, str | None]],
    answered: bool,
) -> int | None:
    """The index of the smallest failing case that returned a value (``answered``) or that
    returned or raised an error of its own (not a stub, a time limit or a dead kernel)."""

    def usable(value: object, error: str | None) -> bool:
        if error is None:
            return value is not None
        return not answered and not error.startswith(("NotImplementedError", "timed out", "not "))

    failing = [
        i
        for i, (case_result, (value, error)) in enumerate(zip(result.cases, outcomes, strict=True))
        if not case_result.passed and usable(value, error)
    ]
    return min(failing, key=lambda i: sum(np.size(a) for a in leaves(cases[i].args)), default=None)


def _failing_answered(
    result: FunctionResult,
    cases: Sequence[HiddenCase],
    outcomes: Sequence[tuple[object, str | None]],
) -> list[int]:
    """The failing cases that returned a value, smallest first, as many as a wiring trace
    looks at (a sequence of one step carries nothing: a longer one may show more)."""
    failing = [
        i
        for i, (case_result, (value, error)) in enumerate(zip(result.cases, outcomes, strict=True))
        if not case_result.passed and error is None and value is not None
    ]
    failing.sort(key=lambda i: sum(np.size(a) for a in leaves(cases[i].args)))
    return failing[:TRACED_CASES]


def _perturbed(args: tuple, position: int, rng: np.random.Generator) -> tuple:
    changed = list(copy_args(args))
    value = changed[position]
    changed[position] = value + rng.uniform(0.5, 1.0, np.shape(value)) * rng.choice([-1, 1])
    return tuple(changed)


def diagnose(
    results: Mapping[str, FunctionResult],
    cases: Mapping[str, Sequence[HiddenCase]],
    outcomes: Outcomes,
    known: Assignmentish,
    rules: Rules,
    call_batch: CallBatch | None,
    max_rounds: int = 8,
    engine_notes: Mapping[str, Sequence[ProbeNotes]] | None = None,
) -> Diagnosis:
    """The hints of blame and behaviour of the functions of ``results`` that lost points.

    ``engine_notes`` maps a function to its probe outcomes as the engine returned them, for the
    ``mutated_args`` and ``aliased`` it saw inside the sandbox (when it reports them)."""
    sheet = HintSheet(results)
    _drop_passed_parts(results, sheet, known, rules)
    _engine_behaviour(results, sheet, known, rules, engine_notes or {})
    failing = {name: r for name, r in results.items() if not r.passed and not r.forbidden}
    if not failing or call_batch is None:
        return sheet.diagnosis()
    rng = np.random.default_rng(PERTURBATION_SEED)
    first_calls: list[Call] = []
    checks: list[_Check] = []
    replays: dict[str, Replay] = {}
    traced: dict[str, list[tuple[HiddenCase, Call]]] = {}  # a composite's wiring, traced
    for name, result in failing.items():
        replayed = _smallest_failing(result, cases[name], outcomes[name], answered=False)
        if replayed is not None and name in known.composition and name in known.parts:
            replays[name] = Replay(name, cases[name][replayed], replayed)
        index = _smallest_failing(result, cases[name], outcomes[name], answered=True)
        if index is None:
            continue
        case = cases[name][index]
        if traces.wants_trace(name, results, known, sheet.codes(name), rules):
            traced[name] = [
                (cases[name][i], Call(name, cases[name][i].args, traced=tuple(known.parts[name])))
                for i in _failing_answered(result, cases[name], outcomes[name])
            ]
        checks.append(_Check(name, len(first_calls), index))
        first_calls += [Call(name, case.args), Call(name, case.args, repeat=True)]
        for position, value in enumerate(case.args):
            if isinstance(value, np.ndarray) and value.size:
                changed = _perturbed(case.args, position, rng)
                checks.append(_Check(name, len(first_calls), index, position, changed))
                first_calls.append(Call(name, changed))
    own = len(first_calls)
    proofs = proof.proofs_for(failing, results, outcomes, known)
    proof_calls = {name: shown.calls(known, cases[name]) for name, shown in proofs.items()}

    traced_calls = [call for pairs in traced.values() for _, call in pairs]
    traced_answers: list[Answer] = []

    def first_round(replay_calls: list[Call]) -> list[Answer]:
        """The behaviour calls, the traced calls, the proofs' calls and the replays' first
        calls, in one batch."""
        proving = sum(proof_calls.values(), [])
        answers = call_batch(first_calls + traced_calls + proving + replay_calls)
        _behaviour(sheet, cases, outcomes, known, rules, checks, answers[:own])
        traced_answers.extend(answers[own : own + len(traced_calls)])
        at = own + len(traced_calls)
        for name, calls in proof_calls.items():
            proofs[name].judge(answers[at : at + len(calls)], cases[name], rules)
            at += len(calls)
        return answers[at:]

    blame(results, sheet, outcomes, known, rules, replays, call_batch, first_round, max_rounds)
    at = 0
    for name, pairs in traced.items():
        answered = traced_answers[at : at + len(pairs)]
        traces.tell(
            sheet, name, known, rules, [(c, a) for (c, _), a in zip(pairs, answered, strict=False)]
        )
        at += len(pairs)
    for name, shown in proofs.items():
        direct = [p for p in known.parts[name] if p in shown.parts]
        carried = {code for part in shown.parts for code in sheet.codes(part)}
        _conclude(sheet, shown, direct, rules, carried, beneath(results, known))
    return sheet.diagnosis()


def _conclude(
    sheet: HintSheet,
    shown: proof.Proof,
    direct: list[str],
    rules: Rules,
    carried: set[str] | None = None,
    below: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Send the student to the failing parts first (in the self-check's words) where the proof
    holds or could not be made, keeping only the parts' own hints where it holds; name both
    mistakes where it fails."""
    parts, verb, its = shapes.joined(direct or shown.parts)
    name = shown.composite
    if shown.verdict == proof.RIGHT:
        # the parts' known mistakes that the parts themselves are still told (their own
        # diagnosis, concluded first): another mistake's arithmetic repeated is not one of them
        kept = codes_of(rules, shown.parts, name)
        if carried is not None:
            kept &= carried
        for code in [c for c in sheet.codes(name) if c not in kept]:
            sheet.drop(name, code)
        text = behaviour.part_first(rules.shape_hints, name, direct or shown.parts, below)
        sheet.add(name, "wrong-part", text, first=True)
        return
    if "wrong-part" in sheet.codes(name):
        sheet.drop(name, "wrong-part")
        if shown.verdict == proof.UNPROVEN:
            text = behaviour.part_first(rules.shape_hints, name, direct or shown.parts, below)
            sheet.add(name, "part-first", text, first=True)
    if shown.verdict == proof.WRONG:
        if "composition" in sheet.codes(name):
            sheet.drop(name, "composition")
        own = proof.OWN_MISTAKE_HINT.format(
            function=name, parts=parts, verb=verb, its=its, fails=shown.fails
        )
        sheet.add(name, "composition", own)
        for code, text in shown.own_mistakes.items():
            sheet.add(name, code, text)


def _hint(rules: Rules, code: str, function: str, which: str = "") -> str:
    return behaviour.fill(rules.hint(code, function), function, which=which)


def _engine_behaviour(
    results: Mapping[str, FunctionResult],
    sheet: HintSheet,
    known: Assignmentish,
    rules: Rules,
    notes: Mapping[str, Sequence[ProbeNotes]],
) -> None:
    """What the engine saw inside the sandbox: inputs changed in place, arrays aliased."""
    for name, probes in notes.items():
        result = results.get(name)
        if result is None or result.passed:
            continue
        names = list(known.parameters.get(name, ()))
        mutated = sorted({i for p in probes for i in p.mutated_args})
        if mutated:
            which = ", ".join(names[i] if i < len(names) else f"#{i + 1}" for i in mutated)
            sheet.add(name, "mutates-input", _hint(rules, "mutates-input", name, which))
        if any(p.aliased for p in probes):
            sheet.add(name, "aliased", _hint(rules, "aliased", name))


def _behaviour(
    sheet: HintSheet,
    cases: Mapping[str, Sequence[HiddenCase]],
    outcomes: Outcomes,
    known: Assignmentish,
    rules: Rules,
    checks: Sequence[_Check],
    answers: Sequence[Answer],
) -> None:
    """Nondeterminism and ignored inputs, from the first round's answers."""
    ignored: dict[str, list[str]] = {}
    perturbed: dict[str, int] = {}
    for name, at, index, position, changed in checks:
        first, _ = outcomes[name][index]
        again, error, _ = answers[at]
        if error is not None or again is None:
            continue
        if position is not None and any(behaviour.cannot_tell(a) for a in leaves(first)):
            continue  # a pinned answer (clipped, saturated, all zero) moves with nothing
        if position is None:
            second = answers[at + 1].value
            if not (close(again, first, 1e-12, 1e-12) and close(second, again, 1e-12, 1e-12)):
                sheet.add(name, "nondeterministic", _hint(rules, "nondeterministic", name))
            continue
        perturbed[name] = perturbed.get(name, 0) + 1
        reference_moves = not close(
            as_value(known.reference(name)(*copy_args(changed))),
            cases[name][index].expected,
            rules.atol,
            rules.rtol,
        )
        if reference_moves and close(again, first, rules.atol, rules.rtol):
            names = list(known.parameters.get(name, ()))
            ignored.setdefault(name, []).append(
                names[position] if position < len(names) else f"argument {position + 1}"
            )
    for name, inputs in ignored.items():
        if set(sheet.codes(name)) - {NO_PATTERN}:  # a known mistake already says what is wrong
            continue
        if len(inputs) < perturbed.get(name, 0):  # a constant answer ignores everything
            sheet.add(
                name,
                "ignores-input",
                _hint(rules, "ignores-input", name, shapes.joined(inputs)[0]),
            )
