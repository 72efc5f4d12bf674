"""The marker's page of a written question, and a save on it, with one huge answer in the class.

    .venv/bin/python benchmarks/written_answer_page.py [--megabytes 5] [--repeat 3]

Makes a course whose four students' answers are recorded as ``grader grade`` records them, one
of them an answer of ``--megabytes`` of distinct ``$...$`` formulas, starts ``grader serve`` on
it and times, over HTTP as a browser sends them: the page of a question whose answers are all
ordinary (the baseline, in the same run), the page with the huge answer, and a save of one mark
on that page. Prints each median and its ratio to the baseline (issue 52: both under a second).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

import nbformat  # noqa: E402
from web_kit import TOKEN, serving  # noqa: E402
from written_kit import QUESTION, with_written_question  # noqa: E402

from grader import assignment as assign  # noqa: E402
from grader.assignment import releasing, written  # noqa: E402
from grader.marking.written_answers import record_submission  # noqa: E402

ROSTER = "id,name,email,role\ns1,Asha Verma,a@example.edu,\ns2,Bhavin Shah,b@example.edu,\n"
COURSE = """[course]
title = "Huge answers"
roster = "roster.csv"
[late]
penalty_per_day = 10
[[component]]
id = "{id}"
title = "{id}"
kind = "auto"
weight = 1
"""


def formulas(megabytes: float) -> str:
    """Distinct formulas, one after another, to ``megabytes`` of text."""
    parts, size, n = [], 0, 0
    while size < megabytes * 1_000_000:
        part = f"Step {n}: $x_{{{n}}} = \\frac{{{n}}}{{y^{{{n % 97}}}}}$. "
        parts.append(part)
        size += len(part)
        n += 1
    return "".join(parts)


def make_course(base: Path, answer: str, component: str) -> tuple[Path, Path]:
    folder = base / component
    folder.mkdir()
    (folder / "course.toml").write_text(COURSE.format(id=component))
    (folder / "roster.csv").write_text(ROSTER)
    assignment = with_written_question(folder / component)
    released = nbformat.read(
        releasing.release(assignment, base / f"release-{component}"), as_version=4
    )
    questions = written.questions_of(assign.load_config(assignment))
    out = base / f"graded-{component}"
    for student, text in (("s1", answer), ("s2", "It forgets nothing: $f_t = 1$.")):
        written.answer_cells(released)[QUESTION].source = text
        path = base / f"{component}-{student}.ipynb"
        nbformat.write(released, path)
        record_submission(out / component, student, path, student, questions)
    return folder, out


class Browser:
    """Cookies and forms over HTTP, as the marker's browser sends them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.get(f"/?token={TOKEN}")

    def get(self, path: str) -> str:
        with self.opener.open(self.url + path, timeout=600) as answer:
            return answer.read().decode()

    def post(self, path: str, form: dict[str, str]) -> str:
        data = urllib.parse.urlencode(form).encode()
        sent = urllib.request.Request(self.url + path, data, headers={"Origin": self.url})
        with self.opener.open(sent, timeout=600) as answer:
            return answer.read().decode()


def timed(action, repeat: int) -> float:
    action()  # the first: caches warm, as a marker's second visit
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(base: Path, answer: str, component: str, repeat: int) -> tuple[float, float]:
    folder, out = make_course(base, answer, component)
    page = f"/written/{component}/{QUESTION}"
    with serving(folder, out, log=base / f"serve-{component}.log") as url:
        browser = Browser(url)
        shown = timed(lambda: browser.get(page), repeat)
        csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get(page)).group(1)
        marks = iter(range(1_000_000))

        def save() -> None:
            points = str(next(marks) % 2)
            form = {"csrf": csrf, "points:s1": points, "was:points:s1": "x"}
            form |= {"comment:s1": "", "was:comment:s1": ""}
            browser.post(page, form)

        saved = timed(save, repeat)
    return shown, saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        huge = formulas(args.megabytes)
        page0, save0 = measure(
            base, "The cell state is kept: $C_t = C_{t-1}$.", "small", args.repeat
        )
        page1, save1 = measure(base, huge, "huge", args.repeat)
    print(f"answer: {len(huge):,} characters of distinct formulas")
    print(f"page, ordinary answers (baseline): {page0:.3f} s; save: {save0:.3f} s")
    print(f"page, with the huge answer:        {page1:.3f} s ({page1 / page0:.1f}x the baseline)")
    print(f"save, with the huge answer:        {save1:.3f} s ({save1 / save0:.1f}x the baseline)")
    verdict = "under" if max(page1, save1) < 1 else "OVER"
    print(f"both {verdict} a second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
