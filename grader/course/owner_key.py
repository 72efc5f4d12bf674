"""A course's secret key in a file of its own: made once from the system's randomness, readable
by its owner only, and the same for every process that reads it after (blind marking's
pseudonyms, students' variant values)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def owner_only_key(path: Path) -> bytes:
    """The key in ``path``, made there first when there is none."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: of two processes starting at once, one key wins and both read it
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(handle, "wb") as file:
        file.write(secrets.token_bytes(32))  # 256 bits, as HMAC-SHA256 takes
    return path.read_bytes()
