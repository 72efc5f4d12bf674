"""Every dotted path that names a forbidden object, learnt once from the real packages.

``torch.nn.Linear`` is also ``torch.nn.modules.Linear`` and ``torch.nn.modules.linear.Linear``.
Rather than guess, a separate trusted process imports the forbidden objects' packages (never the
student's code), and lists every module attribute that *is* each object, plus its
``__module__.__qualname__``. The answer is kept for the life of the process. Where a package
is not installed on the grader's side, a path still matches when it starts with the forbidden
name's package and ends with its last part (``torch.nn.<anything>.Linear``).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from grader.limits import FORBIDDEN

# Runs in a child interpreter: argv[1] is a JSON list of dotted names; prints {name: [paths]}.
_ALIASES_SCRIPT = r"""
import importlib, json, sys

def find(name):
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except Exception:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise LookupError(name)

found = {}
for name in json.loads(sys.argv[1]):
    paths = {name}
    try:
        obj = find(name)
    except Exception:
        found[name] = sorted(paths)
        continue
    if hasattr(obj, "__module__") and hasattr(obj, "__qualname__"):
        paths.add(f"{obj.__module__}.{obj.__qualname__}")
    top = name.split(".")[0]
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name == top or module_name.startswith(top + ".")):
            continue
        if module is obj:
            paths.add(module_name)
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        paths.update(f"{module_name}.{key}" for key, value in items if value is obj)
    found[name] = sorted(paths)
print(json.dumps(found))
"""


_KNOWN: dict[str, frozenset[str]] = {}  # name -> its paths, learnt once per process


def aliases(names: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """``name -> every dotted path naming the same object`` (just ``{name}`` if unknown).

    Names not seen before in this process are learnt together, in one child interpreter."""
    missing = [name for name in dict.fromkeys(names) if name not in _KNOWN]
    if missing:
        try:
            done = subprocess.run(
                [sys.executable, "-c", _ALIASES_SCRIPT, json.dumps(missing)],
                capture_output=True,
                text=True,
                timeout=FORBIDDEN.aliases_timeout_s,
                check=True,
            )
            found = json.loads(done.stdout.strip().splitlines()[-1])
        except (subprocess.SubprocessError, OSError, ValueError, IndexError):
            found = {}
        for name in missing:
            _KNOWN[name] = frozenset(found.get(name, [name]))
    return {name: _KNOWN[name] for name in names}


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


@dataclass(frozen=True)
class Forbidden:
    """What a notebook may not use: modules (anywhere) and objects (in graded functions)."""

    modules: tuple[str, ...]
    objects: tuple[str, ...]  # configured dotted names

    @classmethod
    def from_config(cls, imports: Iterable[str], calls: Iterable[str]) -> Forbidden:
        return cls(tuple(imports), tuple(dict.fromkeys(calls)))

    def module(self, path: str) -> str | None:
        """The forbidden module ``path`` is in or under, if any."""
        return next((m for m in self.modules if _under(path, m)), None)

    def object(self, path: str) -> str | None:
        """The configured forbidden object that ``path`` names (or is an attribute of)."""
        return _forbidden_object(self, path)


# A graded function names the same few paths (np.tanh, torch.sigmoid) thousands of times.
@functools.lru_cache(maxsize=4096)
def _forbidden_object(forbidden: Forbidden, path: str) -> str | None:
    for name in forbidden.objects:
        package, _, last = name.rpartition(".")
        if _under(path, name) or (
            package and path.startswith(package + ".") and path.endswith("." + last)
        ):
            return name
    # Only a path into a forbidden object's package needs its other names, so a notebook
    # that never reaches torch from a graded function never pays for importing it.
    candidates = [n for n in forbidden.objects if path.split(".")[0] == n.split(".")[0]]
    for name, paths in aliases(tuple(candidates)).items():
        if any(_under(path, p) for p in paths):
            return name
    return None
