"""The Python runtime as the sandbox shows it: at neutral paths, and no file in it naming a host
path.

The runtime's folders (the virtualenv, the Python it was made from, the folders its ``.pth``
files add) are each shown under :data:`NEUTRAL` as an overlay of two read-only layers: the host
folder, and on top of it a small layer of copies of the files that named a host path (the
checkout, a runtime folder), with those paths replaced by the neutral ones. Such files are
found by a cheap scan of the places that hold them (console scripts and links in ``bin/``,
``pyvenv.cfg``, ``.pth`` files, editable finders, ``direct_url.json``, the build
configuration), never by reading the whole runtime.

bubblewrap binds the host folders and the layers at staging paths; the warm process's first
step (:mod:`grader.engine.gradersandbox.layers`) mounts the overlays, hides the trusted
packages and detaches the staging binds, so ``/proc/self/mountinfo`` names no host folder
either: an overlay shows only the layer paths it was given.
"""

from __future__ import annotations

import dataclasses
import json
import os
import py_compile
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.engine.runtime.counted_compile import (
    compile_counted,
    compileall_command,
    python_sources,
)
from grader.engine.runtime.runtime_cache import base_cache, base_digest
from grader.limits import SHOWN

NEUTRAL = "/opt/python"
STAGING = "/run/python-layers"  # detached before anything but the first step runs
CHECKOUT_SHOWN_AS = "/nonexistent/grader-checkout"  # a folder never shown: named, not reached
# Where the grader's own code was loaded from: a checkout (an editable install's .pth files and
# finders name it) or a site-packages folder of a runtime (renamed with that runtime).
_GRADER_SOURCE = Path(__file__).resolve().parents[3]
SYSTEM = (Path("/usr"),)  # bound at its own path anyway: nothing of it is host-specific
_SCANNED = (
    "pyvenv.cfg",
    "bin/*",
    "lib/python3*/site-packages/*.pth",
    "lib/python3*/site-packages/*.py",
    "lib/python3*/site-packages/*.egg-link",
    "lib/python3*/site-packages/*.dist-info/direct_url.json",
    "lib/python3*/_sysconfigdata*.py",
    "lib/python3*/config-*/Makefile",
    "lib/python3*/config-*/python-config.py",
    "lib/pkgconfig/*.pc",
    "share/jupyter/kernels/*/kernel.json",
    # A folder a .pth file adds may itself be a site-packages folder.
    "*.pth",
    "*.py",
    "*.egg-link",
    "*.dist-info/direct_url.json",
)


@dataclass(frozen=True)
class Shown:
    """A host folder of the runtime and where the sandbox shows it."""

    host: Path
    inside: str
    spellings: tuple[str, ...]  # how host files may name it (resolved or not)
    layer: Path | None = None  # a layer built for it once, between the renamed copies and it


def shown_folders(runtime: Path | None) -> list[Shown]:
    """The runtime's folders, virtualenv first; ``runtime`` None is the grader's own Python."""
    venv = Path(runtime) if runtime else None
    if runtime is None and sys.prefix != sys.base_prefix:
        venv = Path(sys.prefix)
    found: list[Shown] = []
    if venv is not None:
        found.append(_shown(venv, f"{NEUTRAL}/venv"))
        home = venv_home(venv)
        base = home.parent if home else None
    else:
        base = Path(sys.base_prefix)
    if base is not None and base.is_dir():
        found.append(_with_layer(_shown(base, f"{NEUTRAL}/base")))
    for number, folder in enumerate(_pth_folders(venv) if venv else []):
        found.append(_shown(folder, f"{NEUTRAL}/path{number}"))
    kept: list[Shown] = []
    for item in found:
        inside_another = any(item.host.is_relative_to(k.host) for k in kept)
        if not inside_another and not any(item.host.is_relative_to(s) for s in SYSTEM):
            kept.append(item)
    return kept


def _shown(folder: Path, inside: str) -> Shown:
    real = os.path.realpath(folder)
    return Shown(Path(real), inside, tuple(dict.fromkeys((real, str(Path(folder).absolute())))))


def _with_layer(base: Shown) -> Shown:
    """``base`` with the layer built for it (:func:`.runtime_cache.base_cache`), if one was;
    without one, its standard library's bytecode, libpython and its extension modules show its
    host folder."""
    stamp = base_cache(base.host) / "base.json"
    if not stamp.is_file():
        return base
    try:
        built_for = json.loads(stamp.read_text()).get("base")
    except (OSError, ValueError, AttributeError):
        return base
    if built_for != base_digest(base.host):
        return base
    return dataclasses.replace(base, layer=stamp.parent)


def emptied(runtime: Path | None, folders: list[Shown]) -> list[str]:
    """Folders the sandbox shows empty, as it names them: the bytecode of the runtime's
    scripts (``bin/__pycache__``, written on the host whenever a script is imported, naming
    its host path), and the base's ``site-packages`` when the virtualenv does not include
    them (what is there is not the notebook's, and names host paths)."""
    venv = Path(runtime) if runtime else Path(sys.prefix)
    scripts = [venv / "bin" / "__pycache__"] if (venv / "bin" / "__pycache__").is_dir() else []
    config = _config(venv)
    found = list(scripts)
    if "home" in config and config.get("include-system-site-packages") != "true":
        bases = [folder.host for folder in folders if folder.inside == f"{NEUTRAL}/base"]
        found += [p for base in bases for p in base.glob("lib/python3*/site-packages")]
    shown = (inside_path(path, folders) for path in found if path.is_dir())
    return [path for path in shown if path is not None]


def _config(venv: Path) -> dict[str, str]:
    path = venv / "pyvenv.cfg"
    lines = path.read_text(errors="replace").splitlines() if path.is_file() else []
    pairs = (line.partition("=") for line in lines)
    return {key.strip(): value.strip() for key, _, value in pairs}


def venv_home(venv: Path) -> Path | None:
    home = _config(venv).get("home")
    return Path(home) if home and Path(home).is_dir() else None


def _pth_folders(venv: Path) -> list[Path]:
    """Folders the runtime's ``.pth`` files add to its path (an instructor's editable install,
    a shared package folder): the runtime cannot import them unless the sandbox shows them."""
    found = []
    for pth in sorted(venv.glob("lib/python3*/site-packages/*.pth")):
        for line in pth.read_text(errors="replace").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "import ")) and Path(line).is_absolute():
                if Path(line).is_dir():
                    found.append(Path(os.path.realpath(line)))
    return found


def inside_path(path: Path, folders: list[Shown]) -> str | None:
    """Where the sandbox shows host ``path``, or None when it does not."""
    real = Path(os.path.realpath(path))
    for folder in folders:
        if real.is_relative_to(folder.host):
            return str(Path(folder.inside, real.relative_to(folder.host)))
    if any(real.is_relative_to(s) for s in SYSTEM):
        return str(real)
    return None


class Renamer:
    """Replaces every host spelling of a shown folder, and the grader's checkout, by its
    neutral path."""

    def __init__(self, folders: list[Shown], keep_tails: bool = False):
        pairs = [(s, f.inside) for f in folders for s in f.spellings]
        checkout = str(_GRADER_SOURCE)
        if not any(_GRADER_SOURCE.is_relative_to(f.host) for f in folders):
            pairs.append((checkout, CHECKOUT_SHOWN_AS))
        pairs.sort(key=lambda pair: -len(pair[0]))  # a venv inside the checkout first
        self._new = {old.encode(): new.encode() for old, new in pairs}
        # A linker may keep a string as the tail of a longer one (libpython's "3.11.7" is the
        # end of its prefix): with ``keep_tails``, a binary's string keeps its length and its
        # last name, the neutral path followed by slashes and that name, which the layer
        # shows as a link to the folder itself (see :meth:`tails`).
        self._same_length = {}
        for old, new in pairs if keep_tails else ():
            tail = old.rsplit("/", 1)[1]
            if len(new) + 1 + len(tail) <= len(old) and old != checkout:
                padded = new + "/" * (len(old) - len(new) - len(tail)) + tail
                self._same_length[old.encode()] = padded.encode()
        names = b"|".join(re.escape(old.encode()) for old, _ in pairs)
        self._text = re.compile(rb"(" + names + rb")(?![\w.-])")
        # In a binary, a C string keeps its length: the rest of it moves up, NULs fill in.
        self._binary = re.compile(rb"(" + names + rb")(?![\w.-])([^\0]*)\0")
        self.unpatched: list[str] = []  # binaries whose strings are too short to rename

    def text(self, data: bytes) -> bytes:
        return self._text.sub(lambda m: self._new[m[1]], data)

    def binary(self, data: bytes, name: str) -> bytes:
        def rename(match: re.Match) -> bytes:
            if match[1] in self._same_length:
                return self._same_length[match[1]] + match[2] + b"\0"
            new = self._new[match[1]]
            if len(new) > len(match[1]):
                self.unpatched.append(name)
                return match[0]
            return new + match[2] + b"\0" * (len(match[1]) - len(new) + 1)

        return self._binary.sub(rename, data)

    def tails(self) -> set[str]:
        """The last names binaries renamed with ``keep_tails`` keep: each must be a link to
        ``.`` in the neutral folder."""
        return {padded.rsplit(b"/", 1)[1].decode() for padded in self._same_length.values()}


def write_layers(folders: list[Shown], layers: Path) -> list[str]:
    """Write under ``layers/N`` the renamed copies for ``folders[N]``; return the binaries that
    still name a host path (a neutral path longer than the host one)."""
    renamer = Renamer(folders)
    for number, folder in enumerate(folders):
        top = layers / str(number)
        top.mkdir(parents=True)
        for pattern in _SCANNED:
            for entry in folder.host.glob(pattern):
                copy_renamed(entry, top / entry.relative_to(folder.host), renamer)
    return renamer.unpatched


def copy_renamed(
    entry: Path, copy: Path, renamer: Renamer, largest: int = SHOWN.largest_runtime_file_bytes
) -> None:
    if entry.is_symlink():
        target = os.readlink(entry)
        renamed = renamer.text(target.encode()).decode()
        if renamed != target:
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.symlink_to(renamed)
        return
    if not entry.is_file() or entry.stat().st_size > largest:
        return
    data = entry.read_bytes()
    is_binary = data.startswith(b"\x7fELF") or b"\0" in data[:8192]
    renamed_data = renamer.binary(data, str(entry)) if is_binary else renamer.text(data)
    if renamed_data != data:
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(renamed_data)
        copy.chmod(entry.stat().st_mode & 0o777)
        if entry.suffix == ".py":
            _bytecode_as_shown(entry, copy, renamer.text(str(entry).encode()).decode())


def _bytecode_as_shown(source: Path, copy: Path, shown: str) -> None:
    """Put over the host's bytecode of ``source`` (compiled from the host's text, so naming
    host paths in its constants: an editable install's finder names the checkout) bytecode
    compiled from ``copy``, the text the sandbox shows at ``shown``; where this Python's
    bytecode is not the runtime's, an empty file, which Python takes for stale bytecode and
    compiles the shown source instead."""
    for cached in source.parent.glob(f"__pycache__/{source.stem}.*.pyc"):
        target = copy.parent / "__pycache__" / cached.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if cached.name == f"{source.stem}.{sys.implementation.cache_tag}.pyc":
            try:
                py_compile.compile(str(copy), cfile=str(target), dfile=shown, doraise=True)
                continue
            except py_compile.PyCompileError:
                pass
        target.write_bytes(b"")


@dataclass(frozen=True)
class FirstStep:
    """The Python that runs the sandbox's first step (:mod:`.gradersandbox.layers`), before
    the overlays exist: the one the runtime was made from, its folder shown directly at its
    neutral path (the renamed binary over the host one) until that step detaches it."""

    python: str  # as the sandbox names it
    binds: list[str]  # bubblewrap's
    direct: list[str]  # the folders shown directly, as the sandbox names them


def first_step(runtime: Path | None, folders: list[Shown], layers: Path) -> FirstStep:
    venv = Path(runtime) if runtime else Path(sys.prefix)
    home = venv_home(venv) or venv / "bin"
    real = Path(os.path.realpath(home / "python3"))
    for number, folder in enumerate(folders):
        if real.is_relative_to(folder.host):
            inside = str(Path(folder.inside, real.relative_to(folder.host)))
            binds = ["--ro-bind", str(folder.host), folder.inside]
            renamed = layers / str(number) / real.relative_to(folder.host)
            if renamed.is_file():
                binds += ["--ro-bind", str(renamed), inside]
            return FirstStep(inside, binds, [folder.inside])
    return FirstStep(str(real), [], [])  # a system Python, shown at its own path


def plan(
    folders: list[Shown], hidden: list[str], blocked_init: str, direct: list[str], empty: list[str]
) -> str:
    """What the sandbox's first step mounts, as JSON (neutral paths only); ``direct`` are the
    folders bound directly at their neutral path for that step, detached first; ``empty`` the
    folders shown empty. Each overlay is its layers, uppermost first, and where it is shown."""
    return json.dumps(
        {
            "detach_first": direct,
            "overlays": [
                [*(f"{STAGING}/{n}/{layer}" for layer in _layers(folder)), folder.inside]
                for n, folder in enumerate(folders)
            ],
            "hidden": hidden,
            "emptied": empty,
            "blocked_init": blocked_init,
        }
    )


def staging_binds(folders: list[Shown], layers: Path) -> list[str]:
    """bubblewrap's binds of the host folders and their layers at the staging paths."""
    binds = []
    for number, folder in enumerate(folders):
        binds += ["--ro-bind", str(folder.host), f"{STAGING}/{number}/host"]
        binds += ["--ro-bind", str(layers / str(number)), f"{STAGING}/{number}/top"]
        if folder.layer is not None:
            binds += ["--ro-bind", str(folder.layer), f"{STAGING}/{number}/built"]
        binds += ["--dir", folder.inside]
    return binds


def _layers(folder: Shown) -> list[str]:
    return ["top", *(["built"] if folder.layer is not None else []), "host"]


def compile_as_shown(
    venv: Path, changed: list[Path] | None = None, say: Callable[[str], None] = print
) -> None:
    """Compile ``venv``'s modules again as if they lay where the sandbox shows them, saying
    how far it got as it goes: bytecode records the path it was compiled from, and pip wrote
    the host's. Python on the host still reports the real paths (it corrects them on import).
    ``changed``: only these source files (a runtime compiled before, into which packages were
    installed since: the rest keep their bytecode), else every one, a process per core. Files
    that are not Python 3 (templates some packages ship) stay uncompiled, as pip left them."""
    venv = Path(os.path.realpath(venv))
    command = compileall_command(
        venv / "bin" / "python", "-f", "-s", str(venv), "-p", f"{NEUTRAL}/venv"
    )
    if changed is None:
        compile_counted([*command, "-j", "0", str(venv / "lib")], python_sources(venv / "lib"), say)
        return
    with tempfile.NamedTemporaryFile("w", prefix="grader-compile-", suffix=".txt") as listed:
        listed.write("".join(f"{path}\n" for path in changed))
        listed.flush()
        compile_counted([*command, "-i", listed.name], len(changed), say)
