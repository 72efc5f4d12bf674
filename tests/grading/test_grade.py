"""``grader grade`` end to end, through the CLI, on real notebooks in the real sandbox.

Each run goes through ``unshare --pid --fork --mount-proc`` as a second fence behind the
product's own sandbox.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from sandbox_fence import FENCE

from grader import assignment as assign
from grader.gradebook.results import Gradebook

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLES = ROOT / "examples" / "lstm_gates"
GRADER = [sys.executable, "-m", "grader.cli"]
FUNCTIONS = [f.name for f in assign.load_config(ASSIGNMENT).functions]


def grade(*args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [*FENCE, *GRADER, "grade", *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        check=False,
        env=env,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"grader grade failed ({done.returncode}):\n{done.stderr}")
    return done


def read_grades(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def samples_graded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("graded")
    grade(
        "--assignment",
        str(ASSIGNMENT),
        "--out",
        str(out),
        "--seed",
        "11",
        *sorted(str(p) for p in SAMPLES.glob("*.ipynb")),
    )
    return out


def test_full_marks_sample(samples_graded):
    row = read_grades(samples_graded)["asha"]
    assert (row["score"], row["max_score"], row["status"]) == ("100", "100", "graded")
    results = json.loads((samples_graded / "asha" / "results.json").read_text())
    assert results["score"] == 100
    # The samples are made from the current release (examples/lstm_gates/make_samples.py).
    assert "Grader cell changed" not in results["output"]
    assert [t["name"] for t in results["tests"]] == FUNCTIONS
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] == "passed" and test["score"] == test["max_score"]


def lost(row: dict[str, str]) -> set[str]:
    return {
        f
        for f in FUNCTIONS
        if float(row[f])
        < {"cell_state": 15, "hidden_state": 15, "lstm_cell": 15, "lstm_forward": 15}.get(f, 10)
    }


def test_tanh_forget_gate_costs_the_gate_and_what_calls_it(samples_graded):
    row = read_grades(samples_graded)["bhavin"]
    assert lost(row) == {"forget_gate", "lstm_cell", "lstm_forward"}
    tests = {
        t["name"]: t
        for t in json.loads((samples_graded / "bhavin" / "results.json").read_text())["tests"]
    }
    assert "[tanh-for-sigmoid]" in tests["forget_gate"]["output"]
    assert "[tanh-for-sigmoid]" in tests["lstm_cell"]["output"]
    assert tests["cell_state"]["status"] == "passed"


def test_o_times_c_costs_the_hidden_state_not_the_cell_state(samples_graded):
    row = read_grades(samples_graded)["chitra"]
    assert lost(row) == {"hidden_state", "lstm_cell", "lstm_forward"}
    assert float(row["lstm_cell"]) == 7.5  # the cell state it returns is right
    tests = {
        t["name"]: t
        for t in json.loads((samples_graded / "chitra" / "results.json").read_text())["tests"]
    }
    assert "[o-times-C]" in tests["hidden_state"]["output"]


def test_untouched_stubs_score_zero_with_a_clear_message(samples_graded):
    row = read_grades(samples_graded)["dhaval"]
    assert float(row["score"]) == 0 and row["status"] == "graded"
    results = json.loads((samples_graded / "dhaval" / "results.json").read_text())
    assert "not implemented yet" in results["tests"][0]["output"]


def test_broken_file_gets_a_row_with_its_reason(samples_graded):
    row = read_grades(samples_graded)["esha"]
    assert row["status"] == "invalid" and float(row["score"]) == 0
    assert "not JSON" in row["reason"]
    assert (samples_graded / "esha" / "results.json").is_file()


def test_feedback_page_is_self_contained(samples_graded):
    page = (samples_graded / "bhavin" / "feedback.html").read_text()
    assert "tanh-for-sigmoid" in page and "data:image/png;base64," in page
    assert not re.search(r"""(src|href)=["']?(https?:|file:|/)""", page)
    # A figure for each function that lost points, none where nothing is wrong.
    failed = json.loads((samples_graded / "bhavin" / "results.json").read_text())["tests"]
    assert page.count("<img") == sum(test["status"] == "failed" for test in failed) > 0


def test_gradebook_holds_every_result(samples_graded):
    db = sqlite3.connect(samples_graded / "gradebook.sqlite")
    rows = db.execute("SELECT student, seed, status FROM results ORDER BY student").fetchall()
    assert [r[0] for r in rows] == ["asha", "bhavin", "chitra", "dhaval", "esha"]
    assert {r[1] for r in rows} == {11}


def test_same_seed_same_score_and_seed_recorded(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    chitra = str(SAMPLES / "chitra.ipynb")
    for out, seed in ((first, "5"), (second, "5"), (other, "6")):
        grade("--assignment", str(ASSIGNMENT), "--out", str(out), "--seed", seed, chitra)
    a, b, c = (read_grades(o)["chitra"] for o in (first, second, other))
    assert a == b
    assert (a["seed"], c["seed"]) == ("5", "6")


def test_resume_after_sigkill_grades_only_what_is_missing(tmp_path):
    """... and removes the temporary folders the killed run left."""
    # enough that the kill lands part-way: seconds of grading are left after the first result
    COPIES = 16  # noqa: N806
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(COPIES):
        shutil.copy(SAMPLES / "asha.ipynb", inbox / f"student{n:02d}.ipynb")
    out = tmp_path / "out"
    temporary = tmp_path / "tmp"  # the runs' TMPDIR, to see what they leave there
    temporary.mkdir()
    environment = {**os.environ, "TMPDIR": str(temporary)}
    command = [
        *FENCE,
        *GRADER,
        "grade",
        "--assignment",
        str(ASSIGNMENT),
        "--out",
        str(out),
        *sorted(str(p) for p in inbox.iterdir()),
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=environment,
    )
    book = out / "gradebook.sqlite"
    deadline = time.monotonic() + 300
    done_before = 0
    while time.monotonic() < deadline and done_before == 0:
        time.sleep(0.02)  # a submission takes a fraction of a second
        if book.exists():
            with sqlite3.connect(book) as db:
                try:
                    done_before = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
                except sqlite3.OperationalError:  # the schema is being created
                    done_before = 0
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert 1 <= done_before < COPIES, "the run should be killed part-way"
    with sqlite3.connect(book) as db:
        kept = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert kept >= done_before
    assert list(temporary.glob("grader-bundles-*")), "the killed run's scratch"

    resumed = grade(
        "--assignment",
        str(ASSIGNMENT),
        "--out",
        str(out),
        "--resume",
        *sorted(str(p) for p in inbox.iterdir()),
        env=environment,
    )
    left = [
        p.name
        for p in temporary.iterdir()
        if p.name.startswith(("grader-bundles-", "grader-trial-"))
    ]
    assert left == []
    assert f"resuming: {kept} already graded, {COPIES - kept} to grade" in resumed.stderr
    with sqlite3.connect(book) as db:
        per_student = db.execute(
            "SELECT student, COUNT(*) FROM results GROUP BY student"
        ).fetchall()
    assert sorted(per_student) == [(f"student{n:02d}", 1) for n in range(COPIES)]
    grades = read_grades(out)
    assert sorted(grades) == [f"student{n:02d}" for n in range(COPIES)]
    assert {g["score"] for g in grades.values()} == {"100"}


def test_regrading_a_changed_submission_keeps_its_history(tmp_path):
    notebook = tmp_path / "ravi.ipynb"
    shutil.copy(SAMPLES / "bhavin.ipynb", notebook)
    out = tmp_path / "out"
    grade("--assignment", str(ASSIGNMENT), "--out", str(out), str(notebook))
    shutil.copy(SAMPLES / "asha.ipynb", notebook)  # the student fixed the forget gate
    grade("--assignment", str(ASSIGNMENT), "--out", str(out), str(notebook))
    with Gradebook(out / "gradebook.sqlite") as book:
        scores = [row.score for row in book.history("ravi")]
    assert scores == [60.0, 100.0]
    assert read_grades(out)["ravi"]["score"] == "100"


def test_collected_folder_and_bundle_zip_are_graded(tmp_path):
    folder = tmp_path / "submissions" / "s1001"
    (folder / "files").mkdir(parents=True)
    shutil.copy(SAMPLES / "asha.ipynb", folder / "files" / "my_lstm.ipynb")
    notes = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('project 2')")])
    nbformat.write(notes, folder / "files" / "project2.ipynb")
    manifest = {
        "schema": 1,
        "student": {"id": "s1001", "name": "Meera", "email": "m@x.org"},
        "projects": [],
        "submitted_at": "2026-12-19T10:00:00+05:30",
        "late": True,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    empty = tmp_path / "submissions" / "s1002"
    empty.mkdir()
    (empty / "manifest.json").write_text(json.dumps({**manifest, "student": {"id": "s1002"}}))
    out = tmp_path / "out"
    grade("--assignment", str(ASSIGNMENT), "--out", str(out), str(folder), str(empty))
    grades = read_grades(out)
    assert grades["s1001"]["score"] == "100" and grades["s1001"]["late"] == "yes"
    assert grades["s1002"]["status"] == "missing"
    assert "no notebook" in grades["s1002"]["reason"]


def test_forbidden_shortcut_is_reported_and_not_credited(tmp_path):
    nb = nbformat.read(SAMPLES / "asha.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "def lstm_forward(" in c.source)
    cell.source = (
        "import torch\n\n"
        "def lstm_forward(x, h0, c0, params):\n"
        "    lstm = torch.nn.LSTM(x.shape[2], h0.shape[1])\n"
        "    raise RuntimeError('shortcut')\n"
    )
    path = tmp_path / "kiran.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out"
    grade("--assignment", str(ASSIGNMENT), "--out", str(out), str(path))
    assert float(read_grades(out)["kiran"]["lstm_forward"]) == 0
    page = (out / "kiran" / "feedback.html").read_text()
    assert "calls torch.nn.LSTM inside lstm_forward" in page


def test_a_shortcut_behind_a_helper_and_capture_costs_only_what_reaches_it(tmp_path):
    """Issue 17, hole 5: torch.nn.LSTMCell behind a helper, an alias chain and a %%capture
    first cell still zeroes the functions that reach it; a lookup the scan cannot resolve is
    a note for the instructor and costs nothing."""
    nb = nbformat.read(SAMPLES / "asha.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("%%capture\nimport torch\nfrom torch import nn"))
    sigmoid = next(c for c in nb.cells if "def sigmoid(" in c.source)
    sigmoid.source = sigmoid.source.replace("np.tanh(", 'getattr(np, "hnat"[::-1])(')
    at = next(i for i, c in enumerate(nb.cells) if "def lstm_cell(" in c.source)
    nb.cells.insert(
        at, nbformat.v4.new_code_cell("def _step(D, H):\n    return nn.modules.rnn.LSTMCell(D, H)")
    )
    cell = nb.cells[at + 1]
    cell.source = cell.source.replace(
        '    """\n', '    """\n    _step(x_t.shape[1], h_prev.shape[1])\n', 1
    )
    path = tmp_path / "lior.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out"
    grade("--assignment", str(ASSIGNMENT), "--out", str(out), str(path))
    row = read_grades(out)["lior"]
    assert row["status"] == "graded" and lost(row) == {"lstm_cell", "lstm_forward"}
    assert float(row["lstm_cell"]) == 0 and float(row["lstm_forward"]) == 0
    results = json.loads((out / "lior" / "results.json").read_text())
    tests = {t["name"]: t for t in results["tests"]}
    assert (
        f"Forbidden shortcut: calls torch.nn.LSTMCell (written nn.modules.rnn.LSTMCell) in _step"
        f" (cell {at}, line 2), reached from lstm_cell through lstm_cell → _step"
    ) in tests["lstm_cell"]["output"]
    assert "through lstm_forward → lstm_cell → _step" in tests["lstm_forward"]["output"]
    assert tests["forget_gate"]["status"] == "passed"
    assert (
        "For the instructor to review: forget_gate reaches getattr with a computed name in sigmoid"
    ) in results["output"]
    assert "reached from lstm_cell" in (out / "lior" / "feedback.html").read_text()


def test_a_shortcut_in_a_module_shipped_beside_the_notebook_is_found(tmp_path):
    folder = tmp_path / "submissions" / "s1003"
    (folder / "files").mkdir(parents=True)
    (folder / "shortcut.py").write_text("import torch\n\ndef make():\n    return torch.nn.LSTM\n")
    nb = nbformat.read(SAMPLES / "asha.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "def lstm_forward(" in c.source)
    cell.source = "from shortcut import make\n\n" + cell.source.replace(
        '    """\n', '    """\n    make()\n', 1
    )
    nbformat.write(nb, folder / "files" / "lstm_gates.ipynb")
    (folder / "manifest.json").write_text(json.dumps({"student": {"id": "s1003"}}))
    out = tmp_path / "out"
    grade("--assignment", str(ASSIGNMENT), "--out", str(out), str(folder))
    row = read_grades(out)["s1003"]
    assert row["status"] == "graded" and lost(row) == {"lstm_forward"}
    tests = {
        t["name"]: t for t in json.loads((out / "s1003" / "results.json").read_text())["tests"]
    }
    assert (
        "uses torch.nn.LSTM in make (shortcut.py line 4, shipped with the notebook)"
        in (tests["lstm_forward"]["output"])
    )


def test_grader_errors_exit_non_zero_with_a_reason(tmp_path):
    missing = grade(
        "--assignment",
        str(tmp_path / "nowhere"),
        "--out",
        str(tmp_path / "o"),
        str(SAMPLES / "asha.ipynb"),
        check=False,
    )
    assert missing.returncode == 2 and "assignment.toml" in missing.stderr
    no_file = grade(
        "--assignment",
        str(ASSIGNMENT),
        "--out",
        str(tmp_path / "o"),
        str(tmp_path / "ghost.ipynb"),
        check=False,
    )
    assert no_file.returncode == 2 and "no such file" in no_file.stderr


def test_grades_what_bundle_and_collect_write(tmp_path):
    from submission_kit import student_folder

    from grader import bundle, intake

    toml = student_folder(tmp_path / "student", student_id="CS21B001")
    shutil.copy(SAMPLES / "asha.ipynb", tmp_path / "student" / "nb" / "project1.ipynb")
    made = bundle.build_bundle(toml, tmp_path / "inbox")
    intake.collect(tmp_path / "inbox", tmp_path / "submissions")
    # The same hand-in, once as the folder collect wrote and once as the bundle zip.
    for name, path in (("folder", tmp_path / "submissions" / "CS21B001"), ("zip", made.zip_path)):
        grade("--assignment", str(ASSIGNMENT), "--out", str(tmp_path / name), str(path))
        row = read_grades(tmp_path / name)["CS21B001"]
        assert (row["score"], row["status"], row["late"]) == ("100", "graded", "no"), name


def test_a_manifest_id_cannot_write_outside_the_output_folder(tmp_path):
    folder = tmp_path / "submissions" / "s2001"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"student": {"id": "../../escaped"}}))
    out = tmp_path / "deep" / "out"
    grade("--assignment", str(ASSIGNMENT), "--out", str(out), str(folder))
    assert list(read_grades(out)) == ["s2001"]
    assert not (tmp_path / "escaped").exists()


def test_a_dask_cluster_on_loopback_gives_the_same_results_and_leaves_no_files(tmp_path):
    notebooks = [str(SAMPLES / f"{s}.ipynb") for s in ("asha", "bhavin", "chitra", "esha")]
    local, on_dask = tmp_path / "local", tmp_path / "dask"
    grade("--assignment", str(ASSIGNMENT), "--out", str(local), "--seed", "3", *notebooks)
    temporary = tmp_path / "temporary"  # the workers' (and the grader's) temporary folder
    temporary.mkdir()
    done = grade(
        "--assignment",
        str(ASSIGNMENT),
        "--out",
        str(on_dask),
        "--seed",
        "3",
        "--dask",
        "local",
        "--workers",
        "2",
        *notebooks,
        env={**os.environ, "TMPDIR": str(temporary)},
    )
    assert read_grades(on_dask) == read_grades(local)
    assert "[4/4]" in done.stderr
    # each worker wrote the assignment (its hidden tests too) into a folder of its own: none
    # outlives the cluster (Dask's own scratch folder is left, with only its lock files)
    left = sorted(path.relative_to(temporary).as_posix() for path in temporary.rglob("*"))
    assert left == [
        "dask-scratch-space",
        *(f"dask-scratch-space/{n}.lock" for n in ("global", "purge")),
    ]
    for student in ("asha", "bhavin"):
        ours = untimed(json.loads((on_dask / student / "results.json").read_text()))
        assert ours == untimed(json.loads((local / student / "results.json").read_text()))


def untimed(results: dict) -> dict:
    """``results.json`` without the times of its phases, which differ from run to run."""
    assert set(results["extra_data"].pop("phases")) == set(PHASES)
    return results


PHASES = ["start", "cells", "probes", "diagnosis", "files"]


def test_each_phase_of_a_submission_is_timed_in_results_json_the_gradebook_and_the_summary(
    tmp_path,
):
    out = tmp_path / "out"
    missing = tmp_path / "ravi"  # a hand-in with no notebook: nothing runs
    missing.mkdir()
    (missing / "manifest.json").write_text(json.dumps({"student": {"id": "ravi"}}))
    done = grade(
        "--assignment",
        str(ASSIGNMENT),
        "--out",
        str(out),
        "--seed",
        "5",
        str(SAMPLES / "asha.ipynb"),
        str(SAMPLES / "bhavin.ipynb"),
        str(missing),
    )
    phases = {}
    for student in ("asha", "bhavin", "ravi"):
        timed = json.loads((out / student / "results.json").read_text())["extra_data"]["phases"]
        assert list(timed) == PHASES
        assert all(isinstance(seconds, float) and seconds >= 0 for seconds in timed.values())
        phases[student] = timed
    # Both ran their cells and probes; only bhavin, who lost points, was diagnosed in sessions.
    assert all(phases[s]["cells"] > 0 and phases[s]["probes"] > 0 for s in ("asha", "bhavin"))
    assert phases["ravi"]["cells"] == phases["ravi"]["probes"] == 0
    with Gradebook(out / "gradebook.sqlite") as book:
        assert {row.student: row.phases for row in book.latest()} == phases
    summary = re.search(r"time per submission, median of 3: (.*); slowest: (\w+)", done.stdout)
    assert summary is not None, done.stdout
    assert [part.split()[0] for part in summary.group(1).split(", ")] == PHASES
    assert summary.group(2) in ("asha", "bhavin")


def test_an_unreachable_dask_scheduler_is_a_clear_error(tmp_path):
    done = grade(
        "--assignment",
        str(ASSIGNMENT),
        "--out",
        str(tmp_path / "o"),
        "--dask",
        "tcp://127.0.0.1:9",
        str(SAMPLES / "asha.ipynb"),
        check=False,
    )
    assert done.returncode == 2 and "no Dask scheduler answers" in done.stderr
