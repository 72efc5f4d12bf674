"""A class pushed to an LMS over LTI 1.3: time and requests of `grader final --push lti`.

The platform is the tests' (tests/kits/lti_platform_kit.py: lti1p3platform on 127.0.0.1, Canvas's
score rules), with the class enrolled; the course is the shipped one with a roster of
``--students`` and the three auto-graded assignments graded. Three runs: the first push (line
items made, every score posted), the same again (nothing new), and after ``--changed`` regrades.

    .venv/bin/python benchmarks/lti_push.py --students 200
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from course_kit import auto_result, make_course  # noqa: E402
from lti_platform_kit import INSTRUCTOR, Platform, Serving, member  # noqa: E402

from grader.cli import main  # noqa: E402

AUTO = ("lstm_gates", "rnn_gradients", "lstm_backward")


def run(course_file: Path, *args: str) -> tuple[int, str, float]:
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--course", str(course_file)])
    return code, out.getvalue() + err.getvalue(), time.perf_counter() - start


def main_benchmark() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=50, help="NRPS members per page")
    parser.add_argument("--changed", type=int, default=10, help="regrades before the 3rd run")
    args = parser.parse_args()
    ids = [f"ST{n:05d}" for n in range(args.students)]
    roster = "id,name,email,role\n" + "".join(
        f"{i},Student {i},{i.lower()}@example.edu,student\n" for i in ids
    )
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        course, _ = make_course(base, roster=roster)
        out = base / "graded"
        for n, student in enumerate(ids):
            for k, component in enumerate(AUTO):
                auto_result(out, component, student, float((n * 7 + k * 13) % 101))
        people = [member(f"u{i}", f"Student {i}", f"{i.lower()}@example.edu", i) for i in ids]
        people.append(member("u-prof", "Prof", "prof@example.edu", role=INSTRUCTOR))
        assert run(course.path, "lti", "init")[0] == 0
        jwks = json.loads((course.lti_dir / "tool-jwks.json").read_text())
        platform = Platform(jwks, people, page_size=args.page_size)
        with Serving(platform):
            assert run(course.path, "lti", "init", *platform.init_flags())[0] == 0
            push = ("final", "--out", str(out), "--push", "lti")
            rows = []
            for name in ("first push", "again, nothing new", f"after {args.changed} regrades"):
                if name.startswith("after"):
                    for student in ids[: args.changed]:
                        auto_result(out, "lstm_gates", student, 100.0)
                before = (platform.requests, platform.token_requests, len(platform.score_posts))
                code, text, seconds = run(course.path, *push)
                line = next(x for x in text.splitlines() if x.startswith("LMS:"))
                rows.append(
                    (
                        name,
                        code,
                        seconds,
                        platform.requests - before[0],
                        platform.token_requests - before[1],
                        len(platform.score_posts) - before[2],
                        line,
                    )
                )
    print(
        f"{args.students} students, {len(AUTO)} graded components, NRPS pages of {args.page_size}"
    )
    for name, code, seconds, requests, tokens, scores, line in rows:
        print(
            f"  {name}: exit {code}, {seconds:.2f} s (with final's table and files), "
            f"{requests} service requests + {tokens} token, {scores} scores posted\n    {line}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main_benchmark())
