"""``python -m compileall``, run by a runtime's own Python, whose compiles are kept in a cache
that every runtime of the user shares: ``python cached_compileall.py CACHE [compileall's
arguments]``.

A module's bytecode depends only on its source, the path it is compiled as, the optimization
level and the Python that compiles it. ``grader setup`` compiles every runtime as the sandbox
names it (the same path, whichever folder the runtime lies in), so a second virtualenv of the
same packages (the instructor's next one, an upgrade's, a copy of the course) compiles its
13,000 files in a fraction of the time: each file's code is read from the cache, and what
Python checks (the header: the source's time and size) is written as py_compile writes it.
Bytecode checked by the source's hash instead (``SOURCE_DATE_EPOCH``, ``--invalidation-mode``)
is compiled as before. compileall itself walks the folders, prints the lines
:mod:`.counted_compile` counts, spreads the work over the cores and writes each file.

Runs in the runtime's Python, which need not have the grader: it imports nothing of it, and
only what every Python 3.11 or later has. An entry that cannot be read or does not hold what
it was written with is compiled again; a cache that cannot be written is compiled without.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import multiprocessing
import os
import py_compile
import sys
import tempfile
from pathlib import Path

_DIGEST = 32  # sha256 of the code that follows it, in each entry
_umask = 0o022  # this process's, read by main(): a file's mode is made as os.open makes it


def entry_for(cache: Path, data: bytes, path: str, optimize: int) -> Path:
    """Where the code of ``data`` compiled as ``path`` at ``optimize`` (-1: this Python's
    own level) by this Python is kept in ``cache``."""
    level = optimize if optimize >= 0 else sys.flags.optimize
    who = f"{importlib.util.MAGIC_NUMBER.hex()}\0{sys.version}\0{level}\0{path}\0"
    key = hashlib.sha256(who.encode("utf-8", "surrogateescape") + data).hexdigest()
    return cache / sys.implementation.cache_tag / key[:2] / key


def _read(entry: Path) -> bytes | None:
    """The code kept in ``entry`` (marshalled), if it holds what was written to it."""
    try:
        held = entry.read_bytes()
    except OSError:
        return None
    code = held[_DIGEST:]
    if len(held) <= _DIGEST or hashlib.sha256(code).digest() != held[:_DIGEST]:
        return None  # damaged: compiled again, and written again
    try:
        os.utime(entry)  # used now: kept by :func:`.runtime_cache.prune_bytecode`
    except OSError:
        pass
    return code


def _write(folder: str, name: str, data: bytes, mode: int = 0o644) -> None:
    """``data`` as the file ``name`` in ``folder``, whole or not at all, whoever else writes it."""
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".entry-")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode & ~_umask)
        os.replace(temporary, os.path.join(folder, name))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _keep(entry: Path, code: bytes) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        _write(str(entry.parent), entry.name, hashlib.sha256(code).digest() + code)
    except OSError:
        pass  # a full or read-only cache: the file is compiled all the same


def _uint32(number: int) -> bytes:
    return (number & 0xFFFFFFFF).to_bytes(4, "little")


def use_cache(cache: Path) -> None:
    """From now on, every file py_compile compiles in this process (and the processes it
    forks) is looked up in ``cache`` first, and kept there once compiled. Only bytecode checked
    by the source's time and size (compileall's default) is: the hash-checked kinds are
    compiled as before."""
    compile_uncached = py_compile.compile

    def compile_cached(  # py_compile.compile's own parameters
        file, cfile=None, dfile=None, doraise=False, optimize=-1, invalidation_mode=None, quiet=0
    ):
        arguments = (file, cfile, dfile, doraise, optimize, invalidation_mode, quiet)
        mode = invalidation_mode or py_compile._get_default_invalidation_mode()
        if (
            mode != py_compile.PycInvalidationMode.TIMESTAMP
            or cfile is None
            or os.path.islink(cfile)  # py_compile refuses these, saying why
            or (os.path.exists(cfile) and not os.path.isfile(cfile))
        ):
            return compile_uncached(*arguments)
        try:
            with open(file, "rb") as stream:
                source, stat = stream.read(), os.fstat(stream.fileno())
        except OSError:
            return compile_uncached(*arguments)
        entry = entry_for(cache, source, dfile or file, optimize)
        code = _read(entry)
        if code is None:
            written = compile_uncached(*arguments)
            with contextlib.suppress(OSError):
                if written is not None:
                    _keep(entry, Path(written).read_bytes()[16:])
            return written
        # the header Python checks, as py_compile writes it: the source's time and size
        header = importlib.util.MAGIC_NUMBER + _uint32(0)
        header += _uint32(int(stat.st_mtime)) + _uint32(stat.st_size)
        folder = os.path.dirname(cfile) or "."
        os.makedirs(folder, exist_ok=True)
        _write(folder, os.path.basename(cfile), header + code, (stat.st_mode | 0o200) & 0o666)
        return cfile

    py_compile.compile = compile_cached


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
    global _umask
    _umask = os.umask(_umask)  # read, and put back: the driver runs no thread
    os.umask(_umask)
    cache, *compileall_arguments = arguments
    use_cache(Path(cache))
    fork_workers()
    compileall = importlib.import_module("compileall")  # its command line, as ``-m`` runs it
    sys.argv = ["compileall", *compileall_arguments]
    return int(not compileall.main())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
