"""How `grader final --push lti` ends when the LMS fails, with the default limits: the time until
each failure ends the command, against a push to a healthy LMS in the same process.

The platform is the tests' (tests/kits/lti_platform_kit.py, answering as Canvas does); a class
of ``--students`` with the three auto-graded assignments graded. Runs: a healthy first push
(the baseline), then each on a fresh gradebook: Canvas's throttle (403) for a few requests, a
score stored and answered after the tool's time-out, an outage (503) after ``--down-after``
scores, and an LMS that never answers. For each: exit status, seconds, its ratio to the
baseline, the scores the LMS holds, and the last line the command printed.

    .venv/bin/python benchmarks/lti_outages.py --students 200
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from lti_course_kit import AUTO, large_class, timed  # noqa: E402
from lti_platform_kit import Platform, Serving  # noqa: E402

from grader import limits  # noqa: E402


def held(platform: Platform) -> int:
    return sum(1 for result in platform.results.values() if result["resultScore"] is not None)


def main_benchmark() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--down-after", type=int, default=20, help="scores before the outage")
    args = parser.parse_args()

    def down_after(platform: Platform) -> None:
        platform.on_score = lambda count: setattr(
            platform, "outage", platform.outage or count == args.down_after
        )

    scenarios: list[tuple[str, Callable[[Platform], None]]] = [
        ("healthy (baseline)", lambda p: None),
        ("Canvas throttle 403 x5", lambda p: setattr(p, "throttle_403", 5)),
        (
            "score answered after the time-out",
            lambda p: (
                setattr(p, "late_answers", 1),
                setattr(p, "late_s", limits.LTI.request_timeout_s + 1),
            ),
        ),
        (f"503 outage after {args.down_after} scores", down_after),
        ("never answers", lambda p: setattr(p, "silent", True)),
    ]
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        graded = base / "graded-template"
        course, _, people, jwks = large_class(base, args.students, graded)
        rows = []
        baseline = 0.0
        for name, arrange in scenarios:
            out = base / f"graded-{len(rows)}"
            shutil.copytree(graded, out)
            platform = Platform(jwks, people, page_size=50)
            with Serving(platform):
                assert timed(course, "lti", "init", *platform.init_flags())[0] == 0
                arrange(platform)
                try:
                    code, text, seconds = timed(course, "final", "--out", str(out), "--push", "lti")
                finally:
                    platform.silent = False
                    platform.outage = False
            baseline = baseline or seconds
            last = [x for x in text.splitlines() if x.startswith(("LMS:", "grader final:"))]
            notes = sum(x.startswith("note: waiting") for x in text.splitlines())
            rows.append((name, code, seconds, held(platform), notes, last[-1] if last else ""))
    print(
        f"{args.students} students, {args.students * len(AUTO)} scores; limits: "
        f"request_timeout_s={limits.LTI.request_timeout_s:g}, give_up_s={limits.LTI.give_up_s:g}"
    )
    for name, code, seconds, count, notes, last in rows:
        print(
            f"{name:36} exit {code}  {seconds:6.1f} s  x{seconds / baseline:4.2f} of baseline  "
            f"held {count}  waiting notes {notes}\n    {last}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main_benchmark())
