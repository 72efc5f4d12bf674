"""The runner's reply to one cell, read at the trust boundary: a value of the right structure,
cut to what the grader keeps, or None (the reply is the runner's failure, not the cell's)."""

from __future__ import annotations

# Of a cell's error, what the grader keeps: cut as the reply is read, before anything else.
MAX_ERROR_NAME, MAX_ERROR_TEXT = 100, 500


def cell_reply(reply, index: int):
    """``(ename, evalue, dropped, patched, line)`` of a well-formed reply to cell ``index``."""
    kind, value = reply
    if kind != "d" or type(value) is not tuple or len(value) != 6:
        return None
    got_index, ename, evalue, dropped, patched, line = value
    if not (line is None or type(line) is int):
        return None
    if got_index != index or type(dropped) is not int or type(patched) is not list:
        return None
    if not (ename is None or type(ename) is str) or not (evalue is None or type(evalue) is str):
        return None
    if ename is not None:
        ename, evalue = ename[:MAX_ERROR_NAME], (evalue or "")[:MAX_ERROR_TEXT]
    line = line if line is not None and 0 < line < 1 << 31 else None
    patched = [str(name)[:80] for name in patched[:20]]
    return ename, evalue, max(dropped, 0), patched, line
