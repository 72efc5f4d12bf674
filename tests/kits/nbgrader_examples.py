"""nbgrader's own example notebooks, taken at test time from the pinned nbgrader wheel on the
package registry (the wheel carries its documentation's ``source/ps1``): what an nbgrader
instructor really writes, not our idea of it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# The pinned distribution: its version and the wheel's sha256 (pip checks it).
NBGRADER = "nbgrader==0.9.6"
NBGRADER_WHEEL_SHA256 = "8a185fe53cab78363102862e3d845c48b26823f349482ea9209426bdae5bd75f"
PS1 = "nbgrader/docs/source/user_guide/source/ps1/"


def nbgrader_ps1(folder: Path) -> Path:
    """``folder/ps1`` holding nbgrader's example problem set (problem1.ipynb, problem2.ipynb)."""
    out = folder / "ps1"
    if out.is_dir():
        return out
    wanted = folder / "requirements.txt"
    wanted.write_text(f"{NBGRADER} --hash=sha256:{NBGRADER_WHEEL_SHA256}\n")
    download = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
        + ["--require-hashes", "-r", str(wanted), "-d", str(folder / "wheel"), "--quiet"],
        capture_output=True,
        text=True,
    )
    if download.returncode != 0:
        pytest.fail(f"pip could not download {NBGRADER} from the registry:\n{download.stderr}")
    (wheel,) = (folder / "wheel").glob("nbgrader-*.whl")
    out.mkdir()
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.startswith(PS1) and name.endswith(".ipynb"):
                (out / name.removeprefix(PS1)).write_bytes(archive.read(name))
    return out
