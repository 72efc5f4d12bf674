"""The grader's own code in the sandbox, kept as it was before any notebook ran.

A cell shares the runner's process and can replace any name of these modules (wrap the
probe's ``_call`` to forge one function's answer, replace ``protocol.send``). What it replaced
is put back after each cell and again in each probe process before it answers a call
(:func:`put_back`), so every function's calls are answered by the grader's code, and what a
cell did to it costs no function its earned points; the names put back are reported with the
cell, for the instructor to see.
"""

from __future__ import annotations

import sys

_KEPT: list[tuple[str, dict, dict]] = []  # (module name, its namespace, a copy of it)
_MISSING = object()


def remember() -> None:
    """Copy the namespaces of this package's modules, in the warm process, before any
    notebook (every module is imported by then)."""
    package = __name__.rpartition(".")[0]
    _KEPT[:] = [
        (name, vars(module), dict(vars(module)))
        for name, module in list(sys.modules.items())
        if name.startswith(package + ".")
    ]


def put_back() -> list[str]:
    """Put back every name a cell replaced; the names put back (``probe._call``)."""
    replaced = []
    for name, namespace, copy in _KEPT:
        for key, value in copy.items():
            if namespace.get(key, _MISSING) is not value:
                namespace[key] = value
                replaced.append(f"{name.rpartition('.')[2]}.{key}")
    return replaced
