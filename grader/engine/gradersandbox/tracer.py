"""A traced call for a diagnosis (issue 66): for one call, each of a composite's graded parts
named by the grader is wrapped so that its calls are recorded, arguments and result, in the
order made; the student's own part still answers. The record leaves as the call's value, a
dict of plain values (:func:`Tracer.reply`), read by the grader as data
(grader.scoring.traces): nothing recorded here is trusted, and it only ever describes the
student's own calls.

Keys of the reply: ``o`` the composite's value, ``c<k>`` the part's name of call k,
``c<k>a<j>`` its argument j, ``c<k>r`` its result; a tuple's items follow as ``.<i>``, a dict's
entries as ``:<key>``. A value that cannot be sent (not numbers) is left out.
"""

from __future__ import annotations

from .limits import TRACE_CALLS

_len, _type, _isinstance, _str, _list, _tuple, _dict = len, type, isinstance, str, list, tuple, dict
_enumerate, _callable, _Exception = enumerate, callable, Exception


class Tracer:
    """The wrapped parts of one call; installed in the namespace for the call, taken out
    after."""

    def __init__(self, parts: list, encode):
        self._parts = parts
        self._encode = encode
        self._entries: dict = {}
        self._count = 0
        self._saved: dict = {}

    def _put(self, key: str, value, depth: int = 0) -> None:
        if _type(value) is _dict and depth < 2:
            for name, item in value.items():
                if _type(name) is _str and "." not in name and ":" not in name:
                    self._put(key + ":" + name, item, depth + 1)
            return
        if (_type(value) is _tuple or _type(value) is _list) and depth < 2 and value:
            first = value[0]
            if not _isinstance(first, (int, float)):
                for index, item in _enumerate(value):
                    self._put(key + "." + _str(index), item, depth + 1)
                return
        try:
            self._entries[key] = self._encode(value)
        except _Exception:  # noqa: BLE001 - a value that cannot be sent is left out (a timeout's
            pass  # KeyboardInterrupt goes up: the call is being stopped)

    def _wrapped(self, name: str, original):
        def traced(*args, **kwargs):
            number = self._count
            self._count += 1
            if number >= TRACE_CALLS:
                return original(*args, **kwargs)
            key = "c" + _str(number)
            for index, value in _enumerate(args):
                self._put(key + "a" + _str(index), value)
            for keyword, value in kwargs.items():
                self._put(key + "n" + _str(keyword), value)
            result = original(*args, **kwargs)
            self._entries[key] = name
            self._put(key + "r", result)
            return result

        return traced

    def install(self, namespace: dict) -> None:
        for name in self._parts:
            original = namespace.get(name)
            if _callable(original):
                self._saved[name] = original
                namespace[name] = self._wrapped(name, original)

    def remove(self, namespace: dict) -> None:
        for name, before in self._saved.items():
            namespace[name] = before

    def reply(self, result) -> dict:
        """The record and the composite's value ``result``, as the call's value; "cut" when
        more calls were made than are recorded."""
        self._put("o", result)
        if self._count > TRACE_CALLS:
            self._entries["cut"] = "cut"
        return self._entries
