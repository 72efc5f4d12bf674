"""Project grading: the engine's ``runtime=`` (a separate virtualenv runs the kernel, bound
read-only), and ``grader grade --assignment assignments/projects`` on collected folders of the
sample students: the report's facts, the dataset, the notebook run end to end, the pages.

The notebooks here are the samples' and the tests' own, harmless; they run in real sandboxed
kernels. The runtime is a small virtualenv made here whose site-packages point at the grader's
(so it has ipykernel) plus a marker module only it has; the real Colab-like runtime is built by
`grader setup --projects` (`make projects-runtime`) and measured by benchmarks/projects_corpus.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from sandbox_fence import write_notebook
from scratch_kit import temporary_after_a_killed_run

from grader import cli, demo
from grader.course.rubric import load_projects
from grader.engine import RunLimits, run_submission
from grader.errors import UserError
from grader.gradebook.course_book import CourseBook
from grader.grading.project_checks import check_all

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "assignments" / "projects"
slow = pytest.mark.slow


@pytest.fixture(scope="module")
def runtime(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("runtime") / "venv-projects"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next((folder / "lib").glob("python3*/site-packages"))
    (site / "grader_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (site / "runtime_marker.py").write_text("WHERE = 'the projects runtime'\n")
    return folder


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """The two sample students bundled and collected, as `make demo` does."""
    out = tmp_path_factory.mktemp("demo")
    demo.bundle_and_collect(out)
    return out / "submissions"


@slow
def test_the_runtime_python_runs_the_kernel_and_cannot_be_written(tmp_path, runtime):
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        "import sys, runtime_marker\nprint('prefix', sys.prefix)\nprint(runtime_marker.WHERE)",
        "open(runtime_marker.__file__, 'a').write('hacked = 1')",
    )
    result = run_submission(
        notebook, [], RunLimits(cell_timeout=60, notebook_timeout=120), runtime=runtime
    )
    assert "prefix /opt/python/venv" in result.output and str(runtime) not in result.output
    assert "the projects runtime" in result.output
    [error] = result.cell_errors
    assert error.ename == "OSError" and "Read-only file system" in error.evalue
    marker = next((runtime / "lib").glob("python3*/site-packages")) / "runtime_marker.py"
    assert "hacked" not in marker.read_text()


def test_without_a_runtime_the_grader_environment_runs_it(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", "import runtime_marker")
    result = run_submission(notebook, [], RunLimits(cell_timeout=60, notebook_timeout=120))
    assert result.cell_errors[0].ename == "ModuleNotFoundError"


def test_a_runtime_that_is_not_a_venv_is_refused(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", "1")
    with pytest.raises(UserError, match="not a virtualenv"):
        run_submission(notebook, [], runtime=tmp_path)


def test_an_unbuilt_projects_runtime_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_PROJECTS_RUNTIME", str(tmp_path / "nowhere"))
    with pytest.raises(UserError, match="grader setup --projects"):
        load_projects(PROJECTS).runtime_path()


@slow
def test_checks_of_the_sample_students(tmp_path, runtime, collected):
    folders = [collected / "CS21B042", collected / "EE21B017"]
    results = check_all(folders, PROJECTS, tmp_path / "graded", runtime=runtime)
    by_key = {(h.student, h.project.id): checks for h, checks in results}
    assert set(by_key) == {
        (s, p) for s in ("CS21B042", "EE21B017") for p in ("project1", "project2")
    }
    asha = by_key["CS21B042", "project1"]
    report = asha["report"]
    assert report["verdict"] == "passes --check" and report["pages"] == 2
    assert set(report["words"]) == {
        "Introduction",
        "Problem Statement",
        "Results and Discussion",
        "Data Visualization",
        "Conclusion and Future Direction",
        "References",
    }
    assert all(count > 10 for count in report["words"].values())
    assert report["figures"] == 1 and report["references"] == 3
    assert asha["dataset"]["status"] == "present" and asha["dataset"]["lines"] == 145
    assert asha["dataset"]["opened_by_notebook"] is True
    notebook = asha["notebook"]
    assert notebook["run"]["status"] == "ran to the end"
    assert notebook["saved_outputs"].startswith("probably from Colab")
    assert notebook["placed"] == [
        "monthly_passengers.csv placed at data/monthly_passengers.csv (as the notebook opens it)"
    ]
    # the checks of substance: the sample notebook trains no LSTM (its report says it did, in
    # Colab), so the report's LSTM figure is in no output; the seasonal-naive one is in both
    assert asha["model"]["uses_lstm"] is False and "no LSTM" in asha["model"]["note"]
    numbers = {n["text"]: n for n in asha["numbers"]}
    assert set(numbers) == {"27.7", "19.4"} and numbers["19.4"]["found"] == []
    assert {(f["cell"], f["source"]) for f in numbers["27.7"]["found"]} == {
        (3, "saved"),
        (3, "rerun"),  # the rerun's line placed in the cell that printed it
    }
    assert asha["pitfalls"] == [] and asha["baselines"][0]["cell"] == 3
    assert asha["provenance"]["same_bytes"] is True
    written = json.loads((tmp_path / "graded" / "CS21B042" / "project1-checks.json").read_text())
    assert written == json.loads(json.dumps(asha))
    rows = (tmp_path / "graded" / "projects-checks.csv").read_text().splitlines()
    assert len(rows) == 5 and rows[1].startswith("CS21B042,project1,,no,")
    linked = by_key["EE21B017", "project2"]["dataset"]
    assert linked["status"] == "only linked" and linked["link"].endswith("names.txt")
    with CourseBook(tmp_path / "graded" / "gradebook.sqlite") as book:
        assert len(book.latest_checks()) == 4
        stored = book.latest_checks("CS21B042", "project1")[0]
        assert stored.submitted_at and stored.checks["digest"] == asha["digest"]
    page = tmp_path / "graded" / "CS21B042" / "project1-checks.html"
    text = page.read_text()
    assert "passes --check" in text and "Results and Discussion, against a baseline" in text
    assert "Beats persistence" not in text
    marks_csv = tmp_path / "marks.csv"
    marks_csv.write_text(
        "student,project,results,results comment\nCS21B042,project1,16,Beats persistence\n"
    )
    course = tmp_path / "course.toml"
    course.write_text(
        (ROOT / "assignments" / "course.toml")
        .read_text()
        .replace("../examples/course/roster.csv", str(ROOT / "examples" / "course" / "roster.csv"))
        .replace('projects = "projects"', f'projects = "{PROJECTS}"')
    )
    common = ["--course", str(course), "--out", str(tmp_path / "graded")]
    assert cli.main(["marks", "import", str(marks_csv), "--by", "prof", *common]) == 0
    assert "16 / 20" in page.read_text() and "Beats persistence" in page.read_text()


@slow
def test_a_failing_notebook_names_its_first_failing_cell_and_resume_skips_the_rest(
    tmp_path, runtime, collected, monkeypatch, capsys
):
    folder = tmp_path / "submissions" / "EE21B017"
    shutil.copytree(collected / "EE21B017", folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["projects"][0]["title"] = "<script>alert(1)</script> temperatures"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    write_notebook(
        folder / manifest["projects"][0]["notebook"],
        "# md Temperatures",
        "import pandas_does_not_exist_here",
        "print('later cells still run')",
    )
    monkeypatch.setenv("GRADER_PROJECTS_RUNTIME", str(runtime))
    # a student's files, staged by a killed run
    temporary = temporary_after_a_killed_run(tmp_path, monkeypatch, "grader-project-")
    common = [
        "grade",
        "--assignment",
        str(PROJECTS),
        "--out",
        str(tmp_path / "graded"),
        str(folder),
    ]
    assert cli.main(common) == 0
    assert not list(temporary.glob("grader-project-*"))  # the killed run's and this run's
    captured = capsys.readouterr()
    assert "[2/2] EE21B017 project2" in captured.err
    assert "stopped with an error (cell 2: ModuleNotFoundError" in captured.out
    with CourseBook(tmp_path / "graded" / "gradebook.sqlite") as book:
        run = book.latest_checks("EE21B017", "project1")[0].checks["notebook"]["run"]
    assert run["first_failing_cell"] == 2 and run["failing_cells"] == 1
    assert run["error"].startswith(
        "ModuleNotFoundError: No module named 'pandas_does_not_exist_here'"
    )
    page = (tmp_path / "graded" / "EE21B017" / "project1-checks.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert cli.main([*common, "--resume"]) == 0
    assert "resuming: 2 checked already, 0 to check" in capsys.readouterr().err


def test_a_planted_link_in_a_hand_in_does_not_bring_its_target_into_the_sandbox(
    tmp_path, runtime, collected, monkeypatch
):
    """A hand-in folder holding a link to an instructor's file: the notebook finds the link,
    never the file's contents (they would otherwise be copied into /content)."""
    secret = tmp_path / "instructor-only.txt"
    secret.write_text("THE INSTRUCTOR'S SECRET")
    folder = tmp_path / "submissions" / "EE21B017"
    shutil.copytree(collected / "EE21B017", folder)
    (folder / "leak.txt").symlink_to(secret)
    manifest = json.loads((folder / "manifest.json").read_text())
    write_notebook(
        folder / manifest["projects"][0]["notebook"],
        "import os\nprint(os.path.islink('leak.txt'))",
        "print(open('leak.txt').read())",
    )
    monkeypatch.setenv("GRADER_PROJECTS_RUNTIME", str(runtime))
    out = tmp_path / "graded"
    assert cli.main(["grade", "--assignment", str(PROJECTS), "--out", str(out), str(folder)]) == 0
    with CourseBook(out / "gradebook.sqlite") as book:
        run = book.latest_checks("EE21B017", "project1")[0].checks["notebook"]["run"]
    assert run["first_failing_cell"] == 2, run
    assert run["error"].startswith("FileNotFoundError"), run
    assert "SECRET" not in json.dumps(run)
