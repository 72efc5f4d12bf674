"""The grader's side of the wiring check (:mod:`grader.scoring.wiring`): a traced call's record
read back as data, the reference's calls on the same case, and the sentence for a composite
whose parts pass.

The record comes from the sandbox (grader.engine.gradersandbox.tracer): a flat dict of plain
values, checked here key by key; anything that is not what the tracer writes, or a part the
grader did not ask for, makes the record unread (no hint), never an error of the grader's. The
reference's calls are made here, with the notes' ``COMPOSITION`` over the reference's parts:
the reference never enters the sandbox, and nothing in the record can speak for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from grader.scoring import wiring, wiring_words
from grader.scoring.calls import Answer, Assignmentish
from grader.scoring.compare import FunctionResult, Rules
from grader.scoring.hint_sheet import HintSheet
from grader.scoring.values import HiddenCase, as_value, copy_args

CODE = "wiring"
# The hints a wiring sentence takes the place of: those that only describe the wrong values
# (or say nothing), where the trace names the cause.
REPLACES = frozenset(
    {
        "no-pattern",
        "composition",
        "not-carried",
        "carried-clipped",
        "loop-misses-step",
        "sign-flipped",
        "sum-for-mean",
        "mean-for-sum",
        "squared",
        "capped",
        "some-outputs-wrong",
        "permuted",
        "relu-cut",
        "out-of-range",
        "clipped",
        "aliased",
        "ignores-input",
    }
)
_KEY = re.compile(r"^(o|c(\d+)(?:a(\d+)|n([A-Za-z_]\w*)|r)?)((?:\.\d+|:[^.:]+)*)$")
_STEP = re.compile(r"\.\d+|:[^.:]+")
Trace = tuple[list[tuple[str, list, object]], object]


class _Unread(Exception):
    """The record is not one the tracer writes."""


def _built(entries: list[tuple[list[str], object]]) -> object:
    """A value from its leaves, each under its path of ``.i`` (tuple) and ``:key`` steps."""
    if len(entries) == 1 and not entries[0][0]:
        return entries[0][1]
    if any(not path for path, _ in entries):
        raise _Unread("a value both whole and in pieces")
    heads: dict[str, list] = {}
    for path, leaf in entries:
        heads.setdefault(path[0], []).append((path[1:], leaf))
    if all(head.startswith(":") for head in heads):
        return {head[1:]: _built(items) for head, items in heads.items()}
    if all(head.startswith(".") for head in heads):
        indices = sorted(int(head[1:]) for head in heads)
        if indices != list(range(len(indices))):
            raise _Unread("a tuple with gaps")
        return tuple(_built(heads[f".{i}"]) for i in indices)
    raise _Unread("a value both a tuple and a dict")


def read_trace(
    value: object, parts: Sequence[str], parameters: Mapping[str, Sequence[str]]
) -> Trace | None:
    """(calls, output) of a traced call's value, or None when it is not a whole record."""
    if not isinstance(value, dict) or "cut" in value:
        return None
    names: dict[int, str] = {}
    pieces: dict[tuple, list] = {}
    try:
        for key, leaf in value.items():
            found = _KEY.match(key)
            if found is None:
                raise _Unread(key)
            whole, number, position, keyword, path = found.groups()
            if number is not None and position is None and keyword is None and whole[-1] != "r":
                if not isinstance(leaf, str) or leaf not in parts or path:
                    raise _Unread(key)
                names[int(number)] = leaf
                continue
            if isinstance(leaf, str):
                raise _Unread(key)
            slot: tuple = ("o",) if whole == "o" else (int(number), position, keyword)
            pieces.setdefault(slot, []).append((_STEP.findall(path), leaf))
        calls = []
        for number in sorted(names):
            part = names[number]
            order = list(parameters.get(part, ()))
            given: dict[int, object] = {}
            for slot, entries in pieces.items():
                if slot == ("o",) or slot[0] != number:
                    continue
                _, position, keyword = slot
                if position is not None:
                    given[int(position)] = _built(entries)
                elif keyword is not None and keyword in order:
                    given[order.index(keyword)] = _built(entries)
            result = _built(pieces.get((number, None, None), [([], None)]))
            if sorted(given) != list(range(len(given))):
                raise _Unread("arguments with gaps")
            calls.append((part, [given[i] for i in sorted(given)], result))
        output = _built(pieces[("o",)]) if ("o",) in pieces else None
    except (_Unread, ValueError):
        return None
    return calls, output


def reference_trace(known: Assignmentish, composite: str, args: tuple) -> Trace:
    """The notes' calls of ``composite``'s parts on ``args``, and its value: its composition
    over the reference's parts, each call recorded."""
    calls: list[tuple[str, list, object]] = []

    def part(name: str) -> Callable:
        def call(*part_args):
            result = as_value(known.reference(name)(*copy_args(part_args)))
            calls.append((name, list(copy_args(part_args)), result))
            return result

        return call

    parts = {name: part(name) for name in known.parts[composite]}
    output = as_value(known.composition[composite](parts, *copy_args(args)))
    return calls, output


def sentence(
    known: Assignmentish,
    output_names: Mapping[str, Sequence[str]],
    composite: str,
    args: tuple,
    traced: object,
) -> tuple[int, str] | None:
    """(rank, words) of the first difference of the student's traced call (its value
    ``traced``) on ``args`` from the notes' calls on the same case (see
    :func:`grader.scoring.wiring_words.difference`); None when the record cannot be read or shows
    none."""
    parts = list(known.parts[composite])
    parameters = {name: list(known.parameters.get(name, ())) for name in parts}
    student = read_trace(traced, parts, parameters)
    if student is None:
        return None
    names = {k: tuple(v) for k, v in output_names.items()}
    positions = dict(enumerate(known.parameters.get(composite, ())))
    reference = reference_trace(known, composite, args)
    return wiring_words.difference(
        composite,
        wiring.sketch(*reference, args, positions, names, names.get(composite, ())),
        wiring.sketch(*student, args, positions, names, names.get(composite, ())),
    )


def sketches(
    known: Assignmentish,
    output_names: Mapping[str, Sequence[str]],
    cases: Mapping[str, Sequence[tuple]],
) -> dict[str, list[dict]]:
    """The reference's sketch of each composite on each of its ``cases`` (arguments), as the
    released notebook carries them for its self-check."""
    names = {k: tuple(v) for k, v in output_names.items()}
    drawn: dict[str, list[dict]] = {}
    for composite in known.composition:
        if composite not in known.parts or composite not in cases:
            continue
        positions = dict(enumerate(known.parameters.get(composite, ())))
        drawn[composite] = [
            wiring.sketch(
                *reference_trace(known, composite, args),
                args,
                positions,
                names,
                names.get(composite, ()),
            )
            for args in cases[composite]
        ]
    return drawn


def wants_trace(
    name: str,
    results: Mapping[str, FunctionResult],
    known: Assignmentish,
    codes: Sequence[str],
    rules: Rules,
) -> bool:
    """Whether ``name``'s wiring is worth a traced call: a composite whose parts all pass on
    their own, whose hints describe its wrong values or a known mistake (whose arithmetic two
    values swapped can repeat), never behaviour of its own such as random numbers or inputs
    changed in place."""
    parts = known.parts.get(name, ())
    return (
        name in known.composition
        and bool(parts)
        and all(part in results and results[part].passed for part in parts)
        and set(codes) <= REPLACES | _known_codes(rules)
    )


def _known_codes(rules: Rules) -> set[str]:
    return {mistake.code for mistake in rules.mistakes}


def tell(
    sheet: HintSheet,
    name: str,
    known: Assignmentish,
    rules: Rules,
    traced: Sequence[tuple[HiddenCase, Answer]],
) -> None:
    """Put ``name``'s wiring sentence on ``sheet`` in place of the hints it replaces, where its
    traced calls (a case and its answer each) show a difference and no other step added a
    cause meanwhile: the best-ranked difference (see
    :func:`grader.scoring.wiring_words.difference`), as the self-check picks it over its
    public cases, where it outranks every hint there
    (:func:`grader.scoring.wiring_words.wiring_outranks`); a known mistake only where two
    values are swapped."""
    codes = set(sheet.codes(name))
    if not codes <= REPLACES | _known_codes(rules):
        return
    said = wiring_words.wiring_told(
        [
            sentence(known, rules.output_names, name, case.args, answer.value)
            for case, answer in traced
            if answer.error is None
        ]
    )
    if said is None:
        return
    if codes - REPLACES:  # a known mistake: only two values swapped, which the trace shows
        if not wiring_words.wiring_swapped(said[0]):
            return
    elif not all(wiring_words.wiring_outranks(said[0], c) for c in codes):
        return
    for code in sheet.codes(name):
        sheet.drop(name, code)
    sheet.add(name, CODE, said[1])
