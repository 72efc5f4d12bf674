"""The runner: one submission's interpreter. Receives its files, runs its cells with IPython's
own shell, and forks a fresh probe process (:mod:`.probe`) for each group of calls.

Everything the grader's side of this process needs is looked up once, here, before any student
code runs; what the student replaces later (``sys.stdout``, ``json``, builtins) is not used.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import resource
import shutil
import signal
import socket
import sys
import time
from typing import TYPE_CHECKING, TextIO, cast

from . import cell_syntax, device_map, filters, own_code, probe, protocol, seal, watch, wire
from .limits import ERROR_CHARS, FORK_ATTEMPTS, ORDER_BYTES
from .messages import PROBE_NOT_STARTED
from .privileges import drop_privileges
from .shared import Placement, SharedCells

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

_write, _fork, _waitpid, _exit, _kill = os.write, os.fork, os.waitpid, os._exit, os.kill
_SIGKILL, _sleep, _suppress = signal.SIGKILL, time.sleep, contextlib.suppress
_close, _waitstatus = os.close, os.waitstatus_to_exitcode
if not TYPE_CHECKING:  # looked up once, here (type checkers read the builtins themselves)
    len, type, str, isinstance, BaseException = len, type, str, isinstance, BaseException  # noqa: A001
_signal, _SIGINT, _IGNORE = signal.signal, signal.SIGINT, signal.SIG_IGN
_interrupt = signal.default_int_handler
# What a cell could replace that the grader's side might have used: watched, so that a
# failure it causes names the cell.
_WATCHED = (
    (sys, ("stdout", "stderr", "stdin", "displayhook", "excepthook")),
    (os, ("write", "read", "fork", "_exit", "kill")),
    (builtins, ("len", "isinstance", "type", "memoryview", "print", "__import__")),
)
_recv_fds = socket.recv_fds


class _Orders:
    """Frames from the grader's socket, with the descriptors that came along."""

    def __init__(self, fd: int):
        self._socket = socket.socket(fileno=fd)
        self._reader = wire.Reader(ORDER_BYTES)
        self.descriptors: list[int] = []

    def fileno(self) -> int:
        return self._socket.fileno()

    def next(self) -> wire.Frame | None:
        """The next frame, or None when the grader closed its end."""
        while True:
            got = self._reader.next()
            if got is not None:
                return got
            data, fds, _, _ = _recv_fds(self._socket, min(self._reader.want(), 1 << 20), 4)
            self.descriptors += fds
            if not data:
                return None
            self._reader.feed(data)


def prepare(font_list: tuple[str, int] | None = None) -> InteractiveShell:
    """Import IPython and matplotlib and make the shell, once, in the warm process (with
    ``font_list``, see :func:`_font_list`)."""
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    _font_list(font_list)
    import matplotlib.pyplot  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"

    class NotebookShell(InteractiveShell):
        """IPython's shell as a notebook has it: no GUI event loop to hook into."""

        def enable_gui(self, gui: str | None = None) -> None:
            pass

    shell = NotebookShell.instance(config=config)
    cell_syntax.skip_needless_token_transforms(shell.input_transformer_manager)
    shell.displayhook.write_output_prompt = lambda: None  # values print as in a notebook
    if shell.display_formatter is not None:  # no PNG rendered to be dropped
        shell.display_formatter.active_types = ["text/plain"]
    probe.prepare()
    own_code.remember()
    return shell


def _font_list(given: tuple[str, int] | None) -> None:
    """Put the font list the grader sent (grader.engine.runtime.fontlist: its file name, an open
    descriptor) where matplotlib looks for it: listing the fonts at each warm start took 1.3 s
    of CPU. It replaces a list there: without namespaces that folder is the machine's (under
    HOME=/tmp), and may hold an older one. Unwritable: matplotlib lists the fonts itself."""
    if given is None:
        return
    name, fd = given
    with contextlib.suppress(OSError), os.fdopen(fd, "rb") as source:
        import matplotlib

        target = os.path.join(matplotlib.get_cachedir(), os.path.basename(name))
        partial = f"{target}.{os.getpid()}"  # renamed whole: other warm processes read it
        try:
            with open(partial, "wb") as written:
                shutil.copyfileobj(source, written)
            os.replace(partial, target)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(partial)


class _Capped:
    """sys.stdout and sys.stderr of the submission: text past the budget is counted, not sent."""

    encoding, errors = "utf-8", "replace"

    def __init__(self, fd: int, budget: dict[str, int]):
        self._fd, self._budget = fd, budget

    def write(self, text: str) -> int:
        data = str(text).encode("utf-8", "replace")
        kept = data[: max(self._budget["left"], 0)]
        self._budget["left"] -= len(kept)
        self._budget["dropped"] += len(data) - len(kept)
        try:
            while kept:
                kept = kept[_write(self._fd, kept) :]
        except OSError:
            pass
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False


def main(
    settings: dict,
    shell: InteractiveShell,
    shared_cells: SharedCells,
    pipes: tuple[int, int, int],
) -> None:
    """Run the submission in the warm process's ``shell``, until the grader says it is done;
    ``pipes``: its orders (a socket), its replies and its output."""
    down, up, output = pipes
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    orders = _Orders(down)
    try:
        scratch = _receive_files(orders, settings)
        os.chdir(scratch)
        os.environ.update(settings["environment"])
        for name, value in settings["rlimits"].items():
            _set_rlimit(getattr(resource, name), value)
        address_space = _mapped_bytes() + settings["address_space_allowance_bytes"]
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        if settings["isolate"]:
            drop_privileges()
        filters.before_cells()
        budget = {"left": settings["output_bytes"], "dropped": 0}
        for name, fd in (("stdout", 1), ("stderr", 2)):  # the notebook's sys.__stdout__ too
            capped = cast(TextIO, _Capped(fd, budget))
            setattr(sys, name, capped)  # noqa: B010
            setattr(sys, f"__{name}__", capped)
        shell.user_ns["__file__"] = os.path.join(scratch, "notebook.ipynb")
        watched = _snapshot()
        watch.remember(settings["forbidden_calls"])
        if settings["gpu_to_cpu"]:
            device_map.install()
        placement = Placement(shared_cells)
    except BaseException as error:  # the submission cannot start; say why
        protocol.send(up, protocol.NotStarted(f"{type(error).__name__}: {error}"))
        _exit(1)
    protocol.send(up, protocol.Ready(os.getpid()))
    _signal(_SIGINT, _IGNORE)
    last_probe = None
    while True:
        order = orders.next()
        if order is None:
            _exit(0)
        match protocol.read_order(order):
            case protocol.EndSubmission():
                _exit(0)
            case protocol.RunCell(index, source):
                probe.note_cell(shell.execution_count, index)
                failure = _run_cell(shell, placement, source)
                now = _snapshot()
                patched = [name for name, item in now.items() if watched.get(name) is not item]
                patched += own_code.put_back()
                watched = now
                protocol.send(up, _cell_done(index, failure, budget["dropped"], patched))
            case protocol.ForkProbe() if len(orders.descriptors) >= 2:
                serving = settings["reply_bytes"], settings["forbidden_calls"]
                calls_in, replies_out = orders.descriptors[:2]
                del orders.descriptors[:2]
                last_probe = _start_probe(last_probe, calls_in, replies_out)
                if last_probe == 0:
                    for fd in (orders.fileno(), up):  # the runner's own pipes: not the probe's
                        _close(fd)
                    own_code.put_back()  # again: a thread of the cells may still be at it
                    probe.serve(shell.user_ns, calls_in, replies_out, *serving)
                    _exit(0)
                _close(calls_in)  # with no probe process, the grader sees them close unanswered
                _close(replies_out)


def _run_cell(shell: InteractiveShell, placement: Placement, source: str) -> BaseException | None:
    """Run one cell (or put a shared cell in place): the error it raised, if any."""
    _signal(_SIGINT, _interrupt)
    result = failure = None
    try:
        if not placement.put_in_place(shell, source):
            result = shell.run_cell(source, store_history=True)
    except BaseException as error:  # KeyboardInterrupt between statements
        failure = error
    _signal(_SIGINT, _IGNORE)
    if result is not None:
        failure = result.error_before_exec or result.error_in_exec
    return failure


def _cell_done(
    index: int, failure: BaseException | None, dropped: int, patched: list[str]
) -> protocol.CellDone:
    if failure is None:
        return protocol.CellDone(index, None, None, dropped, patched, None, device_map.taken())
    name = type(failure).__name__[:ERROR_CHARS]
    line = _cell_line(failure)
    return protocol.CellDone(
        index, name, _text(failure), dropped, patched, line, device_map.taken()
    )


def _set_rlimit(which: int, value: int) -> None:
    """Set both limits to ``value``, or to the hard limit the grader's user already has where
    that is lower (an ordinary user may not raise it)."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _start_probe(last_probe: int | None, calls_in: int, replies_out: int) -> int | None:
    """A probe process for the next function's calls (0 in it), after the last one ended;
    None when the runner could not make one, sealed, or none at all (the grader is told why)."""
    _end_probe(last_probe)
    try:
        pid = _fork_probe(first=last_probe is None)
    except OSError as error:  # a runner that cannot be sealed answers no call
        protocol.send(replies_out, protocol.NotSealed(f"the runner could not be sealed: {error}"))
        return None
    if pid is None:
        protocol.send(replies_out, protocol.NotSealed(f"{PROBE_NOT_STARTED} (fork refused)"))
    return pid


def _end_probe(pid: int | None) -> None:
    """End the previous probe process, told to end already, before the next starts: one that
    stopped itself or lingers must not be there for the next function's calls to see."""
    if pid:
        with _suppress(OSError):
            _kill(pid, _SIGKILL)
            _waitpid(pid, 0)
    try:  # and whatever else of the submission's has ended
        while _waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _fork_probe(first: bool) -> int | None:
    """A probe process (0 in it), or None when none can be made; before the ``first``, the
    runner is sealed (:func:`.seal.before_probes`, which raises if it cannot be). A submission
    whose cells used up its processes gets them back: every process they left running is
    ended. A call is never answered from the runner itself, whose memory the next calls start
    from."""
    if first:
        seal.before_probes()
    for attempt in range(FORK_ATTEMPTS):
        try:
            return _fork()
        except OSError:
            if attempt == 0:
                with _suppress(OSError):
                    _kill(-1, _SIGKILL)  # all the runner may signal but itself and the init
            _end_probe(None)
            _sleep(0.01)
    return None


def _mapped_bytes() -> int:
    """This process's address space as it stands (``VmSize``): what the warm process mapped
    for its libraries, touched or not."""
    with open("/proc/self/statm", "rb") as statm:
        pages = int(statm.read().split()[0])
    return pages * resource.getpagesize()


def _cell_line(error: BaseException) -> int | None:
    """The line of the cell where ``error`` came up: its own line for a SyntaxError, else the
    line of the cell's code (its ``<module>`` frame) that was running."""
    try:
        if isinstance(error, SyntaxError):
            return error.lineno if type(error.lineno) is int else None
        frame = error.__traceback__
        while frame is not None:
            if frame.tb_frame.f_code.co_name == "<module>":
                return frame.tb_lineno
            frame = frame.tb_next
    except BaseException:  # a student's exception may defend its attributes
        return None
    return None


def _text(error: BaseException) -> str:
    try:
        return str(error)[:ERROR_CHARS]
    except BaseException:
        return "(its message could not be read)"


def _snapshot() -> dict:
    seen = {}
    for module, names in _WATCHED:
        for name in names:
            seen[f"{module.__name__}.{name}"] = module.__dict__.get(name)
    for module_name in ("json", "numpy", "struct", "pickle"):
        loaded = sys.modules.get(module_name)
        for name in ("dumps", "loads", "pack", "unpack", "frombuffer", "asarray", "array"):
            if loaded is not None and name in loaded.__dict__:
                seen[f"{module_name}.{name}"] = loaded.__dict__[name]
    return seen


def _receive_files(orders: _Orders, settings: dict) -> str:
    """Write the submission's files, sent as frames, into the scratch folder."""
    scratch: str = settings["scratch"]
    os.makedirs(scratch, exist_ok=True)
    while True:
        order = orders.next()
        if order is None:
            raise EOFError("the grader sent no files")
        match protocol.read_order(order):
            case protocol.FilesEnd():
                return scratch
            case protocol.Link(path, target) if _inside(path):
                _make_folder(scratch, path)
                os.symlink(target.decode("utf-8", "replace"), os.path.join(scratch, path))
            case protocol.FilePiece(path, data, mode) if _inside(path):
                _make_folder(scratch, path)
                with open(os.path.join(scratch, path), "ab") as out:
                    out.write(data)
                os.chmod(os.path.join(scratch, path), mode & 0o755)
            case protocol.Link() | protocol.FilePiece():
                pass  # a path outside the scratch folder: not written
            case other:
                raise wire.WireError(f"{type(other).__name__} before the end of the files")


def _inside(path: str) -> bool:
    """Whether ``path`` names a place in the scratch folder (relative, no ``..``)."""
    return not os.path.isabs(path) and ".." not in path.split("/")


def _make_folder(scratch: str, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.join(scratch, path)), exist_ok=True)
