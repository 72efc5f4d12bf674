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
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from course_kit import auto_result, make_course  # noqa: E402
from lti_platform_kit import INSTRUCTOR, Platform, Serving, member  # noqa: E402

from grader import limits  # noqa: E402
from grader.cli import main  # noqa: E402

AUTO = ("lstm_gates", "rnn_gradients", "lstm_backward")


def run(course_file: Path, *args: str) -> tuple[int, str, float]:
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--course", str(course_file)])
    return code, out.getvalue() + err.getvalue(), time.perf_counter() - start


def held(platform: Platform) -> int:
    return sum(1 for result in platform.results.values() if result["resultScore"] is not None)


def main_benchmark() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--down-after", type=int, default=20, help="scores before the outage")
    args = parser.parse_args()
    ids = [f"ST{n:05d}" for n in range(args.students)]
    roster = "id,name,email,role\n" + "".join(
        f"{i},Student {i},{i.lower()}@example.edu,student\n" for i in ids
    )
    people = [member(f"u{i}", f"Student {i}", f"{i.lower()}@example.edu", i) for i in ids]
    people.append(member("u-prof", "Prof", "prof@example.edu", role=INSTRUCTOR))

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
        course, _ = make_course(base, roster=roster)
        graded = base / "graded-template"
        for n, student in enumerate(ids):
            for k, component in enumerate(AUTO):
                auto_result(graded, component, student, float((n * 7 + k * 13) % 101))
        assert run(course.path, "lti", "init")[0] == 0
        jwks = json.loads((course.lti_dir / "tool-jwks.json").read_text())
        rows = []
        baseline = 0.0
        for name, arrange in scenarios:
            out = base / f"graded-{len(rows)}"
            shutil.copytree(graded, out)
            platform = Platform(jwks, people, page_size=50)
            with Serving(platform):
                assert run(course.path, "lti", "init", *platform.init_flags())[0] == 0
                arrange(platform)
                try:
                    code, text, seconds = run(
                        course.path, "final", "--out", str(out), "--push", "lti"
                    )
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
