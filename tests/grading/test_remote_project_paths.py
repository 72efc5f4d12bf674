"""A worker's project checks read here: every path inside the worker's folder is the same path
inside the student's folder here, wherever it lies in the checks (a value, a key, a list); a
string that is not such a path (a student's words, a neighbouring folder) is left as it is."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from grader.grading.remote_projects import as_here

THERE = "/scratch/grader-dask-project-x/in/s01"

names = st.text(st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="/\\\0"),
                min_size=1, max_size=12).filter(lambda n: n not in (".", ".."))  # fmt: skip


def test_paths_anywhere_in_the_checks_are_mapped_and_nothing_else(tmp_path):
    here = tmp_path / "submissions" / "s01"
    checks = {
        "folder": THERE,
        "files": {"notebook": f"{THERE}/work/project.ipynb"},
        "reads": [f"{THERE}/data.csv", "data.csv"],
        f"{THERE}/report.pdf": {"pages": 3},
        "said": f"the student wrote {THERE}/data.csv in a cell",
        "beside": f"{THERE}-old/data.csv",
        "count": 3,
    }
    mapped = as_here({"folder": THERE, "checks": checks}, here)
    root = here.resolve()
    assert mapped == {
        "folder": str(root),
        "files": {"notebook": str(root / "work" / "project.ipynb")},
        "reads": [str(root / "data.csv"), "data.csv"],
        str(root / "report.pdf"): {"pages": 3},
        "said": f"the student wrote {THERE}/data.csv in a cell",
        "beside": f"{THERE}-old/data.csv",
        "count": 3,
    }


@given(parts=st.lists(names, min_size=1, max_size=4), quote=st.sampled_from(['"', "\\", "'", ""]))
def test_any_file_name_comes_back_inside_the_student_folder(tmp_path_factory, parts, quote):
    here = Path(tmp_path_factory.mktemp("here")) / 'o"dd\\folder'
    there = f"/scratch/w{quote}1/in/s01"
    path = "/".join([there, *parts])
    mapped = as_here({"folder": there, "checks": {"file": path}}, here)
    assert Path(mapped["file"]) == here.resolve().joinpath(*parts)
