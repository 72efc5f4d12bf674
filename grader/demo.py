"""``make demo``: the whole pipeline on shipped example data, into one output folder.

1. The reference: why the LSTM exists, the gradient-flow plot (vanilla RNN against LSTM).
2. The instructor releases the LSTM-gates assignment.
3. The sample submissions are graded in the sandbox, with a summary table.
4. A student builds a two-page report (its figure is the plot of step 1).
5. Two sample students bundle their hand-ins; the instructor collects them.
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
    grade_samples(out)
    print("\n== 4. Student: a two-page project report")
    project_report(out, figure)
    print("\n== 5. Students bundle their hand-ins; the instructor collects them")
    bundle_and_collect(out)
    print(f"\nEverything is in {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
