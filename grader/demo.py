"""``make demo``: the whole pipeline on shipped example data, into one output folder.

0. The instructor makes a course folder with ``grader init`` (the example class as its roster,
   this term's deadlines).
1. The example report's figure: the gradient-flow plot (examples/report/gradient_flow.py).
2. The instructor releases every assignment under assignments/.
3. Each assignment's sample submissions are graded in the sandbox, with a summary table.
4. A student builds a two-page report (its figure is the plot of step 1).
5. Two sample students bundle their hand-ins; the instructor collects them.
6. The course: both projects checked, marks imported, final grades, LMS exports, feedback mail.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import re
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

from grader.entry import ended_in_one_line
from grader.errors import UserError

# The repository's example data (not shipped in the wheel): the demo runs from a checkout.
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEMO_SEED = 2026  # fixed, so the demo prints the same table every time
# A component's deadline line in course.toml, as the shipped file writes it.
_DEADLINE = re.compile(r"^(deadline = )(\S+)$", re.MULTILINE)
# The shipped course's deadlines are one term's fixed dates, and the demo's hand-ins are made
# today: the term's first deadline lies at least this far ahead, so they are on time.
FIRST_DEADLINE_AHEAD = timedelta(weeks=3)


def _example_script(script: Path, name: str) -> ModuleType:
    """One of the repository's example scripts, imported by path."""
    spec = importlib.util.spec_from_file_location(name, script)
    if spec is None or spec.loader is None:  # only for a path that is not a Python file
        raise UserError(f"{script} is not a Python script: the demo runs from a checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _figure(out: Path) -> Path:
    """The shipped example report's figure, made by its own script (examples/report/)."""
    script = EXAMPLES / "report" / "gradient_flow.py"
    return _example_script(script, "example_report_figure").make_figure(out)


def make_course(out: Path) -> Path:
    """``grader init``: a course folder, with the example class as its roster."""
    from grader.course.new_course import init_course

    course = out / "course-folder"
    shutil.rmtree(course, ignore_errors=True)  # a re-run starts from a fresh course
    written = init_course(course)
    shutil.copy(EXAMPLES / "course" / "roster.csv", course / "roster.csv")
    set_this_terms_deadlines(course / "course.toml")
    print(
        f"grader init {course}: {len(written)} files; the example class in roster.csv; "
        "this term's deadlines in course.toml"
    )
    return course


def set_this_terms_deadlines(toml: Path) -> None:
    """:func:`this_terms_deadlines` set in the course file ``toml``, rewritten in place (its
    owner and mode kept)."""
    toml.write_text(this_terms_deadlines(toml.read_text(encoding="utf-8")), encoding="utf-8")


def this_terms_deadlines(text: str) -> str:
    """course.toml's ``text`` with every deadline moved by the same whole number of weeks (none
    while the written dates are far enough ahead), so that the first lies at least
    :data:`FIRST_DEADLINE_AHEAD` from now, as an instructor sets this term's dates after
    ``grader init``; their order, spacing, weekday, time of day and UTC offset kept."""
    deadlines = [datetime.fromisoformat(value) for _, value in _DEADLINE.findall(text)]
    if not deadlines:
        return text
    behind = datetime.now(UTC) + FIRST_DEADLINE_AHEAD - min(deadlines)
    shift = timedelta(weeks=max(0, math.ceil(behind / timedelta(weeks=1))))
    return _DEADLINE.sub(
        lambda found: found[1] + (datetime.fromisoformat(found[2]) + shift).isoformat(), text
    )


def assignments(course: Path) -> list[Path]:
    """Every assignment folder of the course."""
    return sorted(p.parent for p in (course / "assignments").glob("*/assignment.toml"))


def release(out: Path, course: Path) -> list[Path]:
    """The instructor releases every assignment's notebook with stubs and self-checks."""
    from grader.assignment.releasing import release as release_one

    released = []
    for folder in assignments(course):
        released.append(release_one(folder, out / "release"))
        print(
            f"wrote {released[-1]} (students open it in Colab and run check() after each function)"
        )
    return released


def grade_samples(out: Path, course: Path) -> Path:
    """Grade each assignment's sample submissions (examples/<name>/: full marks, typical
    bugs, untouched stubs, ...); print a summary table per assignment."""
    from grader.assignment import load_config
    from grader.grading.command import grade
    from grader.grading.summary import summary_table

    graded = out / "graded"
    shutil.rmtree(graded, ignore_errors=True)  # a re-run grades afresh, with no history
    for folder in assignments(course):
        samples = sorted((EXAMPLES / folder.name).glob("*.ipynb"))
        if not samples:
            continue
        config = load_config(folder)
        print(f"-- {config.name}: {config.title} ({len(samples)} sample submissions)")
        rows = grade(samples, folder, graded / config.name, seed=DEMO_SEED).rows
        print(summary_table(rows, config.graded_names))
        print(
            f"wrote {graded / config.name / 'grades.csv'} and a results.json and feedback.html"
            f" per student, e.g. {graded / config.name / rows[0].student / 'feedback.html'}\n"
        )
    return graded


def variants_demo(out: Path, course: Path) -> None:
    """Issue 55: rnn_gradients released per student, each with their own W_rec; asha answers
    on her own numbers, bhavin hands in a copy of asha's notebook. Both graded in the sandbox on
    their own values: asha full marks, bhavin flagged with both names and scored on his."""
    import json

    import nbformat

    from grader.assignment import load_assignment
    from grader.assignment.releasing import released_notebook
    from grader.course.config import load_course
    from grader.grading.command import grade
    from grader.variants.release import release_per_student

    folder = course / "assignments" / "rnn_gradients"
    released, everyone = release_per_student(
        load_assignment(folder),
        load_course(course / "course.toml"),
        out / "release-per-student",
        released_notebook,
    )
    values = {student.student: student.values for student in everyone}
    print(f"released {len(everyone)} notebooks into {released}/, each with its own W_rec:")
    print("    " + ", ".join(f"{s}: {v['W_rec']}" for s, v in values.items()))
    samples = _example_script(EXAMPLES / "make_assignment_samples.py", "example_samples")
    source = nbformat.read(folder / "source.ipynb", as_version=4)
    asha = nbformat.read(released / "asha_rnn_gradients.ipynb", as_version=4)
    hand_ins = out / "variant-hand-ins"
    shutil.rmtree(hand_ins, ignore_errors=True)
    hand_ins.mkdir(parents=True)
    answered = samples.filled(asha, source, {})  # the source's solutions, on asha's W_REC
    for student in ("asha", "bhavin"):  # bhavin hands in a copy of asha's notebook
        nbformat.write(answered, hand_ins / f"{student}.ipynb")
    graded = out / "graded-variants"
    shutil.rmtree(graded, ignore_errors=True)
    for row in grade(sorted(hand_ins.iterdir()), folder, graded, seed=DEMO_SEED).rows:
        results = json.loads((graded / row.student / "results.json").read_text())
        answer = next(t for t in results["tests"] if t["name"] == "steps_to_vanish")
        flags = [line for line in results["output"].splitlines() if line.startswith("Variant")]
        print(f"  {row.student} (W_rec = {values[row.student]['W_rec']}): {row.score:g}/100")
        print(f"    steps_to_vanish {answer['score']:g}/10: {answer['output']}")
        print("".join(f"    {flag}\n" for flag in flags), end="")
    print(f"wrote {graded}/ (results.json and feedback.html per student)")


def project_report(out: Path, figure: Path) -> Path:
    """A student's two-page report, from shipped text and the figure plotted in step 1."""
    from grader import report

    work = out / "report"
    (work / "figures").mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / "report" / "report.md", work / "report.md")
    shutil.copy(figure, work / "figures" / "gradient_flow.png")
    pdf = report.build_report(work / "report.md", work / "report.pdf")
    problems = report.check_pdf(pdf)
    print(f"wrote {pdf} ({'passes --check' if not problems else '; '.join(problems)})")
    return pdf


def bundle_and_collect(out: Path) -> Path | None:
    """Two sample students build their reports and bundles; the instructor collects them; the
    merged PDF of every hand-in (None when no student was collected)."""
    from grader import bundle, intake, report

    shutil.rmtree(out / "bundles", ignore_errors=True)
    for folder in sorted((EXAMPLES / "students").iterdir()):
        work = out / "students" / folder.name
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(folder, work)
        for source in sorted((work / "reports").glob("*.md")):
            report.build_report(source, source.with_suffix(".pdf"))
        made = bundle.build_bundle(work / "submission.toml", out / "bundles")
        print(f"bundled {made.zip_path.name} and {made.pdf_path.name} into {made.zip_path.parent}")
    shutil.rmtree(out / "submissions", ignore_errors=True)  # a re-run starts clean, no history
    deadline = datetime.now().astimezone().replace(microsecond=0) + timedelta(days=7)
    summary = intake.collect(out / "bundles", out / "submissions", deadline)
    print(
        f"collected {summary.students} students ({summary.late} late, "
        f"{len(summary.rejected)} rejected) into {out / 'submissions'}"
    )
    print(f"all submissions in one PDF: {summary.merged_pdf}")
    return summary.merged_pdf


def course_demo(out: Path, course_folder: Path, graded_assignments: Path) -> None:
    """Issue 14: check both projects of the collected students (beside the rubric), import the
    marks a TA entered in a spreadsheet, compute the final grades with the auto-graded
    assignment of step 3, write the LMS exports and the feedback emails for review."""
    from grader.course.config import load_course
    from grader.course.rubric import load_projects
    from grader.gradebook.course_book import BOOK_NAME, CourseBook
    from grader.grading import project_checks
    from grader.lms import exports, final
    from grader.mail import composing as mail
    from grader.marking import marks, pages

    course = load_course(course_folder / "course.toml")
    projects = load_projects(course.projects_dir)
    graded = out / "course"
    shutil.rmtree(graded, ignore_errors=True)  # a re-run starts clean, no history
    for component in course.components:  # step 3's results, one folder per component
        if (graded_assignments / component.id).is_dir():
            shutil.copytree(graded_assignments / component.id, graded / component.id)
    runtime = Path(projects.runtime)
    built = (runtime / ".installed").is_file()
    if not built:
        print(
            f"note: the projects' runtime {runtime.name}/ is not built (grader setup --projects); "
            "the sample notebooks import only numpy and matplotlib, so they run in the grader's "
            "own environment here"
        )
    folders = sorted(p for p in (out / "submissions").iterdir() if (p / "manifest.json").is_file())
    checked = project_checks.check_all(
        folders,
        course.projects_dir,
        graded,
        runtime=runtime if built else None,
        own_environment=not built,
    )
    print(project_checks.summary_table(checked))
    roster = course.roster()
    with CourseBook(graded / BOOK_NAME) as book:
        changes = marks.import_csv(
            book, projects, roster, EXAMPLES / "course" / "marks.csv", by="Kiran Rao (TA)"
        )
        print(f"imported {len(changes)} marks from examples/course/marks.csv")
        mark_written(course, book, roster)
        pages.refresh_checks_pages(graded, projects, book)
        marks.export_csv(book, projects, roster, graded / "marks.csv")
        grades = final.final_grades(course, graded, projects.rubric)
        print(final.table(course, grades))
        written = exports.write_all(course, grades, graded / "final")
        print("wrote " + ", ".join(str(p) for p in written))
        messages = mail.build_messages(
            course, grades, projects, book, graded, f"{course.title} <course@example.edu>"
        )
        emls = mail.write_eml(messages, graded / "mail")
    print(f"wrote {len(emls)} feedback emails for review to {graded / 'mail'}/ (send: --send)")
    command = f"grader final --course {course_folder / 'course.toml'} --out {graded}"
    print(f"the same from the command line: {command}")


def mark_written(course, book, roster) -> None:
    """The written answers of rnn_gradients a TA marked (blind, in `grader serve`'s /written
    pages; here from the spreadsheet they exported): counted in the final grades below."""
    from grader.marking import written_marks

    component = course.component("rnn_gradients")
    asked = written_marks.questions(course, component)
    changes = written_marks.import_csv(
        book, component.id, asked, roster, EXAMPLES / "course" / "written.csv", by="Kiran Rao (TA)"
    )
    print(
        f"imported {len(changes)} marks of {component.id}'s written answers"
        f" ({', '.join(q.id for q in asked)}) from examples/course/written.csv"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-out", help="output folder (default: demo-out/)")
    out = Path(parser.parse_args(argv).out)
    return ended_in_one_line("grader demo", lambda: _demo(out))


def _demo(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)

    print("== 0. Instructor: a course folder")
    course = make_course(out)
    print("\n== 1. The example report's figure: gradient flow")
    figure = _figure(out)
    print("\n== 2. Instructor: release the assignments")
    release(out, course)
    print("\n== 3. Instructor: grade the sample submissions in the sandbox")
    graded_assignments = grade_samples(out, course)
    print("\n== 3b. Per-student variants: every student their own numbers (rnn_gradients' W_rec)")
    variants_demo(out, course)
    print("\n== 4. Student: a two-page project report")
    project_report(out, figure)
    print("\n== 5. Students bundle their hand-ins; the instructor collects them")
    bundle_and_collect(out)
    print("\n== 6. The course: projects checked and marked, final grades, exports, mail")
    course_demo(out, course, graded_assignments)
    print(f"\nEverything is in {out}/")
    print(
        "\n== 7. The dashboard, project marking and blind marking of written answers"
        " (/written) in the browser:\n"
        f"    .venv/bin/grader serve --course {course / 'course.toml'} --out {out / 'course'}"
        " --add-marker 'Kiran Rao (TA)'\n"
        "   (it prints the instructor's token and the TA's: the TA marks, blind where the course"
        " is, and cannot see grades or reveal)"
    )
    print(
        "\n== 8. Feedback by return mail while the deadline is open, on the course's mailbox\n"
        "   (the demo stays offline; with a real mailbox and its SMTP server):\n"
        "    GRADER_IMAP_PASSWORD=... GRADER_SMTP_PASSWORD=... .venv/bin/grader watch \\\n"
        "        imaps://course@imap.example.edu/INBOX \\\n"
        "        --from 'LSTM course <course@example.edu>' \\\n"
        f"        --course {course / 'course.toml'} --out {out / 'watch'} \\\n"
        "        --smtp-host smtp.example.edu"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
