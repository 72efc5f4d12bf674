"""A class pushed to an LMS over LTI 1.3: time and requests of `grader final --push lti`.

The platform is the tests' (tests/kits/lti_platform_kit.py: lti1p3platform on 127.0.0.1, Canvas's
score rules), with the class enrolled; the course is the shipped one with a roster of
``--students`` and the three auto-graded assignments graded. Three runs: the first push (line
items made, every score posted), the same again (nothing new), and after ``--changed`` regrades.

    .venv/bin/python benchmarks/lti_push.py --students 200
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from course_kit import auto_result  # noqa: E402
from lti_course_kit import AUTO, large_class, timed  # noqa: E402
from lti_platform_kit import Platform, Serving  # noqa: E402


def main_benchmark() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=50, help="NRPS members per page")
    parser.add_argument("--changed", type=int, default=10, help="regrades before the 3rd run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        out = base / "graded"
        course, ids, people, jwks = large_class(base, args.students, out)
        platform = Platform(jwks, people, page_size=args.page_size)
        with Serving(platform):
            assert timed(course, "lti", "init", *platform.init_flags())[0] == 0
            push = ("final", "--out", str(out), "--push", "lti")
            rows = []
            for name in ("first push", "again, nothing new", f"after {args.changed} regrades"):
                if name.startswith("after"):
                    for student in ids[: args.changed]:
                        auto_result(out, "lstm_gates", student, 100.0)
                before = (platform.requests, platform.token_requests, len(platform.score_posts))
                code, text, seconds = timed(course, *push)
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
