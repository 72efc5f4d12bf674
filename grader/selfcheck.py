"""Self-check: test your functions on public cases, with nothing but numpy.

Call ``check("forget_gate")`` after you write a function, or ``check()`` for all of them. It
prints PASS or FAIL, the largest error, and a hint. Passing here does not guarantee full marks:
the grader tests your functions on other, hidden cases too.
"""

import base64
import json
import traceback
import zlib

import numpy as np

# Where correct values must lie, and what to say when they do not.
_RANGES = {
    "forget_gate": (0.0, 1.0, "values outside (0, 1): did you apply the sigmoid?"),
    "input_gate": (0.0, 1.0, "values outside (0, 1): did you apply the sigmoid?"),
    "output_gate": (0.0, 1.0, "values outside (0, 1): did you apply the sigmoid?"),
    "candidate_memory": (-1.0, 1.0, "values outside (-1, 1): did you apply tanh?"),
    "hidden_state": (-1.0, 1.0, "values outside (-1, 1): h_t = o_t * tanh(C_t)."),
}
_WEIGHTED = ("forget_gate", "input_gate", "candidate_memory", "output_gate")
_LONGEST_MESSAGE = 300  # characters of an exception message worth printing


def make_check(namespace, public_cases, atol, rtol, hints):
    """The ``check`` function: tests the functions defined in ``namespace`` on ``public_cases``
    with the grader's tolerance; ``hints`` tells what each known mistake means."""
    cases = _load_cases(public_cases)

    def check(name=None):
        """Test ``name`` (e.g. "forget_gate") on the public cases, or every function if omitted."""
        if name is None:
            passed = sum(_check_one(n, namespace, cases[n], atol, rtol, hints) for n in cases)
            print(f"{passed} of {len(cases)} functions pass their public cases.")
        elif name not in cases:
            print(f"check: no public cases for {name!r}; choose one of {', '.join(cases)}.")
        else:
            _check_one(name, namespace, cases[name], atol, rtol, hints)

    return check


def _unpack(public_cases):
    """{key: array} from base64 of zlib of a JSON line of [key, shape] pairs and float32 data."""
    raw = zlib.decompress(base64.b64decode("".join(public_cases.split())))
    header, data = raw.split(b"\n", 1)
    flat = np.frombuffer(data, dtype="<f4").astype(np.float64)
    arrays, offset = {}, 0
    for key, shape in json.loads(header):
        size = int(np.prod(shape))
        arrays[key] = flat[offset : offset + size].reshape(shape)
        offset += size
    return arrays


def _load_cases(public_cases):
    """{function: [(arguments, expected outputs, {mistake: outputs})]} from the payload."""
    cases = {}
    for key, value in _unpack(public_cases).items():
        name, case, kind, *rest = key.split("/")
        while len(cases.setdefault(name, [])) <= int(case):
            cases[name].append(({}, {}, {}))
        arguments, expected, mistakes = cases[name][int(case)]
        if kind == "in":
            position, argument = rest
            if "." in argument:  # a dict argument, e.g. params.W_f
                arguments.setdefault(int(position), {})[argument.split(".")[1]] = value
            else:
                arguments[int(position)] = value
        elif kind == "out":
            expected[int(rest[0])] = value
        else:
            mistakes.setdefault(rest[0], {})[int(rest[1])] = value
    return {
        name: [
            (
                [a[i] for i in sorted(a)],
                tuple(e[i] for i in sorted(e)),
                {m: tuple(o[i] for i in sorted(o)) for m, o in ms.items()},
            )
            for a, e, ms in entries
        ]
        for name, entries in cases.items()
    }


def _check_one(name, namespace, cases, atol, rtol, hints):
    """Print one line for ``name``; True when every public case passes."""
    function = namespace.get(name)
    if not callable(function):
        print(f"{name}: NOT DEFINED - run the cell that defines {name} first.")
        return False
    largest = 0.0
    for number, case in enumerate(cases, start=1):
        where = f"public case {number} of {len(cases)}"
        error, failure = _check_case(name, function, case, where, atol, rtol, hints)
        if failure:
            print(f"{name}: {failure}")
            return False
        largest = max(largest, error)
    print(f"{name}: PASS ({len(cases)} public cases, largest error {largest:.2g})")
    return True


def _check_case(name, function, case, where, atol, rtol, hints):
    """(largest error, None) when ``function`` passes ``case``, else (None, what went wrong)."""
    arguments, expected, mistakes = case
    copies = [
        {k: v.copy() for k, v in a.items()} if isinstance(a, dict) else a.copy() for a in arguments
    ]
    try:
        result = function(*copies)
    except NotImplementedError as error:
        return None, _not_implemented(name, error)
    except Exception as error:  # the student's code may raise anything; report it briefly
        return None, f"ERROR - {_describe(error)}{_error_hint(name, error)}"
    outputs, problem = _as_outputs(result, len(expected))
    if problem:
        return None, f"FAIL - {problem}"
    for got, want in zip(outputs, expected, strict=True):
        if got.shape != want.shape:
            hint = _shape_hint(name, got.shape, want.shape)
            return None, f"FAIL - returned shape {got.shape}, expected {want.shape}. {hint}"
    if any(np.isnan(got).any() for got in outputs):
        return None, "FAIL - your result contains NaN (not a number)."
    errors = [np.abs(got - want) for got, want in zip(outputs, expected, strict=True)]
    largest = max(float(np.max(e, initial=0.0)) for e in errors)
    if all(np.all(e <= atol + rtol * np.abs(w)) for e, w in zip(errors, expected, strict=True)):
        return largest, None
    hint = _value_hint(name, outputs, mistakes, atol, rtol, hints)
    return None, f"FAIL - largest error {largest:.2g} on {where}. Hint: {hint}"


def _not_implemented(name, error):
    """The message for a NotImplementedError: the stub of ``name`` or of a function it calls."""
    frames = traceback.extract_tb(error.__traceback__)[1:]  # [0] is _check_one itself
    raised_in = frames[-1].name if frames else name
    if raised_in == name:
        return "NOT IMPLEMENTED YET - replace `raise NotImplementedError()` with your code"
    return f"NOT READY - it calls {raised_in}, which still raises NotImplementedError."


def _describe(error):
    """``Type: message`` and the line of the student's code that raised it."""
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)[1:]
        if "site-packages" not in f.filename and "numpy" not in f.filename
    ]
    where = f" (in {frames[-1].name}: `{frames[-1].line}`)" if frames and frames[-1].line else ""
    message = str(error)
    if len(message) > _LONGEST_MESSAGE:
        message = message[:_LONGEST_MESSAGE] + " ..."
    return f"{type(error).__name__}: {message}{where}"


def _error_hint(name, error):
    text = str(error)
    if name in _WEIGHTED and ("matmul" in text or "not aligned" in text or "mismatch" in text):
        return (
            ". Hint: W is (H, D+H) and [x_t, h_prev] is (N, D+H); with one example per row,"
            " multiply by the transpose of W."
        )
    if "concatenat" in text:
        return ". Hint: concatenate along the feature axis, axis=1: [x_t, h_prev] is (N, D+H)."
    return ""


def _as_outputs(result, count):
    """(arrays, problem): the returned value as ``count`` float arrays, or why it is not."""
    if result is None:
        return None, "returned None: did you forget `return`?"
    if count > 1:
        if not isinstance(result, (tuple, list)) or len(result) != count:
            return None, f"should return {count} arrays (hidden state first, then cell state)."
        values = list(result)
    else:
        values = [result]
    try:
        return [np.asarray(v, dtype=np.float64) for v in values], None
    except Exception:  # whatever the student returned, say what it is instead of a traceback
        return None, f"returned {type(result).__name__}, not an array of numbers."


def _shape_hint(name, got, want):
    if len(got) == 2 and got == want[::-1]:
        if name in _WEIGHTED:
            return (
                "Hint: your result is transposed; with one example per row, multiply"
                " [x_t, h_prev] by the transpose of W."
            )
        return "Hint: your result is transposed."
    if name != "lstm_forward":
        return "Hint: every state and gate is (N, H): one row per example."
    if got == want[1:]:
        return "Hint: return the states of every step stacked into (T, N, H), not only the last."
    if len(got) == 3 and got[0] == want[0] + 1:
        return "Hint: leave out h0 and c0; entry t is the state after step t + 1."
    if len(got) == 3 and got == (want[1], want[0], want[2]):
        return "Hint: stack the steps along axis 0: time comes first, (T, N, H)."
    return "Hint: h_seq and c_seq are (T, N, H): one (N, H) state per step."


def _value_hint(name, outputs, mistakes, atol, rtol, hints):
    for mistake, wrong in mistakes.items():
        if all(
            np.allclose(g, w, atol=atol, rtol=rtol) for g, w in zip(outputs, wrong, strict=True)
        ):
            return hints.get(mistake, mistake)
    if name in _RANGES:
        low, high, message = _RANGES[name]
        if any(np.any((g < low) | (g > high)) for g in outputs):
            return message
    return "compare each step of your code with the equation in the text above."
