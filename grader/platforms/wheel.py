"""The grader's own wheel, as the instructor runs it, for a platform's image to install: built
from its source folder as the course builds it (``pip wheel --no-deps``: a checkout installed
editable), or the installed distribution packed again file for file (a wheel install)."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import grader
from grader.engine.runtime.runtime_cache import locked
from grader.errors import UserError

DISTRIBUTION = "lstm-course-grader"


def grader_wheel(out: Path) -> Path:
    """The wheel of the grader that runs this, written into the folder ``out``."""
    source = Path(grader.__file__).resolve().parent.parent
    if (source / "pyproject.toml").is_file():  # a checkout, installed editable
        return _built(source, out)
    installed = [
        d for d in importlib.metadata.distributions(name=DISTRIBUTION) if d.read_text("RECORD")
    ]
    if not installed:
        raise UserError(
            f"the grader is not installed as {DISTRIBUTION} (pip install it, or `make venv` in "
            "a checkout): the autograder carries the installed grader's wheel"
        )
    return packed_wheel(installed[0], out)


def _built(source: Path, out: Path) -> Path:
    before = set(out.glob("*.whl"))
    # setuptools builds in the checkout's own build/ folder: a second export at the same time
    # (Gradescope's and PrairieLearn's side by side) deleted files the first was copying.
    with locked(source / "build"):
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
            + ["--disable-pip-version-check", "--wheel-dir", str(out), str(source)],
            capture_output=True,
            text=True,
        )
    made = sorted(set(out.glob("*.whl")) - before)
    if done.returncode != 0 or not made:
        raise UserError(f"could not build the grader's wheel from {source}:\n{done.stderr[-2000:]}")
    return made[0]


def packed_wheel(installed: importlib.metadata.Distribution, out: Path) -> Path:
    """The installed distribution again as a wheel in ``out``, tagged as its own was: each
    file RECORD lists (but the scripts pip made and the compiled caches), and a RECORD of
    their own digests."""
    files = [
        f
        for f in installed.files or []
        if not f.parts[0].startswith("..")
        and "__pycache__" not in f.parts
        and f.name not in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
    ]
    version = installed.version
    name = re.sub(r"[-_.]+", "_", installed.metadata["Name"]).lower()
    said = installed.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in said.splitlines() if line.startswith("Tag:")]
    wheel = out / f"{name}-{version}-{compressed_tag(tags or ['py3-none-any'])}.whl"
    info = next(f.parts[0] for f in files if f.parts[0].endswith(".dist-info"))
    rows = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as packed:
        for file in files:
            data = Path(str(installed.locate_file(file))).read_bytes()
            packed.writestr(file.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            rows.append([file.as_posix(), f"sha256={digest.decode()}", str(len(data))])
        record = f"{info}/RECORD"
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([*rows, [record, "", ""]])
        packed.writestr(record, text.getvalue())
    return wheel


def compressed_tag(tags: list[str]) -> str:
    """The file name's tag of a wheel that declares ``tags`` (``py2.py3-none-any``)."""
    parts = zip(*(tag.split("-") for tag in tags), strict=True)
    return "-".join(".".join(dict.fromkeys(values)) for values in parts)
