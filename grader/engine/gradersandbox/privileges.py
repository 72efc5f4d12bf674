"""The runner's privileges: it is root of the sandbox's user namespace; student code keeps
none."""

from __future__ import annotations

import ctypes

# Capabilities: the runner is root of the sandbox's user namespace; student code keeps none.
_PR_CAPBSET_DROP, _PR_SET_SECUREBITS, _PR_SET_NO_NEW_PRIVS = 24, 28, 38
_SECUREBITS = 0x2F  # no root privileges on exec, no fix-up on uid change, all locked


def drop_privileges() -> None:
    """Drop every capability, for good, and allow no new privileges: before the first cell."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    if libc.prctl(_PR_SET_SECUREBITS, _SECUREBITS, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "securebits")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    if libc.capset(header, data) != 0:  # nothing effective, permitted, inherited
        raise OSError(ctypes.get_errno(), "capset")
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
