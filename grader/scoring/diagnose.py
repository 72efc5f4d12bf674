"""Diagnosis of the functions that lost points, by calling the student's code again.

- **Blame by substitution**: when a composite fails, the student's own parts are called on the
  composite's inputs and put together with the assignment's ``COMPOSITION``. If that reproduces
  the student's answer, the composite is wrong only because of the parts that differ; if every
  part is right there, the mistake is in the composition.
- **Behaviour**: a second call on the same input (nondeterministic), calls with one input
  changed (an input the answer ignores), and what the engine saw inside the sandbox (inputs
  changed in place, one array returned several times).
- A hint never names a part that passed: a known mistake of a part is dropped from a composite
  when that part passed its own cases.

Calls go through ``call_batch``: a list of probe calls in, their outcomes out, in rounds. Marks
never change here: only hints are added, so nothing a notebook does to these extra calls can
earn it points.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from grader.scoring import behaviour, proof, shapes
from grader.scoring.compare import FunctionResult, Rules, close
from grader.scoring.values import HiddenCase, as_value, copy_args

# (function, args), or (function, args, stand-in tables) for a proof (grader.scoring.proof)
Call = tuple[str, tuple] | tuple[str, tuple, dict]
# Makes the calls, each in a fresh process from the notebook's state, except that a call with
# the very same args object as the one before it runs in the same process (a repeated call,
# which shows random numbers: fresh processes forked from one state draw the same ones).
CallBatch = Callable[[list[Call]], list[tuple[object, str | None, object]]]
PERTURBATION_SEED = 1729
BLAME_HINT = "{function} is wrong only because {parts} {verb}: fix that first."
COMPOSITION_HINT = (
    "{function}'s parts give the right values on its inputs, so the mistake is in how"
    " {function} puts them together: compare it with the notes step by step."
)
MIXED_HINT = (
    "besides {parts}, which {verb} wrong on {its} own, {function} puts its parts together"
    " differently from the notes."
)


@dataclass(frozen=True)
class Assignmentish:
    """What diagnosis needs of an assignment (see :class:`grader.assignment.Assignment`)."""

    reference: Callable[[str], Callable]
    composition: Mapping[str, Callable]
    parts: Mapping[str, Sequence[str]]
    parameters: Mapping[str, Sequence[str]]


def _leaves(value) -> list:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, tuple | list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


class _Unresolved(Exception):
    """A part's answer is not known yet and no stand-in can be made for it."""


def _same_args(a: tuple, b: tuple, atol: float, rtol: float) -> bool:
    leaves_a, leaves_b = _leaves(a), _leaves(b)
    return len(leaves_a) == len(leaves_b) and all(
        np.shape(x) == np.shape(y) and np.allclose(x, y, atol=atol, rtol=rtol)
        for x, y in zip(leaves_a, leaves_b, strict=True)
    )


@dataclass
class _Replay:
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

    def find(self, name: str, args: tuple, rules: Rules):
        for function, known_args, value, error in self.memo:
            if function == name and _same_args(args, known_args, rules.atol / 10, rules.rtol / 10):
                return value, error
        return None

    def attempt(self, known: Assignmentish, rules: Rules):
        """("calls", [...]) still to make, or ("done", value, differing parts, erring parts)."""
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
                        missing.append((name, copy_args(args)))
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
        try:
            value = known.composition[self.composite](parts, *copy_args(self.case.args))
        except _Unresolved:
            value = None
        except Exception:  # noqa: BLE001 - the student's parts may not fit together at all
            value, raised = None, raised | {""}
        if missing:
            return "calls", missing
        if raised:
            return "done", None, differs, raised
        return "done", as_value(value), differs, raised


def drop_passed_parts(results: Mapping[str, FunctionResult], known: Assignmentish) -> None:
    """Take from each composite the hints that name a part which passed and no part which
    failed: a hint never sends a student to fix what is right."""
    for composite, parts in known.parts.items():
        result = results.get(composite)
        if result is None:
            continue
        passed = [p for p in parts if _passed(results, p)]
        failed = [p for p in parts if p not in passed]
        for code in list(result.hints):
            text = result.hint_messages.get(code, "")
            if _names_any(text, passed) and not _names_any(text, failed):
                _drop(result, code)


def _names_any(text: str, names: Sequence[str]) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in names)


def _drop(result: FunctionResult, code: str) -> None:
    result.hints.remove(code)
    result.hint_messages.pop(code, None)
    for case in result.cases:
        case.hints.pop(code, None)


def _add(result: FunctionResult, code: str, text: str, first: bool = False) -> None:
    if code in result.hints:
        return
    result.hints.insert(0 if first else len(result.hints), code)
    result.hint_messages[code] = text


def _smallest_failing(
    result: FunctionResult, cases: Sequence[HiddenCase], outcomes, answered: bool
) -> int | None:
    """The index of the smallest failing case that returned a value (``answered``) or that
    returned or raised an error of its own (not a stub, a time limit or a dead kernel)."""

    def usable(value, error) -> bool:
        if error is None:
            return value is not None
        return not answered and not error.startswith(("NotImplementedError", "timed out", "not "))

    failing = [
        i
        for i, (case_result, (value, error)) in enumerate(zip(result.cases, outcomes, strict=True))
        if not case_result.passed and usable(value, error)
    ]
    return min(failing, key=lambda i: sum(np.size(a) for a in _leaves(cases[i].args)), default=None)


def _perturbed(args: tuple, position: int, rng: np.random.Generator) -> tuple:
    changed = list(copy_args(args))
    value = changed[position]
    changed[position] = value + rng.uniform(0.5, 1.0, np.shape(value)) * rng.choice([-1, 1])
    return tuple(changed)


def diagnose(
    results: Mapping[str, FunctionResult],
    cases: Mapping[str, Sequence[HiddenCase]],
    outcomes: Mapping[str, Sequence[tuple[object, str | None]]],
    known: Assignmentish,
    rules: Rules,
    call_batch: CallBatch | None,
    max_rounds: int = 8,
    engine_notes: Mapping[str, Sequence[object]] | None = None,
) -> None:
    """Add the hints of blame and behaviour to ``results`` (marks are left as they are).

    ``engine_notes`` maps a function to its probe outcomes as the engine returned them, for the
    ``mutated_args`` and ``aliased`` it saw inside the sandbox (when it reports them)."""
    drop_passed_parts(results, known)
    _engine_behaviour(results, known, rules, engine_notes or {})
    failing = {name: r for name, r in results.items() if not r.passed and not r.forbidden}
    if not failing or call_batch is None:
        return
    rng = np.random.default_rng(PERTURBATION_SEED)
    first_calls: list[Call] = []
    checks = []  # (function, kind, detail, index into first_calls)
    replays: dict[str, _Replay] = {}
    for name, result in failing.items():
        replayed = _smallest_failing(result, cases[name], outcomes[name], answered=False)
        if replayed is not None and name in known.composition and name in known.parts:
            replays[name] = _Replay(name, cases[name][replayed], replayed)
        index = _smallest_failing(result, cases[name], outcomes[name], answered=True)
        if index is None:
            continue
        case = cases[name][index]
        checks.append((name, "repeat", None, len(first_calls), index))
        first_calls += [(name, case.args), (name, case.args)]
        for position, value in enumerate(case.args):
            if isinstance(value, np.ndarray) and value.size:
                changed = _perturbed(case.args, position, rng)
                checks.append((name, "perturb", (position, changed), len(first_calls), index))
                first_calls.append((name, changed))
    own = len(first_calls)
    proofs = proof.proofs_for(failing, results, outcomes, known)
    proof_calls = {name: shown.calls(known, cases[name]) for name, shown in proofs.items()}

    def first_round(replay_calls: list[Call]) -> list:
        """The behaviour calls, the proofs' calls and the replays' first calls, in one batch."""
        answers = call_batch(first_calls + sum(proof_calls.values(), []) + replay_calls)
        _behaviour(failing, cases, outcomes, known, rules, checks, answers[:own])
        at = own
        for name, calls in proof_calls.items():
            proofs[name].judge(answers[at : at + len(calls)], cases[name], rules)
            at += len(calls)
        return answers[at:]

    _blame(failing, results, outcomes, known, rules, replays, call_batch, first_round, max_rounds)
    for name, shown in proofs.items():
        _conclude(failing[name], shown, [p for p in known.parts[name] if p in shown.parts], rules)


def _conclude(result: FunctionResult, shown: proof.Proof, direct: list[str], rules: Rules) -> None:
    """Say "only because" where the proof holds, both mistakes where it fails, and neither
    where it could not be made (the replay's evidence is not proof)."""
    parts, verb, its = shapes.joined(direct or shown.parts)
    name = shown.composite
    if shown.verdict == proof.RIGHT:
        for code in [c for c in result.hints if c not in _codes_of(rules, shown.parts, name)]:
            _drop(result, code)
        _add(result, "wrong-part", BLAME_HINT.format(function=name, parts=parts, verb=verb), True)
        return
    if "wrong-part" in result.hints:
        _drop(result, "wrong-part")
        if shown.verdict == proof.UNPROVEN:
            text = behaviour.fill(rules.hint("part-first", name), name, parts=parts, verb=verb)
            _add(result, "part-first", text, first=True)
    if shown.verdict == proof.WRONG:
        if "composition" in result.hints:
            _drop(result, "composition")
        own = proof.OWN_MISTAKE_HINT.format(
            function=name, parts=parts, verb=verb, its=its, fails=shown.fails
        )
        _add(result, "composition", own)
        for code, text in shown.own_mistakes.items():
            _add(result, code, text)


def _hint(rules: Rules, code: str, function: str, which: str = "") -> str:
    return behaviour.fill(rules.hint(code, function), function, which=which)


def _engine_behaviour(
    results: Mapping[str, FunctionResult],
    known: Assignmentish,
    rules: Rules,
    notes: Mapping[str, Sequence[object]],
) -> None:
    """What the engine saw inside the sandbox: inputs changed in place, arrays aliased."""
    for name, probes in notes.items():
        result = results.get(name)
        if result is None or result.passed:
            continue
        names = list(known.parameters.get(name, ()))
        mutated = sorted({i for p in probes for i in (getattr(p, "mutated_args", ()) or ())})
        if mutated:
            which = ", ".join(names[i] if i < len(names) else f"#{i + 1}" for i in mutated)
            _add(result, "mutates-input", _hint(rules, "mutates-input", name, which))
        if any(getattr(p, "aliased", False) for p in probes):
            _add(result, "aliased", _hint(rules, "aliased", name))


def _behaviour(failing, cases, outcomes, known, rules, checks, answers) -> None:
    """Nondeterminism and ignored inputs, from the first round's answers."""
    ignored: dict[str, list[str]] = {}
    perturbed: dict[str, int] = {}
    for name, kind, detail, at, index in checks:
        first, _ = outcomes[name][index]
        again, error, _ = answers[at]
        if error is not None or again is None:
            continue
        if kind == "repeat":
            second, _, _ = answers[at + 1]
            if not (close(again, first, 1e-12, 1e-12) and close(second, again, 1e-12, 1e-12)):
                _add(failing[name], "nondeterministic", _hint(rules, "nondeterministic", name))
            continue
        position, changed = detail
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
        if failing[name].hints:  # a known mistake already says what is wrong
            continue
        if len(inputs) < perturbed.get(name, 0):  # a constant answer ignores everything
            _add(
                failing[name],
                "ignores-input",
                _hint(rules, "ignores-input", name, shapes.joined(inputs)[0]),
            )


def _blame(
    failing, results, outcomes, known, rules, replays, call_batch, first_round, max_rounds
) -> None:
    """Resolve each failing composite's replay in rounds (the first one shared with the
    behaviour calls), then say where the bug is."""
    done = {}
    for round_number in range(max_rounds + 1):
        wanted: list[tuple[str, Call]] = []  # (owner, call)
        for name, replay in replays.items():
            if name in done:
                continue
            state = replay.attempt(known, rules)
            if state[0] == "done":
                done[name] = state[1:]
            else:
                wanted += [(name, call) for call in state[1]]
        if round_number == 0:
            answers = first_round([call for _, call in wanted])
        elif not wanted or round_number == max_rounds:
            break
        else:
            answers = call_batch([call for _, call in wanted])
        for (owner, (function, args)), (value, error, _) in zip(wanted, answers, strict=True):
            replays[owner].memo.append((function, args, value, error))
    for name, (value, differs, raised) in done.items():
        result = failing[name]
        got = outcomes[name][replays[name].index][0]
        wrong_parts = [
            p for p in known.parts[name] if p in differs | raised and not _passed(results, p)
        ]
        random_parts = [p for p in wrong_parts if "nondeterministic" in results[p].hints]
        if "nondeterministic" in result.hints and random_parts:
            wrong_parts, value, got = random_parts, None, None  # no replay can match dice
        same = got is None if value is None else close(got, value, rules.atol, rules.rtol)
        if same and wrong_parts:
            parts, verb, _ = shapes.joined(wrong_parts)
            text = BLAME_HINT.format(function=name, parts=parts, verb=verb)
            for code in [c for c in result.hints if c not in _codes_of(rules, wrong_parts, name)]:
                _drop(result, code)
            _add(result, "wrong-part", text, first=True)
        elif not differs and not raised:
            if not result.hints:
                _add(result, "composition", COMPOSITION_HINT.format(function=name))
        elif wrong_parts:
            parts, verb, its = shapes.joined(wrong_parts)
            text = MIXED_HINT.format(function=name, parts=parts, verb=verb, its=its)
            _add(result, "composition", text)


def _passed(results: Mapping[str, FunctionResult], name: str) -> bool:
    return name in results and results[name].passed


def _codes_of(rules: Rules, parts: Sequence[str], composite: str) -> set[str]:
    """Codes of the known mistakes that live in ``parts`` and show through ``composite``."""
    return {
        m.code for m in rules.mistakes if composite in m.variants and set(parts) & set(m.variants)
    }
