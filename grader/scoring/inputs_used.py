"""Inputs a function's answer ignores, as the self-check finds them (the grader's diagnosis
finds them by calls with one input changed, :mod:`grader.scoring.diagnose`): each array input
of a failing public case moved by a fixed amount (:func:`nudged`), the answer unchanged where
the reference's moves (recorded at release, :func:`moving_inputs`), in the grader's words.

Numpy only: the released notebook's self-check carries this module's text. Its names are its
own: the cell holds the other modules' too.
"""

import numpy as np

from grader.scoring.behaviour import cannot_tell, fill  # grader-only
from grader.scoring.shapes import hint_text, joined  # grader-only


def nudged(arguments, position):
    """The arguments with the array at ``position`` moved by a fixed, irregular amount: the
    same in the release, which records whether the reference moves, and in the notebook."""
    changed = list(arguments)
    value = np.asarray(changed[position], dtype=np.float64)
    steps = np.arange(value.size, dtype=np.float64).reshape(value.shape)
    changed[position] = value + 0.5 + 0.25 * np.sin(1.7 * steps + 0.3)
    return changed


def float_leaves(value):
    """The arrays of a returned value, in order (a dict's by its sorted keys), as floats."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in float_leaves(value[key])]
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in float_leaves(item)]
    return [np.asarray(value, dtype=np.float64)]


def _unmoved(a, b, atol, rtol):
    """Whether two answers are the same within the tolerance."""
    first, second = float_leaves(a), float_leaves(b)
    return len(first) == len(second) and all(
        x.shape == y.shape and bool(np.all(np.abs(x - y) <= atol + rtol * np.abs(y)))
        for x, y in zip(first, second, strict=True)
    )


def _arrays_at(arguments):
    """The positions of the arrays of floats (indices or counts are not nudged)."""
    return [
        p
        for p, v in enumerate(arguments)
        if isinstance(v, np.ndarray) and v.size and v.dtype.kind == "f"
    ]


def moving_inputs(function, arguments, atol, rtol):
    """The positions of the array inputs whose nudge moves ``function``'s answer (none where
    the answer is no numbers, or a nudged input makes it raise)."""
    try:
        first = function(*arguments)
        return [
            p
            for p in _arrays_at(arguments)
            if not _unmoved(function(*nudged(arguments, p)), first, atol, rtol)
        ]
    except Exception:  # an author's reference may refuse nudged inputs: then none is told
        return []


def ignored_inputs_hint(name, function, failing, moves, parameters, wording, atol, rtol):
    """The grader's "ignores-input" words where, in every failing case that can tell (index,
    arguments each), the answer stays put when the same inputs move, inputs the reference
    moves with, and some other input moves it; else None."""
    found = None
    for index, arguments in failing:
        if index >= len(moves):
            continue
        try:
            first = function(*[_fresh(a) for a in arguments])
            if any(cannot_tell(leaf) for leaf in float_leaves(first)):
                continue
            positions = _arrays_at(arguments)
            still = [
                p
                for p in positions
                if p in moves[index]
                and _unmoved(function(*map(_fresh, nudged(arguments, p))), first, atol, rtol)
            ]
        except Exception:  # a call that raises tells nothing here
            continue
        if not still or len(still) >= len(positions) or found not in (None, still):
            return None
        found = still
    if not found:
        return None
    which = joined([parameters.get(p, f"argument {p + 1}") for p in found])[0]
    return fill(hint_text(wording, "ignores-input", name), name, which=which)


def _fresh(value):
    if isinstance(value, dict):
        return {k: np.array(v, copy=True) for k, v in value.items()}
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value
