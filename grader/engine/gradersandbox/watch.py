"""The run-time record of forbidden shortcuts: inside a probe process, which of the
assignment's forbidden objects a graded call constructed or called.

Before the notebook's cells run (:func:`remember`), and again before each call, every forbidden
dotted name whose top-level module is already loaded (``sys.modules``: nothing is imported on
the student's behalf) is looked up, without running module ``__getattr__`` hooks, to the object
it names. During the call only, a profile hook
(``sys.setprofile``, and ``threading.setprofile`` for threads the call starts) compares by
identity the code that starts running with the code of each forbidden class's own
``__new__``/``__init__`` (constructed) and ``forward``/``__call__`` (called), and of each
forbidden Python function, and each builtin function called with the forbidden builtins
(unless forbidden code runs it: torch's own cell builtin under ``torch.nn.LSTMCell``'s
``forward`` is the class's use, named as such). So an alias, a helper, ``getattr`` with a name
built at run time or ``exec`` is seen like a plain call.

The hook and what it needs are looked up here, at import, before any student code runs. The
student's code shares the process and can switch the hook off: the record then says how the
hook was lost (``removed``: no profiler at the end of the call; ``replaced``: another one;
``changed``: ``sys.setprofile`` was called during the call), for a person to review.
"""

from __future__ import annotations

import builtins
import sys
import threading
import types
from collections.abc import Callable, Iterable
from typing import NamedTuple

from .limits import FORBIDDEN_MAX_NAMES

_setprofile, _getprofile, _modules = sys.setprofile, sys.getprofile, sys.modules
_thread_setprofile = threading.setprofile
_id, _type, _vars, _getattr = builtins.id, builtins.type, builtins.vars, builtins.getattr
_len, _isinstance, _range, _set = builtins.len, builtins.isinstance, builtins.range, builtins.set
_tuple, _list, _staticmethod, _classmethod = tuple, list, staticmethod, classmethod
_BaseException, _CodeType, _BuiltinType = BaseException, types.CodeType, types.BuiltinFunctionType
CONSTRUCTS, CALLS = "constructs", "calls"
LOST = ("removed", "replaced", "changed")  # how the hook was lost, in the record
# Methods of a forbidden class whose code running means an instance was made, or used.
_CLASS_CODE: tuple[tuple[str, str], ...] = (("__new__", CONSTRUCTS), ("__init__", CONSTRUCTS))
_CLASS_CODE += (("forward", CALLS), ("__call__", CALLS))


class WatchRecord(NamedTuple):
    """What one call's watch saw: ``(verb, name)`` pairs, first seen first, and how the hook
    was lost (None, or one of :data:`LOST`)."""

    seen: list[tuple[str, str]]
    lost: str | None


_EARLY: dict = {}  # name -> the object it named before any cell ran (see remember)


def remember(names: Iterable[str]) -> None:
    """Look the names up now, before the notebook's cells run, as well as before each call:
    a cell that rebinds ``torch.nn.LSTMCell`` after keeping the real class does not hide it."""
    for name in _tuple(names)[:FORBIDDEN_MAX_NAMES]:
        try:
            target = _resolve(name)
        except _BaseException:
            target = None
        if target is not None:
            _EARLY[name] = target


class Watch:
    """One graded call's watch: start it, make the call, stop it, read :attr:`seen`."""

    def __init__(self, names: Iterable[str]):
        self.names = _tuple(names)[:FORBIDDEN_MAX_NAMES]
        self.seen: list = []  # (verb, name) pairs, first seen first
        self.lost: str | None = None
        self._codes: dict = {}  # id(code object) -> (verb, name)
        self._builtins: dict = {}  # id(builtin) -> (verb, name)
        self._keep: list = []  # the watched objects, so that their ids stay theirs
        self._hook: Callable[[types.FrameType, str, object], None] | None = None

    def start(self) -> None:
        """Resolve the forbidden names as the notebook left them, then set the hook."""
        resolved = _set()
        for name in self.names:
            try:
                target = _resolve(name)
            except _BaseException:  # a module that defends its attributes: not watchable
                target = None
            for found in (_EARLY.get(name), target):
                if found is None or _id(found) in resolved:
                    continue  # two configured names for one object: the first names it
                resolved.add(_id(found))
                try:
                    self._watch(found, name)
                except _BaseException:  # an object that defends its attributes: not watchable
                    pass
        if not self._codes and not self._builtins:
            return
        self._hook = _make_hook(self._codes, self._builtins, self.seen, self._note_setprofile)
        self._builtins[_id(_setprofile)] = None  # the student switching the hook: noted
        _thread_setprofile(self._hook)
        _setprofile(self._hook)

    def stop(self) -> None:
        """Unset the hook; note whether it was still there."""
        if self._hook is None:
            return
        del self._builtins[_id(_setprofile)]  # the grader's own call next is not the student's
        current = _getprofile()
        _setprofile(None)
        _thread_setprofile(None)
        if current is None:
            self.lost = LOST[0]
        elif current is not self._hook:
            self.lost = LOST[1]

    def _note_setprofile(self) -> None:
        if self.lost is None:
            self.lost = LOST[2]

    def _watch(self, target: object, name: str) -> None:
        if _type(target) is _BuiltinType:
            self._builtins[_id(target)] = (CALLS, name)
            self._keep.append(target)
            return
        if _isinstance(target, _type):
            own = _vars(target)
            methods = [(own.get(attribute), verb) for attribute, verb in _CLASS_CODE]
        else:
            methods = [(target, CALLS)]
        for method, verb in methods:
            if _type(method) in (_staticmethod, _classmethod):
                method = _getattr(method, "__func__")
            code = _getattr(method, "__code__", None)
            if _type(code) is _CodeType:
                self._codes[_id(code)] = (verb, name)
                self._keep.append(code)

    def record(self) -> WatchRecord:
        return WatchRecord(_list(self.seen), self.lost)


def _resolve(name: str) -> object:
    """The object ``name`` names in the loaded modules, or None; no import, no ``__getattr__``
    hook of a module runs."""
    parts = name.split(".")
    if parts[0] not in _modules:
        return None
    for cut in _range(_len(parts), 0, -1):
        module = _modules.get(".".join(parts[:cut]))
        if module is not None:
            break
    target = module
    for part in parts[cut:]:
        space = _vars(target)
        if part not in space:
            return None
        target = space[part]
    return target


def _make_hook(
    codes: dict, builtins_: dict, seen: list, setprofile_called: Callable[[], None]
) -> Callable[[types.FrameType, str, object], None]:
    """The profile function: as little work as possible per event, all of it looked up now."""

    inside: list = []  # the frames of forbidden code running now

    def hook(
        frame: types.FrameType,
        event: str,
        arg: object,
        _codes: dict = codes,
        _builtins: dict = builtins_,
        _seen: list = seen,
        _id: Callable[[object], int] = _id,
    ) -> None:
        if event == "call":
            hit = _codes.get(_id(frame.f_code))
            if hit is not None:
                inside.append(frame)
        elif event == "return":
            if inside and inside[-1] is frame:
                inside.pop()
            return
        elif event == "c_call" and _id(arg) in _builtins:
            hit = _builtins[_id(arg)]
            if hit is None:
                setprofile_called()
                return
            if inside:  # a forbidden builtin that forbidden code runs (the kernel of a layer)
                return  # is that code's doing: the code is what the record names
        else:
            return
        if hit is not None and hit not in _seen:
            _seen.append(hit)

    return hook
