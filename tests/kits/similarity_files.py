"""Writing the synthetic class (tests/kits/similarity_class.py) to disk as real people's files.

Notebooks as Colab saves them (nbformat v4 JSON, a figure as a display_data PNG output), report
PDFs typeset by ReportLab, and student folders as ``grader collect`` leaves them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from similarity_class import Student


def notebook_json(cells: list[tuple[str, str]], figure: bytes | None) -> str:
    """An nbformat v4 notebook as Colab saves it; the figure is the last code cell's output."""
    out = []
    for kind, source in cells:
        cell = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell |= {"execution_count": None, "outputs": []}
        out.append(cell)
    if figure is not None:
        plot = "import matplotlib.pyplot as plt\nplt.plot(series)\nplt.show()"
        out.append(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": 9,
                "source": plot.splitlines(keepends=True),
                "outputs": [
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {
                            "image/png": base64.b64encode(figure).decode(),
                            "text/plain": ["<Figure size 640x480 with 1 Axes>"],
                        },
                    }
                ],
            }
        )
    notebook = {
        "cells": out,
        "metadata": {"colab": {"provenance": []}, "kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 0,
    }
    return json.dumps(notebook, indent=1)


def report_pdf(path: Path, title: str, paragraphs: list[str]) -> None:
    """A report PDF typeset by ReportLab (real text, wrapped lines, as pdftotext meets it)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    story = [Paragraph(title, styles["Heading1"])]
    story += [Paragraph(p, styles["BodyText"]) for p in paragraphs]
    path.parent.mkdir(parents=True, exist_ok=True)
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def write_collected(student: Student, root: Path, pdf: bool = True) -> Path:
    """The student's folder as ``grader collect`` leaves it: files and a manifest.json."""
    folder = root / student.id
    files = dict(student.files)
    files["project1/lstm_gates.ipynb"] = notebook_json(student.cells, student.figure).encode()
    if not pdf:
        files["project1/report.md"] = "\n\n".join(student.report).encode()
    for relpath, data in files.items():
        (folder / relpath).parent.mkdir(parents=True, exist_ok=True)
        (folder / relpath).write_bytes(data)
    if pdf:
        report_pdf(folder / "project1/report.pdf", f"Report of {student.id}", student.report)
    manifest = {
        "schema": 1,
        "student": {"id": student.id, "name": student.id, "email": f"{student.id}@example.edu"},
        "files": {
            p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return folder
