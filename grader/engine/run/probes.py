"""Probe sessions: each a fresh process forked from the state a submission's cells left, that
answers calls of its functions over pipes of its own; and what its replies are read into.

A reply is data in the wire format, checked for its structure: one of the wrong structure, or
that cannot be read, is the failure of the call it answers and of no other. Every limit the
sandbox enforces is enforced again here, on the values as the grader keeps them (float64), and
every index a reply holds is checked. Each write down and each read up has a deadline, the
call's: a probe process that stops reading its calls or stops answering costs its own cases,
and its output is taken in while the grader waits, so that one that prints much never blocks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from grader.engine.gradersandbox import protocol, wire
from grader.engine.gradersandbox.messages import PROBE_NOT_STARTED
from grader.engine.gradersandbox.wire import Value
from grader.engine.run.channel import Channel, Gone, read_size, write_whole
from grader.engine.run.results import ProbeCall, ProbeOutcome
from grader.limits import ENGINE, REPLIES, RunLimits

__all__ = ["ProbeSession"]
StandInTables = Mapping[str, Sequence[tuple[tuple, object]]] | None
ProbeValue = np.ndarray | str | tuple[np.ndarray | str, ...] | dict[str, np.ndarray | str]

WRONG = "a reply of the wrong structure"
SEAL_REFUSALS = ("[Errno 30] Read-only file system", "[Errno 1] Operation not permitted")
SEALED = (
    " (a graded call may not write files, start processes or signal other processes: each"
    " function's calls run sealed off from the others)"
)


class ProbedRun(Protocol):
    """What a probe session needs of its run (:class:`grader.engine.run.steps.Run`, which imports
    this module): its pipes, limits and time left, and where a call's outcome is kept."""

    channel: Channel
    limits: RunLimits
    forbidden_calls: list[str]

    def left(self) -> float: ...

    def seal_refused(self, why: str) -> None: ...

    def could_not_start(self, why: str) -> None: ...

    def patch_note(self) -> str: ...

    def keep(self, outcome: ProbeOutcome, size: int) -> ProbeOutcome: ...


class ProbeSession:
    """One probe process: calls go down its own pipes, replies come up them."""

    def __init__(self, run: ProbedRun, label: str):
        self.run, self.label = run, label
        self.pid: int | None = None
        self.broken: str | None = None
        calls_r, self._calls = os.pipe()
        self._replies, replies_w = os.pipe()
        os.set_blocking(self._calls, False)
        os.set_blocking(self._replies, False)
        self._reader = wire.Reader(REPLIES.reply_bytes)
        channel = run.channel
        try:
            deadline = time.monotonic() + min(ENGINE.start_s, max(run.left(), 1.0))
            channel.send_with_descriptors(protocol.ForkProbe(label), [calls_r, replies_w], deadline)
            hello = _answer(self._receive(deadline))
            if isinstance(hello, protocol.NotSealed):
                self.broken = f"the probe process did not start: {hello.reason[:200]}"
                if hello.reason.startswith(PROBE_NOT_STARTED):
                    run.could_not_start(f"the probe process of {label} could not start")
                else:
                    run.seal_refused(self.broken)  # whose fault: decided after the run
            elif isinstance(hello, protocol.Hello):
                self.pid = hello.pid
            else:
                self.broken = "the probe process did not start"
        except (Gone, TimeoutError):
            self.broken = "the kernel did not answer"
        finally:
            os.close(calls_r)
            os.close(replies_w)

    def call(
        self,
        function: str,
        args: tuple,
        stand_ins: StandInTables = None,
        traced: Sequence[str] = (),
    ) -> ProbeOutcome:
        """Call ``function`` on ``args`` in this session's process; ``stand_ins`` maps a part's
        name to ``[(args, value), ...]``, the answers its stand-in gives for that call only
        (see gradersandbox.standin); with ``traced`` parts, the value is the record of their
        calls (see gradersandbox.tracer), read by grader.scoring.traces."""
        tables = _tables_to_wire(stand_ins) if stand_ins else None
        request = protocol.Call(
            function, tuple(_to_wire(arg) for arg in args), tables, list(traced) or None
        )
        return self._ask(function, request, len(args), bool(traced))

    def answer(self, probe: ProbeCall) -> ProbeOutcome:
        """What ``probe`` asks: a variable read back, or a call."""
        return self.read(probe.function) if probe.read else self.call(probe.function, probe.args)

    def read(self, name: str) -> ProbeOutcome:
        """The value of the notebook's variable ``name`` (a numeric answer), read back as a
        call's value is: plain numbers, or why there are none."""
        return self._ask(name, protocol.Read(name), 0)

    def _ask(
        self,
        function: str,
        request: protocol.Call | protocol.Read,
        arg_count: int,
        traced: bool = False,
    ) -> ProbeOutcome:
        if not function.isidentifier():
            raise ValueError(f"not a function name: {function!r}")
        if self.broken is not None:
            return ProbeOutcome(None, f"not called: {self.broken}{self.run.patch_note()}")
        timeout = min(self.run.limits.probe_timeout, self.run.left())
        if timeout <= 0:
            return ProbeOutcome(None, "not called: the notebook's time limit was reached")
        deadline = time.monotonic() + timeout
        try:
            if not self._send(protocol.frame(request), deadline):
                self._kill(f"{function} stopped reading its calls and was stopped")
                return ProbeOutcome(None, f"timed out after {timeout:g} s")
            reply = self._receive(deadline)
            if reply is None:
                self._signal(signal.SIGINT)
                if self._receive(time.monotonic() + ENGINE.interrupt_grace_s) is None:
                    self._kill(f"{function} ran past its time limit and was stopped")
                return ProbeOutcome(None, f"timed out after {timeout:g} s")
        except (Gone, OSError) as error:
            self.broken = f"the probe process of {function} ended"
            detail = str(error) if isinstance(error, Gone) else "it ended"
            return ProbeOutcome(None, f"the call failed: {detail}{self.run.patch_note()}"[:500])
        outcome = _outcome(
            reply, self.run.patch_note(), self.run.forbidden_calls, arg_count, traced
        )
        return self.run.keep(outcome, _size(outcome.value))

    def _kill(self, why: str) -> None:
        self.broken = why
        self._signal(signal.SIGKILL)

    def _signal(self, number: signal.Signals) -> None:
        if self.pid is not None:
            self.run.channel.signal(self.pid, number)

    def _send(self, data: bytes, deadline: float) -> bool:
        """Write a call down; False past ``deadline`` (the probe process stopped reading)."""

        def wait() -> bool:
            if not self.run.channel.wait([self._replies], [self._calls], deadline):
                return False
            self._take_reply_bytes()
            return True

        return write_whole(self._calls, data, wait)

    def _receive(self, deadline: float) -> wire.Frame | None:
        """The next reply frame, None past ``deadline``; raises :class:`Gone`."""
        while True:
            try:
                got = self._reader.next()
            except wire.WireError as error:
                raise Gone(f"it sent what the grader cannot read ({error})") from None
            if got is not None:
                return got
            if time.monotonic() >= deadline:
                return None
            if self.run.channel.wait([self._replies], [], deadline):
                self._take_reply_bytes()

    def _take_reply_bytes(self) -> None:
        """Feed what the reply pipe holds now to the reader; raises :class:`Gone` at its end."""
        try:
            chunk = os.read(self._replies, read_size(self._reader))
        except BlockingIOError:
            return
        if not chunk:
            raise Gone("its process ended")
        self._reader.feed(chunk)

    def end(self) -> None:
        """Let the probe process go: told to end, it exits; one that does not is killed (all
        of the submission's processes end with the run anyway)."""
        with contextlib.suppress(OSError):
            protocol.send(self._calls, protocol.EndSession())
        os.close(self._calls)
        os.close(self._replies)
        if self.broken is not None:
            self._signal(signal.SIGKILL)
        self.run.channel.drain_output()


def _tables_to_wire(stand_ins: Mapping[str, Sequence[tuple[tuple, object]]]) -> dict[str, Value]:
    def value(answer: object) -> Value:
        if isinstance(answer, dict):
            return ("dict", {str(key): _to_wire(item) for key, item in answer.items()})
        if isinstance(answer, tuple):
            return ("several", [_to_wire(item) for item in answer])
        return ("one", _to_wire(answer))

    return {
        name: [(tuple(_to_wire(arg) for arg in args), value(answer)) for args, answer in entries]
        for name, entries in stand_ins.items()
    }


def _to_wire(arg: object) -> Value:
    if isinstance(arg, dict):
        return {str(key): _to_wire(value) for key, value in arg.items()}
    if isinstance(arg, int | float | str) and not isinstance(arg, bool):
        return arg
    array = np.ascontiguousarray(arg)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"a probe argument must be numeric or a str, not {array.dtype}")
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return wire.Array(little.dtype.char, array.shape, little.tobytes())


def _answer(frame: wire.Frame | None) -> protocol.Answer | None:
    """The probe process's first answer, if it is one."""
    try:
        return None if frame is None else protocol.read_answer(frame)
    except wire.WireError:
        return None


def _outcome(
    reply: wire.Frame,
    note: str,
    watched: Sequence[str] = (),
    arg_count: int = 0,
    traced: bool = False,
) -> ProbeOutcome:
    """Checked float64 arrays, or the error the call raised, with the run-time record of the
    ``watched`` names; a reply of the wrong structure is the call's failure, never the
    grader's. ``arg_count``: how many arguments the call had (the only indices a reply may
    say were changed in place); ``traced``: the reply is a traced call's record, which may
    hold more arrays."""
    try:
        answer = protocol.read_answer(reply, arg_count, watched)
        if isinstance(answer, protocol.CallError):
            error = answer.message[:500]
            if any(refusal in error for refusal in SEAL_REFUSALS):
                error += SEALED
            seen, lost = answer.record
            return ProbeOutcome(None, error, forbidden_seen=tuple(seen), watch_lost=lost)
        if not isinstance(answer, protocol.CallValue):
            raise wire.WireError(f"{type(answer).__name__} where a call's answer belongs")
        most = REPLIES.traced_arrays_per_reply if traced else REPLIES.arrays_per_reply
        _check_bounds(answer.arrays, most)
        result: ProbeValue
        if isinstance(answer.arrays, list):
            result = tuple(_value(item) for item in answer.arrays)
        elif isinstance(answer.arrays, dict):
            result = {key: _value(item) for key, item in answer.arrays.items()}
        else:
            result = _value(answer.arrays)
        seen, lost = answer.record
        mutated = tuple(answer.mutated)
        return ProbeOutcome(result, None, mutated, answer.aliased, tuple(seen), lost)
    except wire.WireError:  # the protocol's reason is for the grader; the student reads this
        return ProbeOutcome(None, f"the returned value could not be read back ({WRONG}){note}")
    except ValueError as error:
        return ProbeOutcome(None, f"the returned value could not be read back ({error}){note}")


def _check_bounds(arrays: wire.Array | str | list | dict, most: int) -> None:
    """Refuse (ValueError) a reply with more arrays (``most``), or longer keys, than a graded
    function returns: each costs the trusted side an object and text in every message about
    it, whatever its numbers."""
    if isinstance(arrays, list | dict) and len(arrays) > most:
        raise ValueError(f"{len(arrays)} arrays in one value, more than the {most} it may hold")
    if isinstance(arrays, dict):
        longest = max(map(len, arrays), default=0)
        if longest > REPLIES.key_chars:
            raise ValueError(
                f"a dict key of {longest} characters, longer than the {REPLIES.key_chars} a key"
                " may have"
            )


def _size(value) -> int:
    """Bytes a call's value costs the grader: its numbers as float64, and for each array its
    key and :data:`REPLIES`' ``object_bytes`` (so that many empty arrays count too)."""
    if value is None:
        return 0
    if isinstance(value, np.ndarray | str):
        return _bytes_of(value) + REPLIES.object_bytes
    parts = value.values() if isinstance(value, dict) else value
    keys = sum(map(len, value)) if isinstance(value, dict) else 0
    return keys + sum(_bytes_of(part) + REPLIES.object_bytes for part in parts)


def _bytes_of(part: np.ndarray | str) -> int:
    return len(part) if isinstance(part, str) else part.nbytes


def _value(item: wire.Array | str) -> np.ndarray | str:
    """A returned str as it is (the wire bounded its length), anything else as :func:`_array`."""
    return item if isinstance(item, str) else _array(item)


def _array(item: wire.Array) -> np.ndarray:
    """The float64 array ``item`` holds, refused if it is larger, as float64, than a call may
    return: a reply of bools or bytes would otherwise grow eight times here."""
    dtype = np.dtype("<" + item.element)
    if len(item.data) // dtype.itemsize * 8 > REPLIES.result_bytes:
        raise ValueError(f"more than {REPLIES.result_bytes // 8} numbers in one array")
    return np.frombuffer(item.data, dtype=dtype).reshape(item.shape).astype(np.float64)
