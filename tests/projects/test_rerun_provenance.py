"""Issue 95: whether the handed-in data is what Colab read, told by the sandbox's rerun where
the file and the shape Colab printed cannot be compared (a reader that is not modelled, a frame
changed before its shape was printed): the rerun ran the student's own cells on the handed-in
file, so the shapes it printed where the data is read and shaped, against those Colab saved,
say same or other data. Where the rerun's shapes do not line up with the saved ones, it still
says it could not tell."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from project_notebooks import PASSENGERS, Kit, code, md, read_cases

from grader.course.rubric import Project
from grader.grading.project_checks import check_one
from grader.grading.project_handin import ProjectHandIn
from grader.limits import RunLimits
from grader.projects.analysis import analyse
from grader.projects.cells import files_opened, notebook_from_sources, read_project_notebook
from grader.projects.rerun_shapes import rerun_says, shapes_printed

CASES = read_cases()
UNTOLD = sorted(name for name, case in CASES.items() if case.same is None)


def _rerun(kit: Kit, tmp_path: Path, change: dict[str, str] | None = None) -> str:
    """What the sandbox prints rerunning ``kit``'s cells: their saved outputs in order, with
    the shapes in ``change`` printed otherwise (other data)."""
    printed = "".join(output for kind, _, output in kit.cells if kind == "code")
    for saved, again in (change or {}).items():
        printed = printed.replace(saved, again)
    return printed


@pytest.mark.parametrize("name", UNTOLD)
def test_the_rerun_tells_where_the_saved_shape_alone_could_not(name, tmp_path):
    case = CASES[name]
    dataset = tmp_path / case.file
    dataset.write_bytes(case.data if isinstance(case.data, bytes) else case.data.encode())
    notebook = case.kit.notebook(tmp_path)
    alone = analyse(notebook, {}, dataset=dataset, folder=tmp_path)["provenance"]
    assert alone["same_bytes"] is None and "could not be told" in alone["how"]

    rerun = _rerun(case.kit, tmp_path)
    same = analyse(notebook, {}, rerun=rerun, dataset=dataset, folder=tmp_path)["provenance"]
    assert same["same_bytes"] is True, same
    assert "the sandbox's rerun on it printed the shapes Colab saved" in same["how"]

    saved = shapes_printed(rerun)[-1]
    other = tuple(n + 7 for n in saved.numbers)
    again = saved.text
    for old, new in zip(saved.numbers, other, strict=True):
        again = again.replace(str(old), str(new), 1)
    rerun = _rerun(case.kit, tmp_path, {saved.text: again})
    differs = analyse(notebook, {}, rerun=rerun, dataset=dataset, folder=tmp_path)["provenance"]
    assert differs["same_bytes"] is False, differs
    assert f"where Colab printed {saved.text}" in differs["how"]
    assert f"printed {again}: Colab read other data" in differs["how"]


def test_a_rerun_that_printed_other_shapes_first_tells_nothing(tmp_path):
    case = CASES["set-index-in-place"]
    dataset = tmp_path / case.file
    dataset.write_text(str(case.data))
    notebook = case.kit.notebook(tmp_path)
    rerun = "(3, 3)\n" + _rerun(case.kit, tmp_path)  # a cell Colab's copy did not run
    origin = analyse(notebook, {}, rerun=rerun, dataset=dataset, folder=tmp_path)["provenance"]
    assert origin["same_bytes"] is None and "could not be told" in origin["how"]
    assert analyse(notebook, {}, rerun="", dataset=dataset, folder=tmp_path)["provenance"][
        "same_bytes"
    ] is None  # fmt: skip


SHAPE_TEXTS = st.one_of(
    st.tuples(st.integers(0, 10**6), st.integers(1, 500)).map(lambda s: f"({s[0]}, {s[1]})"),
    st.tuples(st.integers(0, 10**6), st.integers(1, 500)).map(
        lambda s: f"[{s[0]} rows x {s[1]} columns]"
    ),
    st.integers(0, 10**6).map(lambda n: f"RangeIndex: {n} entries, 0 to {max(n - 1, 0)}"),
    st.integers(0, 10**6).map(lambda n: f"({n},)"),
)


@given(shapes=st.lists(SHAPE_TEXTS, min_size=1, max_size=6), other=st.integers(0, 5))
def test_the_rerun_is_same_only_where_every_shape_is_printed_again(shapes, other):
    """Whatever shapes the data's cells print: printed again alike, the same; one of them
    printed with another size, not the same, and that one is named."""
    sources = ["import numpy as np\n"]
    sources += [f"data = np.loadtxt('d.csv')\nprint({i})\n" for i in range(len(shapes))]
    notebook = notebook_from_sources(sources, [[], *([f"{s}\n"] for s in shapes)])
    rerun = "".join(f"{s}\n" for s in shapes)
    said = rerun_says(notebook, 2, rerun)
    assert said is not None and said.same and said.cells == tuple(range(2, 2 + len(shapes)))
    index = other % len(shapes)  # its first size printed with a digit more
    changed = shapes[index].replace("(", "(1", 1).replace("[", "[1", 1).replace(": ", ": 1", 1)
    rerun = "".join(f"{changed if i == index else s}\n" for i, s in enumerate(shapes))
    said = rerun_says(notebook, 2, rerun)
    assert said is not None and not said.same
    assert said.cell == 2 + index and said.again.text in changed


# ---- the real rerun: the notebook as a student writes it, run in the sandbox on the file

GENFROMTXT = Kit(
    [
        md("# Project 1: air passengers with an LSTM"),
        code("import numpy as np\n"),
        code(
            "data = np.genfromtxt('airline-passengers.csv', delimiter=',', skip_header=1,"
            " usecols=1)\nprint(data.shape)\n",
            "(144,)\n",
        ),
        code(
            "series = data.reshape(-1, 1)\nseries = series[~np.isnan(series).any(axis=1)]\n"
            "print('series:', series.shape)\n",
            "series: (144, 1)\n",
        ),
    ],
    {},
)


def _checked(tmp_path: Path, dataset: str) -> dict:
    folder = tmp_path / "s1"
    folder.mkdir(parents=True)
    GENFROMTXT.write(folder / "project1.ipynb")
    (folder / "airline-passengers.csv").write_text(dataset)
    entry = {"notebook": "project1.ipynb", "dataset": "airline-passengers.csv"}
    hand_in = ProjectHandIn("s1", folder, Project("project1", "Passengers"), entry, None)
    limits = RunLimits(cell_timeout=60, notebook_timeout=120)
    return check_one(hand_in, limits, None, scratch=tmp_path / "scratch")


def test_the_sandboxs_rerun_on_the_handed_in_file_tells_same_and_other_data(tmp_path):
    checks = _checked(tmp_path / "same", PASSENGERS)
    assert checks["notebook"]["run"]["status"] == "ran to the end", checks["notebook"]
    origin = checks["provenance"]
    assert origin["same_bytes"] is True, origin
    assert (
        "printed the shapes Colab saved where the data is read and shaped (cells 3, 4"
        in (origin["how"])
    )

    shorter = "\n".join(PASSENGERS.splitlines()[:101]) + "\n"  # 100 months, not 144
    origin = _checked(tmp_path / "other", shorter)["provenance"]
    assert origin["same_bytes"] is False, origin
    assert origin["differs"] == {"rows": {"read": 144, "handed_in": 100}}
    assert (
        "where Colab printed (144,) (cell 3), the sandbox's rerun on the handed-in"
        in (origin["how"])
    )


# ---- real Colab notebooks (../shared/corpus/colab): their own outputs printed again

ROOT = Path(__file__).resolve().parents[2]
CORPUS = (
    next(
        (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
        ROOT.parent / "shared",
    )
    / "corpus"
    / "colab"
)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus/colab is not beside the repo")
def test_a_real_notebooks_own_outputs_printed_again_are_never_other_data():
    """Each real notebook's saved outputs, as a rerun on the very data Colab read prints them:
    the same where shapes of the data are printed after its read, nothing told elsewhere, and
    never "other data"."""
    told = {}
    for path in sorted(CORPUS.glob("*.ipynb")):
        notebook = read_project_notebook(path)
        rerun = "".join(output for cell in notebook.code() for output in cell.outputs)
        reads = [cell.position for cell in notebook.code() if files_opened(cell.source)]
        said = rerun_says(notebook, reads[0], rerun) if reads else None
        assert said is None or said.same, (path.name, said)
        told[path.name] = said
    airline = told["srijeem__LSTM_Forecasting__Airline_Passenger_LSTM_Forecasting.ipynb"]
    assert airline is not None and airline.saved.text == "RangeIndex: 144 entries"
