"""Report sources written here (front matter, the six sections, a real matplotlib figure) and
notebooks of report cells, for the tests in tests/report/."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import matplotlib
import nbformat

from grader.report import SECTIONS

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the non-interactive backend)

REPO = Path(__file__).resolve().parents[2]
COLAB = "https://colab.research.google.com/drive/1TestNotebookId"


def plot_png(path: Path | None = None, decay: float = 0.97) -> bytes:
    """A real matplotlib figure, as PNG bytes (and written to path if given)."""
    fig, ax = plt.subplots(figsize=(5, 2.5))
    ax.plot(range(50), [decay**t for t in range(50)], color="tab:red", label="LSTM")
    ax.plot(range(50), [0.8**t for t in range(50)], color="tab:blue", label="RNN")
    ax.set_yscale("log")
    ax.legend()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def front_matter(**overrides: str) -> str:
    meta = {
        "title": "Gates and Gradients",
        "author": "Ravi Kumar",
        "student_id": "'0042'",
        "course": "Sequence Models",
        "project": "LSTM from scratch",
        "colab": COLAB,
    } | overrides
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in meta.items() if v is not None) + "---\n"


def body(sections: list[tuple[str, str]]) -> str:
    return "".join(f"\n# {name}\n\n{text}\n" for name, text in sections)


def standard_sections(**texts: str) -> list[tuple[str, str]]:
    default = {
        "Introduction": "The LSTM keeps a cell state [1].",
        "Problem Statement": "Predict the sum of two marked numbers.",
        "Results and Discussion": "The LSTM reached a test MSE of 0.002.",
        "Data Visualization": "![Gradient norm against sequence length.](figures/flow.png)",
        "Conclusion and Future Direction": "Gating helps; next, a GRU.",
        "References": "1. S. Hochreiter and J. Schmidhuber, Long short-term memory, 1997.",
    }
    return [(name, texts.get(name, default[name])) for name in SECTIONS]


def write_source(folder: Path, text: str) -> Path:
    plot_png(folder / "figures" / "flow.png")
    source = folder / "report.md"
    source.write_text(text, encoding="utf-8")
    return source


def notebook_with(cells: list, tmp_path: Path) -> Path:
    notebook = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / "project.ipynb"
    nbformat.write(notebook, path)
    return path


def report_cells(data_visualization: str = "The plot shows the gradient norm.") -> list:
    texts = dict(standard_sections(**{"Data Visualization": data_visualization}))
    return [nbformat.v4.new_markdown_cell(front_matter() + "\n# Gates and Gradients")] + [
        nbformat.v4.new_markdown_cell(f"## {name}\n\n{text}") for name, text in texts.items()
    ]


def page_lines(pdf: Path, page: int) -> list[str]:
    """The non-blank lines ``pdftotext`` reads on one page of ``pdf``, stripped."""
    text = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), pdf, "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.strip() for line in text.splitlines() if line.strip()]
