"""A class's project hand-ins made of the notebooks of :mod:`project_notebooks` (each student
two projects, as ``grader collect`` leaves them: a folder with ``manifest.json`` and the
notebooks), and a light projects' runtime for the tests (a virtualenv whose site-packages point
at the grader's, so it has IPython and torch but not TensorFlow, pandas or scikit-learn: the
notebooks stop where they import those, quickly; the Colab-like one takes minutes to build)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

from project_notebooks import Kit, keras_forecaster, numpy_lstm, pytorch_classifier, without_lstm

from grader.intake.manifest import MANIFEST_SCHEMA

# student -> (project 1, project 2), clean or with a pitfall planted
CLASS: dict[str, tuple[Callable[[], Kit], Callable[[], Kit]]] = {
    "s00": (keras_forecaster, pytorch_classifier),
    "s01": (lambda: keras_forecaster("scaler-fit-before-split"), numpy_lstm),
    "s02": (lambda: pytorch_classifier("test-as-validation"), lambda: without_lstm("GRU")),
    "s03": (lambda: numpy_lstm("metric-on-scaled-values"), lambda: without_lstm("Dense")),
}


def hand_in(folder: Path, student: str, kits: tuple[Kit, ...]) -> Path:
    """``folder/student``: the student's projects as ``grader collect`` placed them."""
    own = folder / student
    own.mkdir(parents=True)
    entries = []
    for number, kit in enumerate(kits, 1):
        name = f"project{number}.ipynb"
        kit.write(own / name)
        entries.append({"title": f"{student}'s project {number}", "notebook": name})
    files = {
        e["notebook"]: hashlib.sha256((own / e["notebook"]).read_bytes()).hexdigest()
        for e in entries
    }
    at = "2026-11-20T10:00:00+00:00"
    manifest = {
        "schema": MANIFEST_SCHEMA,
        "student": {"id": student, "name": f"Student {student}", "email": f"{student}@uni.example"},
        "projects": entries,
        "files": files,
        "created": at,
        "submitted_at": at,
        "late": False,
        "source": f"{student}.zip",
        "missing": [],
    }
    (own / "manifest.json").write_text(json.dumps(manifest))
    return own


def project_class(folder: Path) -> list[Path]:
    """Every student of :data:`CLASS` handed in under ``folder``; their folders."""
    return [hand_in(folder, s, tuple(make() for make in kits)) for s, kits in CLASS.items()]


def light_runtime(folder: Path) -> Path:
    """A projects' runtime in ``folder``: a virtualenv seeing the grader's packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next((folder / "lib").glob("python3*/site-packages"))
    (site / "grader_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return folder


def untimed(checks: dict) -> dict:
    """A project's checks without the run's duration, which differs from run to run."""
    run = checks.get("notebook", {}).get("run")
    if run is not None:
        run.pop("duration_s")
    return checks
