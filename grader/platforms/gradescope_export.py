"""Gradescope's autograder zip: ``setup.sh`` and ``run_autograder`` at its root (Gradescope
unzips it into ``/autograder/source``, runs ``setup.sh`` once as root, copies
``run_autograder`` to ``/autograder``), beside the grader's own wheel and the carried course."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from grader.course.config import Course
from grader.platforms.carried import FOLDER, carry
from grader.platforms.image_build import build_script, run_script
from grader.platforms.results_formats import unstarted
from grader.platforms.wheel import grader_wheel

_EXECUTABLE = 0o755 << 16  # a zip entry's Unix mode, in its external attributes
_PRIVATE = 0o600 << 16


def write_gradescope_zip(course: Course, name: str, out: Path) -> Path:
    """Write the autograder of ``course``'s assignment ``name`` to ``out`` (a .zip)."""
    with tempfile.TemporaryDirectory(prefix="grader-autograder-") as folder:
        staged = Path(folder)
        carry(course, name, staged)
        wheel = grader_wheel(staged)
        partial = out.with_name(f".{out.name}.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry, text in (
                ("setup.sh", build_script(FOLDER, "gradescope")),
                (
                    "run_autograder",
                    run_script("gradescope", "/autograder", unstarted("gradescope")),
                ),
            ):
                info = zipfile.ZipInfo(entry)
                info.external_attr = _EXECUTABLE
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text)
            archive.write(wheel, wheel.name)
            for path in sorted((staged / FOLDER).rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo.from_file(path, path.relative_to(staged).as_posix())
                    info.external_attr = _PRIVATE
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, path.read_bytes())
        partial.replace(out)
    return out
