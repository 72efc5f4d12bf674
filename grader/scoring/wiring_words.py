"""The wiring check's words (:mod:`grader.scoring.wiring` draws the sketches): the student's
sketch set beside the notes', the first difference said in the notes' words ("cell calls gate
with b_f where the notes give b_i", two values swapped, a step given without what the part sent
back), the best of several cases, and where it outranks the hints the values earned.

Numpy only: the released notebook's self-check carries this module's text after
:mod:`grader.scoring.wiring`'s, so the notebook and the grader say the same sentence. Its names
are its own (``wiring_`` or ``_w_``).
"""

import re

from grader.scoring.wiring import _W_SYNTAX, _w_copy, sketch, wiring_trace  # grader-only

_W_CHANGED, _W_REDUCED, _W_CALL, _W_PLUS = _W_SYNTAX  # the labels' syntax, as the sketches write it
WIRING_SWAP_RANK = -1  # the rank of two values swapped: it outranks every other difference


def _w_said(label):
    """A label in words: without its call number, a change after what it changed."""
    if _W_PLUS in label:  # at every step but the loop's first: step t, whichever the case's
        step, added = label.split(_W_PLUS)
        return f"{_w_step_t(step)} + {_w_said(added)}"
    if _W_CHANGED in label:
        words, source = label.split(_W_CHANGED)
        return f"{_w_said(source)} {words}"
    return label.split(_W_CALL)[0]


def _w_step_t(label):
    """A sequence's step as step t ("dh_seq[3]" -> "dh_seq[t]"): the sentence holds for every
    step the loop carries into, whichever case showed it."""
    return re.sub(r"\[\d+\]$", "[t]", label)


def _w_used(drawn):
    """The results a sketch's calls and output use: "part's key@n" labels."""
    used = set()
    for _, arguments in drawn["calls"]:
        used |= {
            term.split(_W_CHANGED)[-1]
            for labels in arguments
            for label in labels
            for term in label.split(_W_PLUS)
        }
    for _, labels in drawn["output"]:
        used |= {label.split(_W_CHANGED)[-1].split(_W_REDUCED)[-1] for label in labels}
    return used


def _w_numbered(drawn):
    """{(part, n): the arguments' labels of the n-th call of part}."""
    counted, numbered = {}, {}
    for part, arguments in drawn["calls"]:
        counted[part] = counted.get(part, 0) + 1
        numbered[(part, counted[part])] = arguments
    return numbered


def _w_named_all(calls, output):
    """Whether every argument of ``calls`` and every output has a name: only then does a
    result no name mentions go unused (a value of the composite's own may be made of it)."""
    return all(labels for _, arguments in calls for labels in arguments) and all(
        labels for _, labels in output
    )


def _w_given(function, part, got, want):
    """The sentence for an argument given where the notes give another."""
    for wanted in want:
        terms = wanted.split(_W_PLUS)
        if len(terms) == 2 and got == terms[0]:  # the step alone: what was added is dropped
            added = terms[1]
            step = _w_step_t(got)
            if added.split("'s ")[0] == part:  # what the part returned, given back: carried
                carried = added.split("'s ")[1].split(_W_CALL)[0]
                return (
                    f"{function} gives {part} {step} alone where the notes add the {carried}"
                    f" that {part} returned for the step before: what is carried from one"
                    f" step to the next (going backward, the gradient) is dropped"
                )
            return f"{function} gives {part} {step} alone where the notes add {_w_said(added)}"
    if _W_CHANGED in got:
        words, source = got.split(_W_CHANGED)
        if source in want:
            if source.split("'s ")[0] == part:  # a part's result given back to it: carried
                carried = source.split("'s ")[1].split(_W_CALL)[0]
                return (
                    f"the {carried} that {function} carries from one call of {part} to the"
                    f" next is {words}: the notes carry it whole"
                )
            return f"{function} gives {part} {_w_said(source)} {words}: the notes give it whole"
    return f"{function} calls {part} with {_w_said(got)} where the notes give {_w_said(want[0])}"


def _w_swapped(function, given_otherwise):
    """The sentence for two values each given where the notes give the other (two parts'
    arguments swapped: two gates given each other's weights; or two arguments of one call in
    each other's places, at every call), or None. ``given_otherwise``: (part, call number,
    position, got, want) each."""
    parts = list(dict.fromkeys(part for part, _, _, _, _ in given_otherwise))
    if len(parts) == 1:
        calls = {}
        for _, number, position, got, want in given_otherwise:
            calls.setdefault(number, []).append((position, got, want))
        places = {tuple(p for p, _, _ in slots) for slots in calls.values()}
        for slots in calls.values():
            if len(slots) != 2 or len(places) != 1:
                return None
            (_, got_a, want_a), (_, got_b, want_b) = slots
            if not (set(got_a) & set(want_b) and set(got_b) & set(want_a)):
                return None
        (_, _, want_a), (_, _, want_b) = calls[min(calls)]
        a, b = _w_said(want_a[0]), _w_said(want_b[0])
        return (
            f"{function} gives {parts[0]} {b} where the notes give {a}, and {a} where they"
            f" give {b}: the two are swapped"
        )
    if len(parts) != 2:
        return None
    first, second = parts
    wanted = {p: [want for q, _, _, _, want in given_otherwise if q == p] for p in parts}
    for part, _, _, got, _ in given_otherwise:
        other = second if part == first else first
        if not any(set(got) & set(want) for want in wanted[other]):
            return None
    said = {p: ", ".join(_w_said(want[0]) for want in wanted[p]) for p in parts}
    return (
        f"{function} gives {first} {said[second]} and {second} {said[first]}, each the other's:"
        f" the notes give {first} {said[first]} and {second} {said[second]}"
    )


def difference(function, reference, student):
    """(rank, words) of the first difference of the student's sketch from the reference's, or
    None when every value both name agrees. The rank orders kinds of differences: two values
    swapped (-1), an argument (0), a result unused (1), a part not called as often (2), an
    output (3); a case whose calls show the cause outranks one that shows only its outcome
    (one step, nothing carried)."""
    notes, theirs = _w_numbered(reference), _w_numbered(student)
    missing, given_otherwise = [], []
    for (part, number), wanted in notes.items():
        given = theirs.get((part, number))
        if given is None:
            missing.append(part)
            continue
        for position, (want, got) in enumerate(zip(wanted, given, strict=False)):
            if want and got and not set(want) & set(got):
                given_otherwise.append((part, number, position, got, want))
    if given_otherwise:
        swapped = _w_swapped(function, given_otherwise)
        if swapped:
            return WIRING_SWAP_RANK, swapped
        part, _, _, got, want = given_otherwise[0]
        return 0, _w_given(function, part, got[0], want)
    used, order = _w_used(student), list(theirs)
    for label in sorted(_w_used(reference)):
        if _W_CALL not in label:
            continue
        part, number = label.split("'s ")[0], int(label.split(_W_CALL)[1])
        if (part, number) in theirs and label not in used:
            owned = _w_said(label)
            later = student["calls"][order.index((part, number)) + 1 :]
            if _w_named_all(later, student["output"]) and not any(
                u.startswith(owned + _W_CALL) for u in used
            ):
                return 1, f"{function} never uses {owned}"
    for part in dict.fromkeys(missing):  # in words that hold whatever the case's length
        if not any(p == part for p, _ in theirs):
            return 2, f"{function} never calls {part}"
        return 2, f"{function} calls {part} fewer times than the notes do"
    for (key, want), (_, got) in zip(reference["output"], student["output"], strict=False):
        if want and got and not set(want) & set(got):
            return 3, _w_returned(function, key, got[0], want[0])
    return None


def _w_returned(function, key, got, want):
    """The sentence for an output made otherwise than the notes make it."""
    if _W_REDUCED in got and _W_REDUCED in want:
        words, source = got.split(_W_REDUCED)
        notes_words, notes_source = want.split(_W_REDUCED)
        if source == notes_source:
            return (
                f"{function} returns {words} of {_w_said(source)} where the notes return"
                f" {notes_words}"
            )
    which = f" as {key}" if key else ""
    return f"{function} returns {_w_said(got)}{which} where the notes return {_w_said(want)}"


def wiring_said(namespace, function, parts, cases, positions, names):
    """The self-check's (rank, sentence) for ``function`` of ``namespace``: traced on each
    case (the notes' sketch of it, its arguments), each set beside the notes', the best
    ranked as :func:`wiring_told` picks it. ``positions`` {function: {position: name}}."""
    order = {f: [positions[f][i] for i in sorted(positions[f])] for f in positions}
    found = []
    for notes, arguments in cases:
        kept = [_w_copy(a) for a in arguments]
        try:
            calls, output = wiring_trace(namespace, parts, function, arguments, order)
        except Exception:  # the call raised: no trace to read
            continue
        outputs = names.get(function, ())
        mine = sketch(calls, output, kept, positions.get(function, {}), names, outputs)
        found.append(difference(function, notes, mine))
    return wiring_told(found)


def wiring_told(found):
    """(rank, sentence) of the best-ranked difference of several cases' (rank, words), the
    first case's among equals, or None."""
    found = [f for f in found if f]
    if not found:
        return None
    rank, words = min(found, key=lambda f: f[0])
    return rank, words + "."


def wiring_swapped(rank):
    """Whether a wiring difference of ``rank`` takes the place of a known mistake the values
    match: only two values swapped, which the trace shows exactly where the arithmetic of a
    swap repeats other mistakes' (f * c~ + i * C_prev is also the cell update's own)."""
    return rank == WIRING_SWAP_RANK


def wiring_outranks(rank, code):
    """Whether a wiring difference of ``rank`` takes the place of the hint ``code`` that the
    wrong values earned: one that names no cause always; a pattern of the values (a clip, a
    square, a step missed) only for a call given the wrong value or a result unused, which
    say where it comes from (a count of calls or an output says no more than the pattern)."""
    return code in WIRING_WEAK or rank <= 1


# Hints that describe wrong values without a cause, or say nothing: any difference says more.
WIRING_WEAK = frozenset(
    {"no-pattern", "composition", "some-outputs-wrong", "ignores-input", "aliased"}
)
