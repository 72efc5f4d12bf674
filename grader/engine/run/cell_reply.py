"""The runner's reply to one cell, read at the trust boundary: a reply of the right structure
(:func:`.protocol.read_reply`), to this cell, cut to what the grader keeps; or None (the reply
is the runner's failure, not the cell's)."""

from __future__ import annotations

from grader.engine.gradersandbox import protocol, wire
from grader.limits import SANDBOX

# Of a cell's error, what the grader keeps: cut as the reply is read, before anything else.
MAX_ERROR_NAME, MAX_ERROR_TEXT = 100, 500


def cell_reply(reply: wire.Frame, index: int) -> protocol.CellDone | None:
    """The runner's well-formed reply to cell ``index``, cut to what the grader keeps."""
    try:
        done = protocol.read_reply(reply)
    except wire.WireError:
        return None
    if not isinstance(done, protocol.CellDone) or done.cell != index:
        return None
    ename, evalue = done.ename, done.evalue
    if ename is not None:
        ename, evalue = ename[:MAX_ERROR_NAME], (evalue or "")[:MAX_ERROR_TEXT]
    line = done.line if done.line is not None and 0 < done.line < 1 << 31 else None
    patched = [name[:80] for name in done.patched[:20]]
    gpu = [
        (c, at) for c, at in done.gpu[: SANDBOX.gpu_places] if 0 <= c < 1 << 31 and 0 < at < 1 << 31
    ]
    return protocol.CellDone(index, ename, evalue, max(done.dropped, 0), patched, line, gpu)
