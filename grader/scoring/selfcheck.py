"""Self-check: test your functions on public cases, with nothing but numpy.

Call ``check("name_of_your_function")`` after you write a function, or ``check()`` for all of
them. It prints PASS or FAIL, the largest error, and a hint. Passing here does not guarantee
full marks: the grader tests your functions on other, hidden cases too.
"""

import base64
import json
import traceback
import zlib

import numpy as np

from grader.scoring.behaviour import fill, part_first, pattern_hint, wrong_labels  # grader-only
from grader.scoring.inputs_used import float_leaves, ignored_inputs_hint  # grader-only
from grader.scoring.shapes import error_code, hint_text, joined, shape_code  # grader-only
from grader.scoring.wiring_words import wiring_outranks, wiring_said, wiring_swapped  # grader-only

_LONGEST_MESSAGE = 300  # characters of an exception message worth printing


def make_check(
    namespace,
    public_cases,
    atol,
    rtol,
    hints,
    wording,
    ranges,
    names,
    parts,
    wiring=None,
    moves=None,
):
    """The ``check`` function: tests the functions defined in ``namespace`` on ``public_cases``
    with the grader's tolerance. ``hints`` is the text of each known mistake, ``wording`` the
    text of each generic hint code, ``ranges`` where each function's values lie, ``names`` the
    names of the values a function returns as a tuple, ``parts`` the functions each composite
    is built from, ``wiring`` the notes' calls of its parts on each public case (the sketches
    of grader.scoring.wiring), ``moves`` the inputs the reference's answer moves with on each
    (grader.scoring.inputs_used)."""
    cases = _load_cases(public_cases)
    parameters = _parameters(public_cases)
    wired = (namespace, parts, wiring or {}, moves or {})
    rules = (atol, rtol, hints, wording, ranges, names, parameters, wired)

    def outcome(name, seen, below):
        """(passed, line) of ``name``, its parts checked first (silently); ``below`` gathers
        each function's failing parts."""
        if name not in seen:
            failing = [
                p for p in parts.get(name, ()) if p in cases and not outcome(p, seen, below)[0]
            ]
            below[name] = failing
            composite = bool(parts.get(name))
            parts_failing = (failing, below)
            seen[name] = _check_one(name, namespace, cases[name], rules, parts_failing, composite)
        return seen[name]

    def check(name=None):
        """Test ``name`` on the public cases, or every function if omitted."""
        seen, below = {}, {}
        if name is None:
            results = [outcome(n, seen, below) for n in cases]
            for _, line in results:
                print(line)
            passed = sum(ok for ok, _ in results)
            print(f"{passed} of {len(cases)} functions pass their public cases.")
        elif name not in cases:
            print(f"check: no public cases for {name!r}; choose one of {', '.join(cases)}.")
        else:
            print(outcome(name, seen, below)[1])

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


def _parameters(public_cases):
    """{function: {position: parameter name}} from the payload's keys."""
    found = {}
    for key in _unpack(public_cases):
        name, _, section, *rest = key.split("/")
        if section == "in":
            position, argument = rest
            found.setdefault(name, {})[int(position)] = argument.split(".")[0].split("#")[0]
    return found


def _value(parts):
    """An array, a tuple or a dict from {(kind, key): array}."""
    kinds = {kind for kind, _ in parts}
    if kinds == {"d"}:
        return {key: array for (_, key), array in parts.items()}
    if kinds == {"t"}:
        return tuple(parts[("t", key)] for key in sorted((k for _, k in parts), key=int))
    return parts[("a", "0")]


def _argument(name, value):
    """A stored argument as the function receives it (numbers were stored as arrays)."""
    if name.endswith("#int"):
        return int(round(float(value)))
    if name.endswith("#float"):
        return float(value)
    return value


def _load_cases(public_cases):
    """{function: [(arguments, expected value, {mistake: value})]} from the payload."""
    cases = {}
    for key, value in _unpack(public_cases).items():
        name, case, section, *rest = key.split("/")
        while len(cases.setdefault(name, [])) <= int(case):
            cases[name].append(({}, {}, {}))
        arguments, expected, mistakes = cases[name][int(case)]
        if section == "in":
            position, argument = rest
            if "." in argument:  # a dict argument, e.g. params.W
                arguments.setdefault(int(position), {})[argument.split(".", 1)[1]] = value
            else:
                arguments[int(position)] = _argument(argument, value)
        elif section == "out":
            expected[tuple(rest)] = value
        else:
            mistakes.setdefault(rest[0], {})[tuple(rest[1:])] = value
    return {
        name: [
            ([a[i] for i in sorted(a)], _value(e), {m: _value(o) for m, o in ms.items()})
            for a, e, ms in entries
        ]
        for name, entries in cases.items()
    }


def _check_one(name, namespace, cases, rules, failing_parts, composite=False):
    """(True when every public case passes, the line to print for ``name``). Every case is
    called: the hint for wrong values reads what they do over all of them."""
    function = namespace.get(name)
    if not callable(function):
        return False, f"{name}: NOT DEFINED - run the cell that defines {name} first."
    largest, first, observed, failing, seen_wrong = 0.0, None, [], [], []
    for number, case in enumerate(cases, start=1):
        where = f"public case {number} of {len(cases)}"
        error, failure, seen = _check_case(name, function, case, where, rules, failing_parts)
        if seen is not None:
            observed.append(seen)
        if failure and not isinstance(failure, str):
            seen_wrong.append((number, seen))
        if failure and not isinstance(failure, str):
            failing.append((number - 1, case))
        if failure and first is None:
            first = failure
        elif not failure and first is None:
            largest = max(largest, error)
    if first is None:
        return True, f"{name}: PASS ({len(cases)} public cases, largest error {largest:.2g})"
    if isinstance(first, str):
        return False, f"{name}: {first}"
    text, case, result, pairs = first
    wired = (failing, composite)
    hint = _value_hint(name, function, case, result, pairs, rules, observed, failing_parts, wired)
    if hint is None:  # no pattern: where the parts pass, the composition is the place to look
        code = "composition" if composite else "no-pattern"
        hint = fill(hint_text(rules[3], code, name), name)
        seen_text = _seen(seen_wrong, len(cases), rules[0], rules[1])
        hint += " " + fill(hint_text(rules[3], "looks-further", name), name, which=seen_text)
    return False, f"{name}: {text} Hint: {hint}"


def _seen(seen_wrong, total, atol, rtol):
    """What the failing public cases showed, in words: "public cases 1 and 3 of 3 wrong in h0
    and W_hh" (the values named where the function returns several)."""
    numbers, labels = [], []
    for number, seen in seen_wrong:
        numbers.append(str(number))
        found = wrong_labels(seen[1], atol, rtol) if seen is not None else []
        labels += [label for label in found if label and label not in labels]
    listed, _, _ = joined(numbers)
    text = f"public case{'s' if len(numbers) > 1 else ''} {listed} of {total} wrong"
    return text + (f" in {joined(labels)[0]}" if labels else "")


def _copy(value):
    if isinstance(value, dict):
        return {k: v.copy() for k, v in value.items()}
    return value.copy() if isinstance(value, np.ndarray) else value


def _check_case(name, function, case, where, rules, failing_parts):
    """(largest error, None, None) when ``function`` passes ``case``; else (None, what went
    wrong, what it returned) where what went wrong is a line, or, for wrong values (and a wrong
    shape no code or known mistake names), (text, case or None, result, pairs) whose hint waits
    for every case; what it returned is (arguments, [(label, returned, expected)]) or None."""
    atol, rtol, hints, wording, ranges, names = rules[:6]
    arguments, expected, mistakes = case
    copies = [_copy(a) for a in arguments]
    try:
        result = function(*copies)
    except NotImplementedError as error:
        return None, _not_implemented(name, error), None
    except Exception as error:  # the student's code may raise anything; report it briefly
        code = error_code(_describe(error))
        hint = f". Hint: {fill(hint_text(wording, code, name), name)}" if code else ""
        if failing_parts[0]:
            hint = f". Hint: {part_first(wording, name, *failing_parts)}"
        return None, f"ERROR - {_describe(error)}{hint}", None
    changed = _changed(name, arguments, copies, rules)
    if changed:  # the grader takes the points of a call that changes its inputs
        if failing_parts[0]:
            hint = part_first(wording, name, *failing_parts)
        else:
            hint = fill(hint_text(wording, "mutates-input", name), name, which=changed)
        return None, f"FAIL - changes its input {changed} in place on {where}. Hint: {hint}", None
    pairs, problem = _pairs(result, expected, names.get(name, ()))
    if problem:
        return None, f"FAIL - {problem}", None
    if any(np.isnan(got).any() for _, got, _ in pairs):
        return None, "FAIL - your result contains NaN (not a number).", None
    labelled = [(_label(name, k, pairs, names), g, w) for k, g, w in pairs]
    if len(pairs) == 1:
        labelled = [("", g, w) for _, g, w in pairs]
    for key, got, want in pairs:
        if got.shape != want.shape:
            code = shape_code(got.shape, want.shape)
            known = _known_mistake(name, result, pairs, mistakes, rules)
            if code:
                known = fill(hint_text(wording, code, name), name)
            which = f" for {_label(name, key, pairs, names)}" if len(pairs) > 1 else ""
            text = f"FAIL - returned shape {got.shape}{which}, expected {want.shape}."
            if known or failing_parts[0]:
                hint = part_first(wording, name, *failing_parts) if failing_parts[0] else known
                return None, f"{text} Hint: {hint}", (arguments, labelled)
            return None, (text, None, result, pairs), (arguments, labelled)
    errors = [np.abs(got - want) for _, got, want in pairs]
    largest = max(float(np.max(e, initial=0.0)) for e in errors)
    limits = [atol + rtol * np.abs(w) for _, _, w in pairs]
    if all(np.all(e <= limit) for e, limit in zip(errors, limits, strict=True)):
        return largest, None, None
    text = f"FAIL - largest error {largest:.2g} on {where}."
    return None, (text, case, result, pairs), (arguments, labelled)


def _label(name, key, pairs, names):
    """How the grader names a returned value: its dict key, its name in the tuple, or
    "value k"."""
    labels = list(names.get(name, ()))
    keys = [k for k, _, _ in pairs]
    if len(labels) == len(pairs) and key in keys:
        return labels[keys.index(key)]
    return key if key and not key.isdigit() else f"value {int(key or 0) + 1}"


def _not_implemented(name, error):
    """The message for a NotImplementedError: the stub of ``name`` or of a function it calls."""
    frames = traceback.extract_tb(error.__traceback__)[1:]  # [0] is _check_case itself
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


def _floats(value):
    return np.asarray(value.detach() if hasattr(value, "detach") else value, dtype=np.float64)


def _pairs(result, expected, names):
    """([(name, returned array, expected array)], problem) for a returned value."""
    try:
        if result is None:
            return [], "returned None: did you forget `return`?"
        if isinstance(expected, dict):
            if not isinstance(result, dict):
                return [], f"should return a dict with keys {', '.join(expected)}."
            missing = [k for k in expected if k not in result]
            if missing:
                return [], f"the returned dict has no {', '.join(missing)}."
            return [(k, _floats(result[k]), e) for k, e in expected.items()], None
        if isinstance(expected, tuple):
            if not isinstance(result, (tuple, list)) or len(result) != len(expected):
                named = f" ({', '.join(names)})" if names else ""
                return [], f"should return {len(expected)} arrays{named}."
            pairs = zip(result, expected, strict=True)
            return [(str(i), _floats(r), e) for i, (r, e) in enumerate(pairs)], None
        return [("", _floats(result), expected)], None
    except Exception:  # whatever the student returned, say what it is instead of a traceback
        return [], f"returned {type(result).__name__}, not an array of numbers."


def _same(a, b):
    try:
        pairs = zip(float_leaves(a), float_leaves(b), strict=True)
        return all(np.array_equal(x, y) for x, y in pairs)
    except (TypeError, ValueError):
        return False


def _changed(name, arguments, copies, rules):
    """The names of the arguments the call changed in place, as a sentence, or ""."""
    changed = [i for i, (a, c) in enumerate(zip(arguments, copies, strict=True)) if not _same(a, c)]
    known = rules[6].get(name, {})
    return joined([known.get(i, f"argument {i + 1}") for i in changed])[0] if changed else ""


def _known_mistake(name, result, pairs, mistakes, rules):
    """The words of the first known mistake whose answer ``result`` is, or None."""
    atol, rtol, hints = rules[:3]
    for mistake, wrong in mistakes.items():
        wrong_pairs, problem = _pairs(result, wrong, ())
        if problem is None and all(
            got.shape == w.shape and np.allclose(got, w, atol=atol, rtol=rtol)
            for (_, got, _), (_, _, w) in zip(pairs, wrong_pairs, strict=True)
        ):
            return fill(hints.get(mistake, mistake), name)
    return None


def _value_hint(name, function, case, result, pairs, rules, observed, failing_parts, wired):
    """The hint for wrong values: the failing parts first, a known mistake, how a composite
    puts its parts together (``wired``: the case's index, and whether ``name`` is one), then
    what the function's values do over every public case (the grader's own words, from the
    same code)."""
    atol, rtol, hints, wording, ranges, _, parameters = rules[:7]
    said = None  # how a composite puts its parts together, where it differs from the notes
    if failing_parts[0]:
        return part_first(wording, name, *failing_parts)
    if case is not None:  # wrong values (a wrong shape has had its known mistakes looked for)
        arguments, _, mistakes = case
        known = _known_mistake(name, result, pairs, mistakes, rules)
        if known:  # two values swapped in a composite: the trace tells which, the values not
            said = _wiring(name, wired[0], rules) if wired[1] else None
            return said[1] if said and wiring_swapped(said[0]) else known
        try:
            again = function(*[_copy(a) for a in arguments])
            if not _same(again, result):
                return fill(hint_text(wording, "nondeterministic", name), name)
        except Exception:  # a second call that raises says nothing more here
            pass
        said = _wiring(name, wired[0], rules) if wired[1] else None
    found = pattern_hint(
        name, observed, wording, ranges.get(name), atol, rtol, parameters.get(name, {})
    )
    if said and (not found or wiring_outranks(said[0], found[0])):
        return said[1]
    if found:
        return found[1]
    moves = rules[7][3].get(name, [])
    failing = [(index, arguments) for index, (arguments, _, _) in wired[0]]
    named = parameters.get(name, {})
    return ignored_inputs_hint(name, function, failing, moves, named, wording, atol, rtol)


def _wiring(name, failing, rules):
    """How ``name`` puts its parts together on its ``failing`` public cases ((index, case)
    each), traced and set beside the notes' calls the release recorded for them: the
    best-ranked first difference as (rank, sentence), as the grader picks it, or None."""
    namespace, parts, drawn, _ = rules[7]
    notes = drawn.get(name) or []
    cases = [(notes[i], [_copy(a) for a in case[0]]) for i, case in failing if i < len(notes)]
    return wiring_said(namespace, name, parts.get(name, ()), cases, rules[6], rules[5])
