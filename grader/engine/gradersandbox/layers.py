"""The sandbox's first step: show the Python runtime at its neutral paths, then start the warm
process.

Run as ``python -I -S layers.py PLAN COMMAND...`` by the Python the runtime was made from,
shown directly at its neutral path only for this step. For each of the runtime's folders, it
mounts a read-only overlay of the host folder, the layer built for it once if there is one,
and the layer of renamed copies (all bound by bubblewrap at staging paths), hides the trusted
packages behind a read-only ``__init__`` that refuses to import, shows the folders the plan
empties empty, detaches the staging binds, and executes ``COMMAND``. Standard library only:
no site-packages are reachable yet.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND = 1, 2, 4, 32, 1 << 12
MNT_DETACH = 2
_LIBC = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        hint = " (overlayfs in a user namespace needs Linux 5.11 or later)" * (what == "overlay")
        raise OSError(error, f"{what}: {os.strerror(error)}{hint}")


def _mount(source: str, target: str, kind: str, flags: int, data: str = "") -> None:
    raw = data.encode() if data else None
    what = "overlay" if kind == "overlay" else target
    _check(_LIBC.mount(source.encode(), target.encode(), kind.encode(), flags, raw), what)


def _detach(target: str) -> None:
    _check(_LIBC.umount2(target.encode(), MNT_DETACH), f"detach {target}")


def assemble(plan: dict) -> None:
    """Mount the plan's overlays and hidden packages; leave no staging bind behind."""
    for target in plan["detach_first"]:  # shown directly only to run this step
        _detach(target)
    for *layers, inside in plan["overlays"]:  # uppermost first
        _mount("overlay", inside, "overlay", MS_RDONLY, f"lowerdir={':'.join(layers)}")
        for layer in layers:
            _detach(layer)
    for package in plan["hidden"]:
        _mount("tmpfs", package, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        with open(os.path.join(package, "__init__.py"), "w") as init:
            init.write(plan["blocked_init"])
        _mount("none", package, "", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for folder in plan["emptied"]:
        _mount("tmpfs", folder, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=755")


def main() -> None:
    with open(sys.argv[1]) as plan:
        assemble(json.load(plan))
    os.execvp(sys.argv[2], sys.argv[2:])


if __name__ == "__main__":
    main()
