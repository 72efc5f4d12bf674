"""``python -m compileall``, run by a runtime's own Python, whose compiles are kept in a cache
that every runtime of the user shares: ``python cached_compileall.py CACHE [compileall's
arguments]``.

A module's bytecode depends only on its source, the path it is compiled as, the optimization
level and the Python that compiles it. ``grader setup`` compiles every runtime as the sandbox
names it (the same path, whichever folder the runtime lies in), so a second virtualenv of the
same packages (the instructor's next one, an upgrade's, a copy of the course) compiles its
13,000 files in a fraction of the time: each file's code is read from the cache, and what
Python checks (the header: the source's time and size, or its hash) is written as compileall
writes it. compileall itself walks the folders, prints the lines :mod:`.counted_compile`
counts, spreads the work over the cores and writes each file.

Runs in the runtime's Python, which need not have the grader: it imports nothing of it, and
only what every Python 3.11 or later has. An entry that cannot be read or does not hold what
it was written with is compiled again; a cache that cannot be written is compiled without.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import marshal
import multiprocessing
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType

_DIGEST = 32  # sha256 of the code that follows it, in each entry


def entry_for(cache: Path, data: bytes, path: str, optimize: int) -> Path:
    """Where the code of ``data`` compiled as ``path`` at ``optimize`` (-1: this Python's
    own level) by this Python is kept in ``cache``."""
    level = optimize if optimize >= 0 else sys.flags.optimize
    who = f"{importlib.util.MAGIC_NUMBER.hex()}\0{sys.version}\0{level}\0{path}\0"
    key = hashlib.sha256(who.encode("utf-8", "surrogateescape") + data).hexdigest()
    return cache / sys.implementation.cache_tag / key[:2] / key


def _read(entry: Path) -> CodeType | None:
    try:
        held = entry.read_bytes()
    except OSError:
        return None
    code = held[_DIGEST:]
    if len(held) <= _DIGEST or hashlib.sha256(code).digest() != held[:_DIGEST]:
        return None  # damaged: compiled again, and written again
    try:
        found = marshal.loads(code)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(found, CodeType):
        return None
    try:
        os.utime(entry)  # used now: kept by :func:`.preparation`'s pruning
    except OSError:
        pass
    return found


def _write(entry: Path, code: CodeType) -> None:
    data = marshal.dumps(code)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".entry-")
        with os.fdopen(fd, "wb") as stream:
            stream.write(hashlib.sha256(data).digest() + data)
        os.replace(temporary, entry)  # whole or not at all, whoever else writes it
    except OSError:
        pass  # a full or read-only cache: the file is compiled all the same


def use_cache(cache: Path) -> None:
    """From now on, every source py_compile compiles in this process (and the processes it
    forks) is looked up in ``cache`` first, and kept there once compiled."""
    loader = importlib.machinery.SourceFileLoader
    compile_source = loader.source_to_code

    def source_to_code(self, data, path, *, _optimize=-1):
        if not isinstance(data, bytes) or not isinstance(path, str):
            return compile_source(self, data, path, _optimize=_optimize)
        entry = entry_for(cache, data, path, _optimize)
        code = _read(entry)
        if code is None:
            code = compile_source(self, data, path, _optimize=_optimize)
            _write(entry, code)
        return code

    loader.source_to_code = source_to_code  # type: ignore[method-assign]


def fork_workers() -> None:
    """compileall's workers (``-j``) forked from this process, the cache in use in them: Python
    3.12 and later start them from a fresh server process, which would compile without it."""
    import concurrent.futures

    if "fork" not in multiprocessing.get_all_start_methods():
        return

    class Forked(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, max_workers=None, mp_context=None, **options):
            super().__init__(max_workers, multiprocessing.get_context("fork"), **options)

    concurrent.futures.ProcessPoolExecutor = Forked  # type: ignore[assignment, misc]


def main(arguments: list[str]) -> int:
    cache, *compileall_arguments = arguments
    use_cache(Path(cache))
    fork_workers()
    compileall = importlib.import_module("compileall")  # its command line, as ``-m`` runs it
    sys.argv = ["compileall", *compileall_arguments]
    return int(not compileall.main())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
