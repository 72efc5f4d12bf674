"""A disk that fills: a shell line run with a folder made a small tmpfs, nearly full, in a mount
and pid namespace of its own (root only: the tests that use it skip otherwise)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

needs_root_mounts = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="mounts a tmpfs: needs root"
)


def with_full(
    folder: Path, then: str, size: str = "1M", taken: int = 1_000_000, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """``then`` (a shell line) with ``folder`` a tmpfs of ``size`` whose ``taken`` bytes are
    held by the file ``$FILLER``."""
    script = (
        f'mount -t tmpfs -o size={size} tmpfs "{folder}" && '
        f'export FILLER="{folder}/filler" && head -c {taken} /dev/zero > "$FILLER"; {then}'
    )
    return subprocess.run(
        ["unshare", "--mount", "--pid", "--fork", "--mount-proc", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
        check=False,
    )
