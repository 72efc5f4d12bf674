"""How a composite puts its parts together: its calls of its graded parts traced on one case
and set beside the notes' calls on the same case, the first difference said in the notes'
words ("cell calls gate with b_f where the notes give b_i").

A trace is ``(calls, output)``: each call ``(part, [argument, ...], result)`` in the order made,
and what the composite returned. :func:`sketch` names every value of a trace by where it came
from (an input, an entry of a dict input, a step of a sequence input, an earlier call's result,
or one of those clipped, negated, ... ; an output also as a reduction of one), by equality
within its own trace, as plain strings; :func:`difference` compares the student's sketch with
the reference's. The grader sketches the reference's trace on its side; the released notebook
carries the reference's sketches of its public cases. A value no name fits is never compared:
only what both sketches name can differ, so a difference is one the reference does not show.

Numpy only: the released notebook's self-check carries this module's text, so the notebook and
the grader say the same sentence. Its names are its own (``wiring_`` or ``_w_``): the cell
holds the other modules' too.
"""

import re

import numpy as np

# How a value was changed on its way: (words, the change). A change that leaves the value as
# it was names nothing.
_W_CHANGES = (
    ("clipped to [-1, 1]", lambda v: np.clip(v, -1.0, 1.0)),
    ("squashed by a tanh", np.tanh),
    ("negated", lambda v: -v),
    ("halved", lambda v: v / 2.0),
    ("doubled", lambda v: 2.0 * v),
    ("squared", lambda v: v * v),
)
# How an output can be made of one value, one number per step (every axis but the first) or
# one number in all: (words, the reduction over ``axes``).
_W_REDUCTIONS = (
    ("the norm (the square root of the sum of squares)", lambda v, a: np.sqrt(np.sum(v * v, a))),
    ("the sum of the squares", lambda v, a: np.sum(v * v, a)),
    ("the sum", lambda v, a: np.sum(v, a)),
    ("the mean", lambda v, a: np.mean(v, a)),
    ("the mean of the squares", lambda v, a: np.mean(v * v, a)),
    ("the largest |entry|", lambda v, a: np.max(np.abs(v), a)),
    ("the largest entry", lambda v, a: np.max(v, a)),
    ("the sum of the |entries|", lambda v, a: np.sum(np.abs(v), a)),
)
_W_CHANGED, _W_REDUCED, _W_CALL = "|", "~", "@"  # label syntax: change|label, reduction~label
WIRING_SWAP_RANK = -1  # the rank of two values swapped: it outranks every other difference
_W_PLUS = " + "  # a step of an input plus what an earlier call returned: step + label@n


def _w_array(value):
    """A float64 array of ``value``, or None when it is not numbers."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if np.all(np.isfinite(array)) else None


def _w_telling(array):
    """Whether equality with ``array`` says where a value came from: not a number alone, not
    all one value (zeros, ones)."""
    return array is not None and array.size > 1 and not np.all(array == array.flat[0])


def _w_same(a, b):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


def _w_leaves(value, names=()):
    """[(key, array)] of a value: "" for one array, a name (or "value k") for each of a tuple,
    the key for each entry of a dict."""
    if isinstance(value, dict):
        return [(str(k), _w_array(v)) for k, v in value.items()]
    if isinstance(value, (tuple, list)) and value and not np.isscalar(value[0]):
        labels = list(names) if len(names) == len(value) else []
        return [
            (labels[i] if labels else f"value {i + 1}", _w_array(v)) for i, v in enumerate(value)
        ]
    return [("", _w_array(value))]


def _w_pool(inputs, parameters, calls, before, names):
    """[(label, array)]: every named value a call may be given before call ``before``: the
    inputs (a dict input's entries by key, a sequence input's steps as name[t]) and earlier
    calls' results (part's key@call number of that part)."""
    pool = []
    for position, value in enumerate(inputs):
        name = parameters.get(position, f"argument {position + 1}")
        if isinstance(value, dict):
            pool += [(str(k), _w_array(v)) for k, v in value.items()]
            continue
        array = _w_array(value)
        pool.append((name, array))
        if array is not None and array.ndim >= 3:
            pool += [(f"{name}[{t}]", array[t]) for t in range(len(array))]
    counted = {}
    for part, _, result in calls[:before]:
        counted[part] = counted.get(part, 0) + 1
        for key, array in _w_leaves(result, names.get(part, ())):
            owned = f"{part}'s {key}" if key else f"{part}'s result"
            pool.append((f"{owned}{_W_CALL}{counted[part]}", array))
    return [(label, array) for label, array in pool if _w_telling(array)]


def _w_labels(value, pool):
    """The labels of ``value``: the pool's values it equals, else those it is a change of; an
    array of one value all through is named by that value ("zeros")."""
    array = _w_array(value)
    if array is not None and array.size > 1 and not _w_telling(array):
        one = float(array.flat[0])
        return ["zeros" if one == 0 else "ones" if one == 1 else f"an array of {one:g}s"]
    if not _w_telling(array):
        return []
    found = [label for label, known in pool if _w_same(array, known)]
    if found:
        return found
    with np.errstate(all="ignore"):
        found = [
            f"{words}{_W_CHANGED}{label}"
            for label, known in pool
            if known.shape == array.shape
            for words, change in _W_CHANGES
            if not _w_same(change(known), known) and _w_same(array, change(known))
        ]
    return found or _w_sums(array, pool)


def _w_sums(array, pool):
    """The labels of a value that is a step of an input plus what an earlier call returned
    (going backward, the gradient from outside plus the one carried from the step after)."""
    steps = [(label, v) for label, v in pool if label.endswith("]") and _W_CALL not in label]
    results = [(label, known) for label, known in pool if _W_CALL in label]
    return [
        f"{step}{_W_PLUS}{label}"
        for step, first in steps
        if first.shape == array.shape
        for label, second in results
        if second.shape == array.shape and _w_same(array, first + second)
    ]


def _w_reductions(value, pool):
    """The labels of an output no name fits: a reduction of a named value, per step or all."""
    array = _w_array(value)
    if not _w_telling(array) and not (array is not None and array.ndim == 0):
        return []
    found = []
    with np.errstate(all="ignore"):
        for label, known in pool:
            if known.ndim < 2 or _W_CHANGED in label:
                continue
            axes = tuple(range(1, known.ndim)) if array.shape == known.shape[:1] else None
            if axes is None and array.ndim == 0:
                axes = tuple(range(known.ndim))
            if axes is not None:
                found += [
                    f"{words}{_W_REDUCED}{label}"
                    for words, reduce in _W_REDUCTIONS
                    if _w_same(array, np.asarray(reduce(known, axes), dtype=np.float64))
                ]
    return found


def sketch(calls, output, inputs, parameters, names, outputs=()):
    """The trace ``(calls, output)`` of a composite on ``inputs`` as labels:
    {"calls": [[part, [[label, ...] per argument]], ...], "output": [[key, [label, ...]]]}.
    ``parameters`` {position: name} of the composite's arguments; ``names`` the names of the
    values each function returns as a tuple, ``outputs`` the composite's own."""
    drawn = []
    for index, (part, arguments, _) in enumerate(calls):
        pool = _w_pool(inputs, parameters, calls, index, names)
        drawn.append([part, [_w_given_labels(a, pool, inputs, parameters) for a in arguments]])
    pool = _w_pool(inputs, parameters, calls, len(calls), names)
    returned = []
    for key, array in _w_leaves(output, outputs):
        labels = _w_labels(array, pool) if array is not None else []
        returned.append([key, labels or (_w_reductions(array, pool) if array is not None else [])])
    return {"calls": drawn, "output": returned}


def _w_given_labels(value, pool, inputs, parameters):
    """The labels of an argument: a dict input given whole by its name, a number by itself,
    an array as :func:`_w_labels` names it."""
    if isinstance(value, dict):
        for position, given in enumerate(inputs):
            if isinstance(given, dict) and set(given) == set(value):
                arrays = [(_w_array(value[k]), _w_array(given[k])) for k in given]
                if all(a is not None and b is not None and _w_same(a, b) for a, b in arrays):
                    return [parameters.get(position, f"argument {position + 1}")]
        return []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [f"{float(value):g}"]
    return _w_labels(value, pool)


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


def wiring_trace(namespace, parts, function, arguments, parameters):
    """(calls, output) of ``function(*arguments)`` with each of ``parts`` in ``namespace``
    wrapped to record its calls (arguments by position, as ``parameters`` {part: [names]}
    orders keyword ones); the parts are put back after. What the call raises goes up."""
    calls, saved = [], {}

    def wrapped(part, original):
        def record(*args, **kwargs):
            order = list(parameters.get(part, ()))
            given = list(args) + [kwargs[n] for n in order[len(args) :] if n in kwargs]
            kept = [_w_copy(a) for a in given]
            place = len(calls)  # in the order the calls start, as the grader's tracer numbers them
            calls.append(None)
            result = original(*args, **kwargs)
            calls[place] = (part, kept, _w_copy(result))
            return result

        return record

    for part in parts:
        if callable(namespace.get(part)):
            saved[part] = namespace[part]
            namespace[part] = wrapped(part, saved[part])
    try:
        output = namespace[function](*arguments)
    finally:
        namespace.update(saved)
    return calls, output


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


def _w_copy(value):
    if isinstance(value, dict):
        return {k: _w_copy(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_w_copy(v) for v in value)
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


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
