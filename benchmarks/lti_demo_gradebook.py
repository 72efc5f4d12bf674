"""The demo course pushed over LTI 1.3: does the LMS's gradebook equal `grader final`'s?

After ``make demo`` (or ``python -m grader.demo --out DEMO``): the demo's course is registered
with the tests' platform (tests/kits/lti_platform_kit.py, 127.0.0.1), its roster enrolled (SIS id =
roster id), ``grader final --push lti --push-total`` run, and every score the platform holds
compared with the demo's ``canvas-import.csv`` (the file an instructor would upload by hand).
Works on a copy: the demo's folders are left as they are.

    .venv/bin/python benchmarks/lti_demo_gradebook.py demo-out
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from lti_platform_kit import LEARNER, TA, Platform, Serving, member  # noqa: E402

from grader.cli import main  # noqa: E402
from grader.course.config import load_course  # noqa: E402


def quiet(*args: str) -> tuple[int, str]:
    text = io.StringIO()
    with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
        code = main(list(args))
    return code, text.getvalue()


def main_check() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("demo", type=Path, help="the demo's output folder (make demo: demo-out)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        shutil.copytree(args.demo / "course-folder", base / "course-folder")
        shutil.copytree(args.demo / "course", base / "course")
        course = load_course(base / "course-folder" / "course.toml")
        flags = ["--course", str(course.path)]
        roster = course.roster()
        people = [
            member(f"u-{p.id}", p.name, p.emails[0], p.id, role=TA if p.is_staff else LEARNER)
            for p in roster.people
        ]
        assert quiet("lti", "init", *flags)[0] == 0
        jwks = json.loads((course.lti_dir / "tool-jwks.json").read_text())
        platform = Platform(jwks, people)
        with Serving(platform):
            assert quiet("lti", "init", *platform.init_flags(), *flags)[0] == 0
            out = str(base / "course")
            code, text = quiet("final", "--out", out, "--push", "lti", "--push-total", *flags)
        print(next(line for line in text.splitlines() if line.startswith("LMS:")), f"(exit {code})")
        with (base / "course" / "final" / "canvas-import.csv").open(encoding="utf-8") as stream:
            rows = list(csv.reader(stream))
    titles = rows[0][5:]
    by_title = {item["label"]: item for item in platform.line_items.values()}
    differences = 0
    compared = 0
    for row in rows[2:]:
        user = f"u-{row[2]}"
        for title, cell in zip(titles, row[5:], strict=True):
            item = by_title.get(title)
            result = platform.results.get((item["id"], user)) if item else None
            held = None if result is None else round(result["resultScore"], 2)
            compared += 1
            if held != float(cell):
                differences += 1
                print(f"  {row[2]} {title}: canvas-import.csv {cell}, the LMS holds {held}")
    print(
        f"{len(rows) - 2} students x {len(titles)} columns: {compared - differences} equal, "
        f"{differences} different"
    )
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main_check())
