"""How a composite puts its parts together: its calls of its graded parts traced on one case and
set beside the notes' calls on the same case, the first difference said in the notes' words
("cell calls gate with b_f where the notes give b_i").

A trace is ``(calls, output)``: each call ``(part, [argument, ...], result)`` in the order made,
and what the composite returned. :func:`sketch` names every value of a trace by where it came
from (an input, an entry of a dict input, a step of a sequence input, an earlier call's result,
or one of those clipped, negated, ... ; an output also as a reduction of one), by equality
within its own trace, as plain strings; :mod:`grader.scoring.wiring_words` compares the
student's sketch with the reference's and says the difference. The grader sketches the
reference's trace on its side; the released notebook carries the reference's sketches of its
public cases. A value no name fits is never compared: only what both sketches name can differ,
so a difference is one the reference does not show.

Numpy only: the released notebook's self-check carries this module's text, so the notebook and
the grader say the same sentence. Its names are its own (``wiring_`` or ``_w_``): the cell holds
the other modules' too.
"""

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
_W_PLUS = " + "  # a step of an input plus what an earlier call returned: step + label@n
_W_SYNTAX = (_W_CHANGED, _W_REDUCED, _W_CALL, _W_PLUS)  # for grader.scoring.wiring_words


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


def _w_copy(value):
    if isinstance(value, dict):
        return {k: _w_copy(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_w_copy(v) for v in value)
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value
