"""The probe process: forked from the runner after the cells ran, it calls one graded
function (or answers one exploring session) and dies, so no call sees what another left.

Values leave as :class:`wire.Array` through the buffer protocol or the array module, never
through numpy's Python functions, which a notebook may have replaced. Each reply also carries
the run-time record of the forbidden objects the call used (:mod:`.watch`).
"""

from __future__ import annotations

import array
import builtins
import linecache
import os
import re
import signal
from typing import TYPE_CHECKING

from . import protocol, seal, standin, tracer, watch, wire
from .limits import CALL_BYTES, READ_NUMBERS

if TYPE_CHECKING:
    from collections.abc import Sequence

_SIMPLE = ("?", "b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "e", "f", "d")
_NATIVE_8 = {"l": "q", "L": "Q"}  # on 64-bit Linux
_b = builtins
_len, _type, _isinstance, _memoryview, _float = _b.len, _b.type, _b.isinstance, _b.memoryview, float
_list, _tuple, _dict, _str, _bytes, _id, _set = list, tuple, dict, str, bytes, id, set
_BaseException, _TypeError, _ValueError = BaseException, TypeError, ValueError
_NameError, _callable, _getpid = NameError, callable, os.getpid
_signal, _SIGINT, _IGNORE = signal.signal, signal.SIGINT, signal.SIG_IGN
_interrupt = signal.default_int_handler
_numpy: dict = {}
# IPython keeps each cell's text in linecache's memory; for a "<...>" name it opens no file
_getline = linecache.getline
# How IPython names a cell's code (by its execution count), and the notebook's number of the
# cell that ran under each count (noted by the runner), for the line an error came from.
_CELL_CODE = re.compile(r"^<ipython-input-(\d+)-")
_cells: dict[int, int] = {}
_LONGEST_MESSAGE = 300  # characters of an exception's message kept before where it came from


def prepare() -> None:
    """Keep numpy's own functions from before any student code ran."""
    import numpy

    _numpy.update(frombuffer=numpy.frombuffer, dtype=numpy.dtype, ndarray=numpy.ndarray)


def serve(
    namespace: dict[str, object], down: int, up: int, limit: int, forbidden: Sequence[str] = ()
) -> None:
    """Answer calls until the grader ends the session; ``forbidden``: the dotted names of the
    objects a graded call may not use, watched during each call."""
    try:
        seal.seal((down, up))
    except _BaseException as error:
        protocol.send(up, protocol.NotSealed("it could not be sealed: " + _str(error)))
        return
    protocol.send(up, protocol.Hello(_getpid()))
    while (call := _next_call(down)) is not None:
        watching = watch.Watch(forbidden)
        _signal(_SIGINT, _interrupt)
        reply: protocol.CallValue | protocol.CallError
        try:
            match call:
                case protocol.Read():
                    reply = _read(namespace, call.name, limit, watching)
                case _:
                    reply = _call(namespace, call, limit, watching)
        except _BaseException as error:
            try:
                text = _str(error)
                if _len(text) > _LONGEST_MESSAGE:
                    text = text[:_LONGEST_MESSAGE] + " ..."
                message = _type(error).__name__ + ": " + text
                if not _isinstance(error, NotImplementedError):  # a stub: its line says nothing
                    message += _where(error)
            except _BaseException:
                message = _type(error).__name__
            reply = protocol.CallError(message, watching.record())
        _signal(_SIGINT, _IGNORE)
        protocol.send(up, reply)


def note_cell(count: int, cell: int) -> None:
    """The notebook's cell ``cell`` runs under IPython's execution count ``count``."""
    _cells[count] = cell


def cell_of(filename: str) -> int | None:
    """The notebook's cell whose code IPython compiled under ``filename``; None if none."""
    found = _CELL_CODE.match(filename or "")
    return _cells.get(int(found.group(1))) if found is not None else None


def _where(error: BaseException) -> str:
    """Where in the student's code ``error`` came up: " (in f, cell 5, line 3: `code`)" for
    the last frame of a notebook cell; "" when no frame is the student's."""
    found, step = None, error.__traceback__
    while step is not None:
        code = step.tb_frame.f_code
        cell = _CELL_CODE.match(code.co_filename or "")
        if cell is not None:
            found = (int(cell.group(1)), code.co_filename, code.co_name, step.tb_lineno)
        step = step.tb_next
    if found is None:
        return ""
    count, filename, function, line = found
    number = _cells.get(count)
    place = f"cell {number}, line {line}" if number is not None else f"line {line}"
    text = _getline(filename, line).strip()[:200]
    return f" (in {function}, {place}: `{text}`)" if text else f" (in {function}, {place})"


def _next_call(down: int) -> protocol.Call | protocol.Read | None:
    """The grader's next call or read; None when it ends the session (or sends what is no
    call)."""
    order = wire.receive(down, CALL_BYTES)
    try:
        match None if order is None else protocol.read_call(order):
            case protocol.Call() | protocol.Read() as call:
                return call
    except wire.WireError:
        pass
    return None


def _call(
    namespace: dict[str, object], call: protocol.Call, limit: int, watching: watch.Watch
) -> protocol.CallValue:
    """Make ``call``, its stand-ins (a diagnosis's parts, see :mod:`.standin`) in place, its
    traced parts (see :mod:`.tracer`) recording their calls."""
    name, args, tables, traced = call
    if name not in namespace:
        raise _NameError("name '" + name + "' is not defined")
    function = namespace[name]
    if not _callable(function):
        raise _TypeError("'" + name + "' is " + _type(function).__name__ + ", not a function")
    values = [_decode(item) for item in args]
    before = [_snapshot(value) for value in values]
    parts = standin.StandIns(tables or {}, _decode, _flatten)
    recorder = tracer.Tracer(traced or [], lambda value: _encode(value, limit))
    parts.install(namespace)
    recorder.install(namespace)
    watching.start()
    try:
        result = function(*values)
    finally:
        watching.stop()
        recorder.remove(namespace)
        parts.remove(namespace)
    parts.check_used()
    mutated = [i for i, value in enumerate(values) if _snapshot(value) != before[i]]
    if traced is not None:
        return protocol.CallValue("dict", recorder.reply(result), False, mutated, watching.record())
    shape, arrays, aliased = _encode_result(result, limit)
    return protocol.CallValue(shape, arrays, aliased, mutated, watching.record())


def _read(
    namespace: dict[str, object], name: str, limit: int, watching: watch.Watch
) -> protocol.CallValue:
    """The value of the notebook's variable ``name`` (a numeric answer), sent back as a call's
    value would be: numbers only, or the reason it is none."""
    if name not in namespace:
        raise _NameError("name '" + name + "' is not defined")
    count = _numbers_in(namespace[name], READ_NUMBERS)
    if count > READ_NUMBERS:
        raise _ValueError(
            f"too many numbers: {name} holds {count} or more, where the grader reads at most"
            f" {READ_NUMBERS} (an answer is a number or a short list of them)"
        )
    shape, arrays, aliased = _encode_result(namespace[name], limit)
    return protocol.CallValue(shape, arrays, aliased, [], watching.record())


def _numbers_in(value, most: int) -> int:
    """How many numbers ``value`` holds, counted only until there are more than ``most``."""
    if _isinstance(value, (_list, _tuple)):
        total = _len(value)
        if total > most:
            return total
        total = 0
        for item in value:
            total += _numbers_in(item, most - total)
            if total > most:
                break
        return total
    try:
        shape = _memoryview(value).shape or ()
    except _TypeError:
        return 1
    total = 1
    for length in shape:
        total *= length
    return total


def _decode(item):
    if _type(item) is wire.Array:
        dtype = _numpy["dtype"]("<" + item.element)
        return _numpy["frombuffer"](item.data, dtype=dtype).reshape(item.shape).copy()
    if _type(item) is _dict:
        return {key: _decode(value) for key, value in item.items()}
    return item


def _snapshot(value):
    if _isinstance(value, _numpy["ndarray"]):
        return (value.shape, value.tobytes())
    if _type(value) is _dict:
        return [(key, _snapshot(item)) for key, item in value.items()]
    return value


def _is_tensor(value) -> bool:
    return _type(value).__module__.partition(".")[0] == "torch" and hasattr(value, "detach")


def _encode_result(result, limit: int) -> tuple:
    """``(kind, arrays, aliased)``: kind "one", "several" (a tuple, or a list of arrays or of
    strings) or "dict"; aliased when one array object is there more than once. A str crosses
    as a str (compared exactly), each other value as an array."""
    if _type(result) is _dict:
        items = _list(result.values())
        arrays = {_str(key): _encode(value, limit) for key, value in result.items()}
        return "dict", arrays, _aliased(items)
    several = _isinstance(result, _tuple) or (
        _isinstance(result, _list)
        and result
        and (
            all(_is_tensor(r) or _isinstance(r, _numpy["ndarray"]) for r in result)
            or all(_type(r) is _str for r in result)
        )
    )
    if several:
        return "several", [_encode(item, limit) for item in result], _aliased(_list(result))
    return "one", _encode(result, limit), False


def _aliased(items: list) -> bool:
    arrays = [_id(item) for item in items if _isinstance(item, _numpy["ndarray"])]
    return _len(_set(arrays)) < _len(arrays)


def _refuse(value):
    return _TypeError("returned " + _type(value).__name__ + ", expected an array")


def _flatten(value):
    """Nested sequences of numbers as (shape, flat floats), without numpy."""
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    if value is None or _isinstance(value, (_str, _bytes, bytearray, _dict, _set)):
        raise _refuse(value)
    if _isinstance(value, (_list, _tuple)):
        parts = [_flatten(item) for item in value]
        if any(part[0] != parts[0][0] for part in parts):
            raise _ValueError("returned a ragged list, expected an array")
        inner = parts[0][0] if parts else []
        return [_len(parts)] + inner, [x for part in parts for x in part[1]]
    try:
        view = _memoryview(value)
    except _TypeError:
        return [], [_float(value)]
    if view.format.lstrip("@=<>!") not in _SIMPLE:
        raise _TypeError("returned an array of " + view.format + ", expected numbers")
    return _flatten(view.tolist()) if view.ndim else ([], [_float(view.tolist())])


def _encode(value, limit: int) -> wire.Array | str:
    if _type(value) is _str:  # exactly a str: a subclass's methods are the student's code
        if _len(value) > limit:
            raise _ValueError(
                f"returned a str of {_len(value)} characters, more than the grader reads"
            )
        return value
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    if value is None or _isinstance(value, (_str, _bytes, bytearray, _dict, _set)):
        raise _refuse(value)
    try:
        view = _memoryview(value)
    except _TypeError:
        view = None
    element = view.format.lstrip("@=<") if view is not None else ""
    if view is not None and element in _SIMPLE:
        shape, data = _list(view.shape or ()), view.tobytes()
        element = _NATIVE_8.get(element, element)
    else:
        shape, flat = _flatten(value)
        element, data = "d", array.array("d", flat).tobytes()
    if _len(data) // wire.ELEMENTS[element] * 8 > limit:  # as the grader keeps it: float64
        raise _ValueError(f"returned {_len(data)} bytes, more than the grader reads")
    return wire.Array(element, _tuple(shape), data)
