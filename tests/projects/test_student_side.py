"""The student's side of the checks of substance: ``grader bundle submission.toml`` (and
``--check``, which writes nothing) tells, per project, each pitfall at its cell and line in the
sentence the instructor's checks page gives, the report's numbers that no saved output shows,
whether the notebook reads the dataset handed in, whether the References name its source, and
whether the model uses an LSTM; notes only, the bundle is still written. A course keeps the
kinds its template names from its students, and the watch's receipt leaves them out too."""

from __future__ import annotations

import html
import re
import tomllib
from pathlib import Path

import pytest
from project_notebooks import (
    PASSENGERS,
    Kit,
    hand_in,
    keras_forecaster,
    numpy_lstm,
    pytorch_classifier,
)

from grader.cli import main
from grader.course.rubric import load_projects
from grader.gradebook.course_book import CourseBook
from grader.marking.pages import write_checks_page
from grader.projects.analysis import analyse_handin
from grader.projects.cells import notebook_reads
from grader.report.facts import report_text

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = load_projects(ROOT / "assignments" / "projects")
HAR = "a,b\n1,2\n"
PLANTS = [
    (keras_forecaster, "scaler-fit-before-split/own-cell"),
    (keras_forecaster, "shuffled-time-split/permutation"),
    (keras_forecaster, "test-as-validation/dataset"),
    (pytorch_classifier, "test-as-validation/early-stopping"),
    (keras_forecaster, "metric-on-scaled-values"),
    (pytorch_classifier, "no-baseline/markdown"),
    (keras_forecaster, "training-metric-reported"),
]


def _dataset(kit: Kit) -> tuple[str, str]:
    """The file the kit's notebook reads, as handed in (the classifier's is not the data Colab
    read: a small file of its name)."""
    text = str(kit.cells)
    if "airline-passengers.csv" in text:
        return "airline-passengers.csv", PASSENGERS
    if "daily_temperature.csv" in text:
        return "daily_temperature.csv", "day,temp\n" + "".join(
            f"{d},{d % 30}\n" for d in range(400)
        )
    return "har_recordings.csv", HAR


def _bundle(tmp_path: Path, capsys, *args: str, kits: list[Kit]) -> tuple[int, str]:
    toml = hand_in(tmp_path / "student", [(kit, *_dataset(kit)) for kit in kits])
    capsys.readouterr()
    code = main(["bundle", str(toml), *args])
    return code, capsys.readouterr().out


def _page_pitfalls(tmp_path: Path, kit: Kit) -> list[str]:
    """The pitfalls as the instructor's checks page gives them, as text."""
    folder = tmp_path / "student" / "project1"
    files = {"notebook": folder / "notebook.ipynb", "report": folder / "report.pdf",
             "dataset": folder / _dataset(kit)[0]}  # fmt: skip
    reads = notebook_reads(files["notebook"])
    checks = analyse_handin(files, folder.parent, None, 0.05, reads, report_text)
    with CourseBook(tmp_path / "book.sqlite") as book:
        page = write_checks_page(tmp_path, PROJECTS, "s1", PROJECTS.projects[0], checks, book)
    items = re.findall(r'<ul class="pitfalls"><li>(.*?)</li></ul>', page.read_text(), re.S)
    return [
        html.unescape(re.sub(r"<[^>]+>", "", i)) for item in items for i in item.split("</li><li>")
    ]


@pytest.mark.parametrize(("make", "plant"), PLANTS, ids=[p for _, p in PLANTS])
def test_check_tells_each_pitfall_as_the_checks_page_gives_it(make, plant, tmp_path, capsys):
    kit = make(plant)
    code, out = _bundle(tmp_path, capsys, "--check", kits=[kit])
    assert code == 0, out
    kind = plant.partition("/")[0]
    cell, line = kit.place(kind)
    told = [
        n.removeprefix("  - pitfall ") for n in out.splitlines() if n.startswith("  - pitfall ")
    ]
    assert [t.partition(":")[0] for t in told] == [f"{kind} (cell {cell}, line {line})"]
    assert told == _page_pitfalls(tmp_path, kit)
    assert "Nothing was written (--check)" in out
    assert sorted(p.name for p in (tmp_path / "student").iterdir()) == [
        "project1", "submission.toml"
    ]  # fmt: skip


def test_the_bundle_is_written_with_its_notes(tmp_path, capsys):
    kits = [keras_forecaster("scaler-fit-before-split"), pytorch_classifier()]
    code, out = _bundle(tmp_path, capsys, "--out", str(tmp_path / "bundle"), kits=kits)
    assert code == 0, out
    assert (tmp_path / "bundle" / "CS21B077.zip").is_file()
    assert (tmp_path / "bundle" / "CS21B077.pdf").is_file()
    first, second = out.split("project 2 (")
    assert "pitfall scaler-fit-before-split (cell 6, line 2): The MinMaxScaler" in first
    assert "numbers: the report's Results state 15.2, which no output saved" in first
    assert "dataset: the file read is the one handed in: yes: the notebook opens the handed-in " \
        "airline-passengers.csv" in first  # fmt: skip
    assert (
        "source: the References name https://www.kaggle.com/datasets/rakannimer/air-passengers"
        in first
    )
    assert "model: uses an LSTM: LSTM, 32 units (cell 9, line 3)" in first
    assert "pitfall" not in second  # the clean classifier
    assert "model: uses an LSTM: LSTM, 128 units" in second
    # its recordings file is not the one Colab read (7352 rows): said, with both shapes
    assert "had 7352 rows and 151 columns, and the handed-in har_recordings.csv" in second
    assert "source: the References name no kaggle.com or github.com address" in second


def test_clean_projects_get_no_pitfall_and_no_false_claim(tmp_path, capsys):
    kits = [keras_forecaster(), numpy_lstm()]
    code, out = _bundle(tmp_path, capsys, "--check", kits=kits)
    assert code == 0 and "pitfall" not in out and ": no:" not in out, out
    assert "not checked" not in out


def test_the_kinds_a_course_keeps_are_left_out(tmp_path, capsys):
    kit = keras_forecaster("no-baseline/markdown")
    toml = hand_in(tmp_path / "student", [(kit, "airline-passengers.csv", PASSENGERS)])
    text = toml.read_text().replace(
        "[course]\n", '[course]\nkeep_from_students = ["pitfalls", "numbers"]\n'
    )
    toml.write_text(text)
    capsys.readouterr()
    assert main(["bundle", str(toml), "--check"]) == 0
    out = capsys.readouterr().out
    assert "pitfall" not in out and "numbers:" not in out
    assert "model: uses an LSTM" in out and "dataset: " in out
    toml.write_text(text.replace('"numbers"]', '"numbrs"]'))
    assert main(["bundle", str(toml), "--check"]) == 2
    assert "course.keep_from_students names 'numbrs', which is no kind" in capsys.readouterr().err


def test_the_template_names_the_kinds_kept(tmp_path, capsys):
    assert main(["bundle", "--template", str(tmp_path / "submission.toml")]) == 0
    course = tomllib.loads((tmp_path / "submission.toml").read_text())["course"]
    assert course["keep_from_students"] == []


def test_projects_toml_names_the_kinds_the_receipt_keeps(tmp_path):
    import shutil

    from grader.errors import UserError

    folder = Path(shutil.copytree(ROOT / "assignments" / "projects", tmp_path / "projects"))
    text = (folder / "projects.toml").read_text()
    marked = text.replace("keep_from_students = []", 'keep_from_students = ["numbers"]')
    assert marked != text
    (folder / "projects.toml").write_text(marked)
    assert load_projects(folder).kept_from_students == {"numbers"}
    (folder / "projects.toml").write_text(marked.replace('["numbers"]', '["marks"]'))
    with pytest.raises(UserError, match="keep_from_students names 'marks', which is no kind"):
        load_projects(folder)
    assert PROJECTS.kept_from_students == frozenset()  # the course keeps nothing by default
