"""What a wrong shape or an error message says about the mistake, for any assignment, and the
texts of every generic hint code.

Plain Python (no imports but ``re``): the released notebook's self-check carries this module's
text, so the notebook and the grader read shapes and errors the same way. An assignment words
the hints in its own terms (its ``HINTS``; see assignments/README.md).
"""

import re

# code -> what the student reads, unless the assignment words it in its own terms
GENERIC_HINTS = {
    "transposed-output": "the result is transposed: check the order of a matrix product, or"
    " whether a matrix needs .T.",
    "batch-major": "the first two axes are swapped: a sequence is time-major, (T, N, ...).",
    "last-step-only": "return the values of every step stacked along the first axis, not only"
    " the last one.",
    "initial-state-included": "one step too many: leave the initial state out; entry t is the"
    " value after step t + 1.",
    "W-orientation": "a matrix product's shapes do not fit: check which side each matrix goes"
    " on and whether it needs .T.",
    "concatenate-axis": "arrays joined along the wrong axis: check the axis= of concatenate or"
    " stack.",
    # behaviour (grader.scoring.behaviour, and the probes of grader.scoring.diagnose)
    "permuted": "{function} returns the right numbers in the wrong places: a reshape where a"
    " transpose was meant, or two axes swapped?",
    "relu-cut": "negative values come back as 0: a max(0, .) (ReLU) or a clip cuts them.",
    "out-of-range": "values leave ({low}, {high}), where {function}'s values lie: is the"
    " squashing function (activation) missing, or a different one?",
    "clipped": "values sit exactly at {low} or {high}: a clip where a smooth squashing function"
    " belongs?",
    "nondeterministic": "{function} returns different values for the same input: does it draw"
    " random numbers or keep state between calls?",
    "mutates-input": "{function} changes its input {which} in place: work on a copy"
    " (x = x + ..., not x += ...).",
    # advice that changes the result whether one array was repeated (np.stack([h] * T), where
    # a .copy() would change nothing) or kept and updated after it was stored
    "aliased": "{function} returns one array's values in several places that should differ:"
    " give each step its own array, computed at that step.",
    "ignores-input": "{function}'s answer does not change when {which} changes: is {which} used?",
    # errors whose shapes and line tell the cause (error_code reads the line of the student's
    # code that both tools print after the message)
    "squeeze-broadcast": "squeeze() drops every axis of length 1, so what it gives depends on"
    " the sizes: (1, H) becomes (H,), but (N, H) stays (N, H) and no longer fits. Sum (or"
    " index) the axis you mean, e.g. .sum(axis=0), instead of squeeze().",
    "inplace-broadcast": "an in-place +=, -= or *= onto a smaller array: the right side has an"
    " axis the left does not (the batch?). Sum it away first, e.g. .sum(axis=0).",
    "bias-column": "a vector shaped as a column (H, 1) met an (N, H) array: a bias of shape"
    " (H,) is added to every row as it is; leave it (H,), or make it a row (1, H), not a"
    " column.",
    "some-outputs-wrong": "{function}'s {which} {verb} wrong and the rest right: check the"
    " steps that compute {which}.",
    # what the wrong values do over every case (grader.scoring.behaviour.pattern_hint)
    "not-carried": "{which}: right at the {step} step of the loop, wrong at every other. Is the"
    " state (going backward, the gradient) carried from each step to the next?",
    "carried-clipped": "{which} {verb} held in [-1, 1], with values at its ends, and the"
    " steps are right at the {step} step of the loop, before anything is carried: is the state"
    " carried from each step to the next (going backward, the gradient) clipped to [-1, 1]?"
    " The notes carry it whole.",
    "loop-misses-step": "{which}: wrong only at the {step} step, right at every other. Does the"
    " loop over the steps reach every step? Check its range().",
    "capped": "{which}: no value leaves [-1, 1], where the right ones do: a clip, or a tanh"
    " the notes do not have?",
    "sign-flipped": "{which} {verb} the right values with the sign flipped: check the sign of"
    " each term.",
    "squared": "{which} {verb} the squares of the right values: a square root missing?",
    "sum-for-mean": "{which} {verb} the right values times the length of {axis}: a sum over that"
    " axis where the notes take none, or the mean?",
    "mean-for-sum": "{which} {verb} the right values divided by the length of {axis}: a mean"
    " over that axis where the notes sum?",
    "missing-step": "one step too few: the loop over the steps misses one. Check its range().",
    # no pattern over the cases: the same words in both tools; where the parts are right (the
    # self-check: on their own cases; the grader: also on the composite's inputs), the
    # composition is the place to look
    "no-pattern": "no pattern in the wrong values points to one step: compare each step of"
    " {function} with the equation in the notes.",
    "composition": "{function}'s parts give the right values, so the mistake is in how"
    " {function} puts them together: compare it with the notes step by step.",
    # the self-check's words after either of those: what its public cases showed, and that the
    # grader, which may find a cause on its hidden cases, looks further (never another cause)
    "looks-further": "Seen: {which}. The public cases show no more; the grader looks further,"
    " on its hidden cases.",
    # a composite whose parts fail on their own: where nothing proves they are the only cause
    # (the grader's proof could not be made, or the self-check, which makes none)
    "part-first": "{function} fails where {parts} {verb} wrong: fix that first, then check"
    " {function} again.",
}
# What numpy and torch say when a matrix product's shapes do not fit.
MATMUL_ERROR = re.compile(r"matmul|not aligned|core dimension|cannot be multiplied", re.IGNORECASE)
CONCATENATE_ERROR = re.compile(r"concatenat|must have same number of dimensions", re.IGNORECASE)
BROADCAST_ERROR = re.compile(r"could not be broadcast together with (?:remapped )?shapes (.*)")
INPLACE_ERROR = re.compile(r"non-broadcastable output operand")
SQUEEZED_LINE = re.compile(r"`[^`]*\.squeeze\(\)[^`]*`")  # the line, as both tools quote it


def hint_text(wording, code, function):
    """The text of hint ``code`` for ``function``: ``wording[code]`` is a text, or a dict of
    texts by function with "*" for the others; the generic text where the wording has none."""
    text = wording.get(code)
    if isinstance(text, dict):
        text = text.get(function, text.get("*"))
    return text or GENERIC_HINTS.get(code)


def shape_code(got, expected):
    """The code of the hint a wrong shape ``got`` (where ``expected`` was due) earns, or None."""
    got, expected = tuple(got), tuple(expected)
    if got == expected:
        return None
    if len(expected) == 2 and got == expected[::-1]:
        return "transposed-output"
    if len(expected) == 2 and expected[0] == 1 and got == (expected[1], expected[1]):
        return "bias-column"  # a (1, H) row plus an (H, 1) column broadcasts to (H, H)
    if len(expected) >= 3:
        steps, batch = expected[0], expected[1]
        if got == (batch, steps) + expected[2:]:
            return "batch-major"
        if got == expected[1:]:
            return "last-step-only"
        if got == (steps + 1,) + expected[1:]:
            return "initial-state-included"
        if got == (steps - 1,) + expected[1:]:
            return "missing-step"
    return None


def joined(names):
    """("a and b", "are", "their") or ("a", "is", "its"): ``names`` in a sentence."""
    names = list(names)
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return text, ("is" if len(names) == 1 else "are"), ("its" if len(names) == 1 else "their")


# How the sandbox reports an exception the student's code raised: its type, then its message
# ("ValueError: ..."); a stub's NotImplementedError is no error of theirs, and a time limit or a
# call never made reads otherwise ("timed out after 60 s", "not called: the kernel died").
_RAISED = re.compile(r"(?!NotImplementedError\b)[A-Za-z_][\w.]*:")


def raised_by_code(error):
    """Whether a call's ``error`` is an exception the student's code raised."""
    return bool(_RAISED.match(error))


def error_code(error):
    """The code of the hint an error message earns, or None. ``error`` may end with where it
    came up, `` (in f, cell 5, line 3: `the line`)``, whose text tells some causes."""
    if (BROADCAST_ERROR.search(error) or INPLACE_ERROR.search(error)) and SQUEEZED_LINE.search(
        error
    ):
        return "squeeze-broadcast"
    if INPLACE_ERROR.search(error):
        return "inplace-broadcast"
    if MATMUL_ERROR.search(error):
        return "W-orientation"
    if CONCATENATE_ERROR.search(error):
        return "concatenate-axis"
    broadcast = BROADCAST_ERROR.search(error)
    if broadcast:
        shapes = [
            tuple(int(n) for n in found.split(",") if n.strip())
            for found in re.findall(r"\(([\d,\s]*)\)", broadcast.group(1))
        ]
        columns = {s[0] for s in shapes if len(s) == 2 and s[1] == 1 and s[0] > 1}
        if any(len(s) == 2 and s[1] in columns for s in shapes):
            return "bias-column"
    return None
