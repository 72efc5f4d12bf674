"""Stand-ins for a diagnosis (issue 29): for one call, a graded function's parts are answered
from a table the grader computed on its side (the inputs the notes' composition gives each part,
and the right answers), so the grader can see whether the composite is right once its parts are.
The reference never enters the sandbox: only these numbers do.

A stand-in answers a call whose inputs match an entry of its table within a tolerance, with a
fresh copy of the entry's answer; on inputs no entry has it raises :class:`StandInMiss` (the
composite gave its part inputs the notes never give it). A call in which no stand-in was asked
anything raises :class:`StandInUnused`: the composite does not reach its parts by name, and the
call proves nothing. Comparisons are plain Python over the floats of each value, since numpy's
Python functions may have been replaced by the notebook.
"""

from __future__ import annotations

_abs, _len, _type, _zip, _isinstance = abs, len, type, zip, isinstance
_dict, _tuple, _list, _str = dict, tuple, list, str
_Exception = Exception
TOLERANCE = (1e-6, 1e-5)  # (atol, rtol): stand-in answers flow back in, so inputs match closely


class StandInMiss(LookupError):
    """A part was called on inputs the notes' composition never gives it."""


class StandInUnused(RuntimeError):
    """No stand-in was called: the composite did not use its parts by their names."""


def _close(a, b, flatten) -> bool:
    if _type(b) is _dict:
        return _type(a) is _dict and all(k in a and _close(a[k], v, flatten) for k, v in b.items())
    if _type(b) is _str:  # a str argument matches only exactly the same str
        return _type(a) is _str and _str.__eq__(a, b)
    try:
        shape_a, flat_a = flatten(a)
    except _Exception:
        return False
    shape_b, flat_b = flatten(b)
    if shape_a != shape_b:
        return False
    atol, rtol = TOLERANCE
    return all(_abs(x - y) <= atol + rtol * _abs(y) for x, y in _zip(flat_a, flat_b))


def _fresh(value, decode):
    kind, item = value
    if kind == "several":
        return _tuple(decode(one) for one in item)
    if kind == "dict":
        return {key: decode(one) for key, one in item.items()}
    return decode(item)


class StandIns:
    """The parts of one call, each answering from its table; installed in the namespace for
    the call and taken out again."""

    def __init__(self, tables: dict, decode, flatten):
        self.asked = 0
        self._tables = {
            name: [(_list(decode(a) for a in args), value) for args, value in entries]
            for name, entries in tables.items()
        }
        self._decode, self._flatten = decode, flatten
        self._saved: dict = {}

    def _part(self, name: str):
        table = self._tables[name]

        def stand_in(*args):
            self.asked += 1
            for known, value in table:
                if _len(known) == _len(args) and all(
                    _close(a, k, self._flatten) for a, k in _zip(args, known)
                ):
                    return _fresh(value, self._decode)
            raise StandInMiss(
                "the grader's stand-in for " + name + " was called on inputs the notes never"
                " give it"
            )

        return stand_in

    def install(self, namespace: dict) -> None:
        for name in self._tables:
            self._saved[name] = namespace.get(name)
            namespace[name] = self._part(name)

    def remove(self, namespace: dict) -> None:
        for name, before in self._saved.items():
            namespace[name] = before

    def check_used(self) -> None:
        if self._tables and not self.asked:
            raise StandInUnused("no stand-in of " + ", ".join(self._tables) + " was called")
