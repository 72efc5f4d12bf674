"""Mistakes recognised by what a function does, for any assignment, when no known mistake of
the assignment reproduces the answer: :func:`pattern_hint` reads every failing case (which
returned values are wrong, on which steps, in which range of values) and names the cause only
where every case that can tell agrees.

Numpy only: the released notebook's self-check carries this module's text, so the notebook and
the grader name the same behaviour. The codes' texts are in :mod:`grader.scoring.shapes`
(``{function}``, ``{which}``, ``{low}``, ``{high}``, ``{parts}``, ``{verb}`` are filled in).
"""

import numpy as np

from grader.scoring.shapes import hint_text, joined  # grader-only


def fill(text, function="", which="", low="", high="", parts="", verb=""):
    """A hint text with its placeholders filled in."""
    values = dict(function=function, which=which, low=low, high=high, parts=parts, verb=verb)
    for key, value in values.items():
        text = text.replace(
            "{" + key + "}", f"{value:g}" if isinstance(value, float) else str(value)
        )
    return text


def part_first(wording, function, parts, beneath=None):
    """The words for a composite that fails where its parts fail on their own: fix those
    first. The grader says them whether or not its proof shows the parts are the only cause,
    so the self-check, which proves nothing, says the very same words. ``beneath`` maps a
    function to its parts that fail on their own: a failing part's own failing parts are named
    too (a sequence's cell, and the gate that makes the cell fail)."""
    listed, verb, _ = joined(parts)
    text = fill(hint_text(wording, "part-first", function), function, parts=listed, verb=verb)
    return text + _beneath(parts, beneath or {}, (function,))


def _beneath(parts, beneath, named):
    """ " cell fails where gate is wrong." for each part that fails where its own
    parts do, and so on down."""
    said = ""
    for part in parts:
        below = [p for p in beneath.get(part, ()) if p not in named]
        if below:
            listed, verb, _ = joined(below)
            said += f" {part} fails where {listed} {verb} wrong."
            said += _beneath(below, beneath, (*named, part))
    return said


def _close(got, expected, atol, rtol):
    with np.errstate(all="ignore"):
        return got.shape == expected.shape and bool(
            np.all(np.abs(got - expected) <= atol + rtol * np.abs(expected))
        )


def value_code(got, expected, value_range, atol, rtol):
    """The behaviour a wrong returned array shows against the expected one, or None.

    ``value_range`` is (low, high) where every correct value lies, or None."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if not np.all(np.isfinite(got)) or _close(got, expected, atol, rtol):
        return None
    if got.size == expected.size and got.size > 1:
        if _close(np.sort(got, axis=None), np.sort(expected, axis=None), atol, rtol):
            return "permuted"
    if got.shape != expected.shape:
        return None
    cut = np.maximum(expected, 0.0)
    if np.any(expected < -10 * atol) and np.any(got > 10 * atol) and _close(got, cut, atol, rtol):
        return "relu-cut"
    if got.ndim >= 3 and got.shape[0] > 1 and np.all(got == got[-1]):
        if not np.allclose(expected, expected[-1]):  # every step is one array, kept updating
            return "aliased"
    if value_range is not None:
        low, high = value_range
        if np.any((got < low) | (got > high)):
            return "out-of-range"
        edges = (got == low) | (got == high)
        if np.any(edges) and not np.any((expected == low) | (expected == high)):
            return "clipped"
    return None


# --- what the wrong values do over every case ---------------------------------------------
# A rule reads one failing case and answers AGREE (with what it found), CANNOT_TELL (the case
# cannot show it: a saturated, all-zero or too short answer) or DISAGREE. A rule's hint fires
# only when no case disagrees and at least one agrees, with the same findings in each.
AGREE, CANNOT_TELL, DISAGREE = "agree", "cannot-tell", "disagree"


def _near(got, want, atol, rtol):
    return _close(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), atol, rtol)


def _wrong(pairs, atol, rtol):
    return [(label, got, want) for label, got, want in pairs if not _near(got, want, atol, rtol)]


def wrong_labels(pairs, atol, rtol):
    """The labels of a case's wrong values, in the order returned."""
    return [label for label, _, _ in _wrong(pairs, atol, rtol)]


def _misshapen(pairs):
    return any(got.shape != want.shape for _, got, want in pairs)


def _steps(pairs, atol, rtol):
    """(T, the wrong steps) of each wrong sequence (arrays (T, ...), T > 2) of a case, or None
    when no wrong value is a sequence long enough to tell an end step from the rest."""
    found = []
    for _, got, want in _wrong(pairs, atol, rtol):
        if got.ndim >= 3 and got.shape[0] > 2:
            size = got.shape[0]
            found.append((size, [t for t in range(size) if not _near(got[t], want[t], atol, rtol)]))
    return found or None


def _carry(pairs, arguments, atol, rtol):
    """The step where the loop starts is right, every other step wrong: the state carried."""
    steps = None if _misshapen(pairs) else _steps(pairs, atol, rtol)
    if steps is None:
        return (DISAGREE if _misshapen(pairs) else CANNOT_TELL), None
    for edge, name in ((0, "first"), (-1, "last")):
        if all(wrong == [t for t in range(n) if t != range(n)[edge]] for n, wrong in steps):
            return AGREE, name
    return DISAGREE, None


def _inside(got, atol):
    return np.max(np.abs(got), initial=0.0) <= 1.0 + atol


def _carried_clip(pairs, arguments, atol, rtol):
    """What the loop carries, clipped to [-1, 1]: the state it hands on after its last step (a
    value without steps) held in [-1, 1] with entries exactly at its ends, and the sequences
    right at the step where the loop starts, before anything is carried. A case may show one
    of the two (a state that stays inside [-1, 1]; one step, nothing carried):
    :func:`_told` wants both among the cases, as (the loop's first step, the values held)."""
    if _misshapen(pairs):
        return DISAGREE, None
    states = [(label, got) for label, got, _ in _wrong(pairs, atol, rtol) if got.ndim < 3]
    inside = [(label, got) for label, got in states if _inside(got, atol)]
    if not inside:
        return DISAGREE, None
    held = tuple(label for label, got in inside if np.any(np.abs(got) == 1.0))
    steps = _steps(pairs, atol, rtol)
    if steps is None:
        return (AGREE, (None, held)) if held else (CANNOT_TELL, None)
    for edge, name in ((0, "first"), (-1, "last")):
        if all(range(n)[edge] not in wrong for n, wrong in steps):
            return AGREE, (name, held)
    return DISAGREE, None


def _loop_range(pairs, arguments, atol, rtol):
    """Every step right but one at an end: the loop over the steps misses it."""
    steps = None if _misshapen(pairs) else _steps(pairs, atol, rtol)
    if steps is None:
        return (DISAGREE if _misshapen(pairs) else CANNOT_TELL), None
    for edge, name in ((0, "first"), (-1, "last")):
        if all(wrong == [range(n)[edge]] for n, wrong in steps):
            return AGREE, name
    return DISAGREE, None


def _every_wrong(test):
    """A rule that holds when ``test(got, want)`` holds for every wrong value of a case."""

    def rule(pairs, arguments, atol, rtol):
        wrong = _wrong(pairs, atol, rtol)
        if not wrong or _misshapen(wrong):
            return DISAGREE, None
        verdicts = [test(got, want, atol, rtol) for _, got, want in wrong]
        if DISAGREE in verdicts:
            return DISAGREE, None
        return (AGREE, None) if AGREE in verdicts else (CANNOT_TELL, None)

    return rule


def _capped(got, want, atol, rtol):
    """Values held in [-1, 1], pressed against its ends where the right ones go far past
    them: a clip or an extra tanh. A case whose right values stay near [-1, 1] cannot tell."""
    if np.max(np.abs(got), initial=0.0) > 1.0 + atol:
        return DISAGREE
    if np.any((np.abs(got) == 1.0) & (np.abs(want) < 1.0 - 10 * atol)):
        return AGREE  # exactly at an end where the right value is inside: a clip
    far = np.abs(want) > 2.0
    if not np.any(far):
        return CANNOT_TELL
    pressed = np.abs(got[far]) > 0.95
    same_sign = np.sign(got[far]) == np.sign(want[far])
    return AGREE if np.all(pressed & same_sign) else DISAGREE


def _ratio(got, want):
    """The one number r with got == r * want, or None (also where the sums overflow: a
    returned value near the largest float, or an answer that is nothing like a multiple)."""
    with np.errstate(all="ignore"):
        norm = float(np.sum(want * want))
        ratio = float(np.sum(got * want)) / norm if norm else 0.0
    return ratio if ratio and np.isfinite(ratio) else None


def _negated(got, want, atol, rtol):
    if not np.any(np.abs(want) > 10 * atol):
        return CANNOT_TELL
    return AGREE if _near(got, -want, atol, rtol) else DISAGREE


def _squared(got, want, atol, rtol):
    if np.all((np.abs(want) < 10 * atol) | (np.abs(want - 1.0) < 10 * atol)):
        return CANNOT_TELL  # 0 and 1 are their own squares
    return AGREE if _near(got, want * want, atol, rtol) else DISAGREE


def _axes(arguments, parameters, size):
    """["x_t's axis 0", ...]: the axes of the array arguments whose length is ``size``, in
    the order of the arguments."""
    found = []
    for position, value in enumerate(arguments):
        values = sorted(value.items()) if isinstance(value, dict) else [("", value)]
        for key, array in values:
            for axis, length in enumerate(np.shape(array)):
                if length == size and size > 1:
                    name = parameters.get(position, f"argument {position + 1}")
                    found.append(
                        f"{name}[{key!r}]'s axis {axis}" if key else f"{name}'s axis {axis}"
                    )
    return found


def _scaled(direction):
    """Every wrong value the right one times (``direction`` 1) or divided by (-1) the length
    of one axis of the inputs: a sum where a mean belongs, or the other way round."""

    def rule(pairs, arguments, atol, rtol, parameters=None):
        wrong = _wrong(pairs, atol, rtol)
        if not wrong or _misshapen(wrong):
            return DISAGREE, None
        axes = None
        for _, got, want in wrong:
            ratio = _ratio(got, want)
            size = None if ratio is None else (ratio if direction == 1 else 1.0 / ratio)
            # an axis is far shorter than 2**31: a larger (or infinite) size is no axis
            if size is None or not abs(size) < 2.0**31:
                return DISAGREE, None
            whole = round(size)
            if whole < 2 or abs(size - whole) > 1e-6 * whole:
                return DISAGREE, None
            if not _near(got, want * (whole if direction == 1 else 1.0 / whole), atol, rtol):
                return DISAGREE, None
            found = _axes(arguments, parameters or {}, whole)
            axes = found if axes is None else [a for a in axes if a in found]
        return (AGREE, axes) if axes else (DISAGREE, None)

    return rule


def _some_outputs(pairs, arguments, atol, rtol):
    wrong = [label for label, _, _ in _wrong(pairs, atol, rtol)]
    if len(pairs) < 2 or not wrong or len(wrong) == len(pairs):
        return DISAGREE, None
    return AGREE, wrong


# code -> rule, in the order they are tried: the first that every case agrees with is told.
_RULES = (
    ("carried-clipped", _carried_clip),
    ("not-carried", _carry),
    ("loop-misses-step", _loop_range),
    ("sign-flipped", _every_wrong(_negated)),
    ("sum-for-mean", _scaled(1)),
    ("mean-for-sum", _scaled(-1)),
    ("squared", _every_wrong(_squared)),
    ("capped", _every_wrong(_capped)),
    ("some-outputs-wrong", _some_outputs),
)


def cannot_tell(value):
    """True when a returned array says nothing of how the inputs move it: all zero, or values
    pinned (exactly equal in size, or exactly 0 or 1 in size: a clip, a saturated activation)."""
    sizes = np.abs(np.asarray(value, dtype=np.float64)).ravel()
    if not np.all(np.isfinite(sizes)) or not np.any(sizes):
        return True
    return len(np.unique(sizes)) < sizes.size or bool(np.any((sizes == 1.0) | (sizes == 0.0)))


def _value_rule(code):
    """A rule of :func:`value_code`: one wrong value showing it is enough where the others
    cannot tell (pinned, or in range for the range codes)."""

    def rule(pairs, arguments, atol, rtol, value_range=None):
        wrong = _wrong(pairs, atol, rtol)
        found = [value_code(got, want, value_range, atol, rtol) for _, got, want in wrong]
        if code in found:
            return AGREE, None
        silent = code in ("out-of-range", "clipped", "aliased")
        if all(
            c is None and (silent or cannot_tell(g))
            for c, (_, g, _) in zip(found, wrong, strict=True)
        ):
            return CANNOT_TELL, None
        return DISAGREE, None

    return rule


_VALUE_RULES = tuple(
    (code, _value_rule(code))
    for code in ("permuted", "relu-cut", "aliased", "out-of-range", "clipped")
)


def pattern_hint(function, observed, wording, value_range, atol, rtol, parameters=None):
    """(code, text) of what the wrong values of ``function`` do in every case that can tell,
    or None. The self-check and the grader both call it, each on its own cases.

    ``observed``: one (arguments, [(label, returned, expected)]) per failing case whose values
    came back with the right shapes; ``parameters`` {position: name} of the arguments."""
    for code, rule in _VALUE_RULES + _RULES:
        found = []
        for arguments, pairs in observed:
            if code in ("sum-for-mean", "mean-for-sum"):
                verdict, what = rule(pairs, arguments, atol, rtol, parameters)
            elif rule in dict(_VALUE_RULES).values():
                verdict, what = rule(pairs, arguments, atol, rtol, value_range)
            else:
                verdict, what = rule(pairs, arguments, atol, rtol)
            if verdict == DISAGREE:
                break
            if verdict == AGREE:
                found.append(what)
        else:
            text = _told(code, function, found, observed, wording, value_range, atol, rtol)
            if text:
                return code, text
    return None


def _told(code, function, found, observed, wording, value_range, atol, rtol):
    """The text of ``code`` for what the agreeing cases ``found``, or None when they found
    different things (steps at different ends, no axis in common)."""
    if not found:
        return None
    wrong = {label for _, pairs in observed for label, _, _ in _wrong(pairs, atol, rtol)}
    if code in ("not-carried", "loop-misses-step"):  # the values that have steps
        wrong = {
            label
            for _, pairs in observed
            for label, got, _ in _wrong(pairs, atol, rtol)
            if got.ndim >= 3 and len(got) > 2
        }
    if code == "carried-clipped":  # the values held, at the end where the loop starts
        wrong = {label for _, held in found for label in held}
        found = [step for step, _ in found if step is not None]
        if not wrong or not found:
            return None
    labels = [label for label, _, _ in observed[0][1] if label and label in wrong]
    which, verb, _ = joined(labels) if labels else ("", "returns", "")
    subject = f"{function}'s {which}" if labels else function
    detail = ""
    if code in ("not-carried", "loop-misses-step", "carried-clipped"):
        if len(set(found)) != 1:
            return None
        detail = found[0]
    elif code in ("sum-for-mean", "mean-for-sum"):
        common = [axis for axis in found[0] if all(axis in axes for axes in found)]
        if not common:
            return None
        detail = common[0]  # the first argument's: the others of that length say no more
    if code != "some-outputs-wrong":
        which = subject
    low, high = value_range or ("", "")
    text = fill(hint_text(wording, code, function), function, which, low, high, verb=verb)
    return text.replace("{step}", detail).replace("{axis}", detail)
