"""``make demo``: the whole pipeline on shipped example data, into one output folder.

1. The reference: why the LSTM exists, the gradient-flow plot (vanilla RNN against LSTM).
2. The instructor releases the LSTM-gates assignment.
3. The sample submissions are graded in the sandbox, with a summary table.
4. A student builds a two-page report (its figure is the plot of step 1).
5. Two sample students bundle their hand-ins; the instructor collects them.
6. The course: both projects checked, marks imported, final grades, LMS exports, feedback mail.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

import reference_lstm as ref

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GRADIENT_STEPS = (1, 10, 25, 50, 100)
DEMO_SEED = 2026  # fixed, so the demo prints the same table every time


def gradient_flow(out: Path) -> Path:
    """Plot |d h_T / d x_1| against T for RNNs and the LSTM; print the plotted figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T = np.arange(1, 101)
    curves = {
        f"vanilla RNN, W_rec = {w:g}": ref.rnn_gradient_norms(w, T_max=100) for w in (0.9, 1.0, 1.1)
    }
    curves["LSTM, forget gate ≈ 0.99"] = ref.lstm_gradient_norms(forget_bias=5.0, T_max=100)

    print("Gradient norm |d h_T / d x_1| over T steps")
    print("  " + "model".ljust(30) + "".join(f"T={t:<10d}" for t in GRADIENT_STEPS))
    for label, norms in curves.items():
        print("  " + label.ljust(30) + "".join(f"{norms[t - 1]:<12.3g}" for t in GRADIENT_STEPS))

    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=150)
    for (label, norms), style in zip(curves.items(), ("--", "-.", ":", "-"), strict=True):
        ax.semilogy(T, norms, style, linewidth=2, label=label)
    ax.set_xlabel("time steps T between the input and the output")
    ax.set_ylabel("gradient norm (log scale)")
    ax.set_title("Vanishing and exploding gradients: plain RNN against LSTM")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "gradient_flow.png"
    fig.savefig(path)
    plt.close(fig)
    print(f"wrote {path}")
    return path


def release(out: Path) -> Path:
    """The instructor releases the LSTM-gates notebook with stubs and self-checks."""
    from grader import assign

    released = assign.release(ROOT / "assignments" / "lstm_gates", out / "release")
    print(f"wrote {released} (students open it in Colab and run check() after each function)")
    return released


def grade_samples(out: Path) -> Path:
    """Grade the sample submissions: full marks, two typical bugs, untouched stubs, a broken
    file; print the summary table."""
    from grader import grade

    assignment = ROOT / "assignments" / "lstm_gates"
    graded = out / "graded"
    shutil.rmtree(graded, ignore_errors=True)  # a re-run grades afresh, with no history
    samples = sorted((EXAMPLES / "submissions").glob("*.ipynb"))
    rows = grade.grade(samples, assignment, graded, seed=DEMO_SEED)
    print(
        grade.summary_table(rows, [f.name for f in grade.assign.load_config(assignment).functions])
    )
    print(
        f"wrote {graded / 'grades.csv'}, {graded / 'gradebook.sqlite'} and a results.json and "
        f"feedback.html per student, e.g. {graded / 'bhavin' / 'feedback.html'}"
    )
    return graded


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


def bundle_and_collect(out: Path) -> Path:
    """Two sample students build their reports and bundles; the instructor collects them."""
    from grader import bundle, collect, report

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
    summary = collect.collect(out / "bundles", out / "submissions", deadline)
    print(
        f"collected {summary.students} students ({summary.late} late, "
        f"{len(summary.rejected)} rejected) into {out / 'submissions'}"
    )
    print(f"all submissions in one PDF: {summary.merged_pdf}")
    return summary.merged_pdf


def course_demo(out: Path, graded_gates: Path) -> None:
    """Issue 14: check both projects of the collected students (beside the rubric), import the
    marks a TA entered in a spreadsheet, compute the final grades with the auto-graded
    assignment of step 3, write the LMS exports and the feedback emails for review."""
    from grader.course import exports, final, mail, marks, pages, project_checks
    from grader.course.book import BOOK_NAME, CourseBook
    from grader.course.config import load_course
    from grader.course.rubric import load_projects

    course = load_course(ROOT / "assignments" / "course.toml")
    projects = load_projects(course.projects_dir)
    graded = out / "course"
    shutil.rmtree(graded, ignore_errors=True)  # a re-run starts clean, no history
    shutil.copytree(graded_gates, graded / "lstm_gates")  # step 3's results, as one component
    runtime = ROOT / projects.runtime
    built = (runtime / ".installed").is_file()
    if not built:
        print(
            f"note: the projects' runtime {runtime.name}/ is not built (make projects-runtime); "
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
        pages.refresh_checks_pages(graded, projects, book)
        marks.export_csv(book, projects, roster, graded / "marks.csv")
        grades = final.final_grades(course, graded, projects.rubric)
        print(final.table(course, grades))
        written = exports.write_all(course, grades, graded / "final")
        print("wrote " + ", ".join(str(p) for p in written))
        messages = mail.build_messages(
            course, grades, projects, book, graded, "LSTM course <lstm-course@example.edu>"
        )
        emls = mail.write_eml(messages, graded / "mail")
    print(f"wrote {len(emls)} feedback emails for review to {graded / 'mail'}/ (send: --send)")
    command = f"grader final --course assignments/course.toml --out {graded}"
    print(f"the same from the command line: {command}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-out", help="output folder (default: demo-out/)")
    out = Path(parser.parse_args(argv).out)
    out.mkdir(parents=True, exist_ok=True)

    print("== 1. Reference LSTM: gradient flow")
    figure = gradient_flow(out)
    print("\n== 2. Instructor: release the assignment")
    release(out)
    print("\n== 3. Instructor: grade the sample submissions in the sandbox")
    graded_gates = grade_samples(out)
    print("\n== 4. Student: a two-page project report")
    project_report(out, figure)
    print("\n== 5. Students bundle their hand-ins; the instructor collects them")
    bundle_and_collect(out)
    print("\n== 6. The course: projects checked and marked, final grades, exports, mail")
    course_demo(out, graded_gates)
    print(f"\nEverything is in {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
