"""The student's side in Colab as Google publishes it (``../shared/colab/``), with nothing but
``!pip install`` of the course's wheel: a replica of the runtime (pyenv's Python 3.13, Colab's
numpy 2.1.3, matplotlib 3.10.0, IPython 7.34, ipykernel 6.17.1, ... and no font package but
fonts-liberation visible), and the same student's side at the lowest versions the wheel's
declared ranges allow (Python 3.11).

torch is left out of the replica: the released notebooks import it only for the optional
comparison with ``torch.nn.LSTM`` (which says it is skipped without torch), nothing a student's
command runs needs it, and PyPI's torch for Linux is a multi-gigabyte CUDA build.

The runtimes and the wheel are built once into ``~/.cache/lstm-grader-tests/`` (named after
their inputs, as pip's cache is); the runtimes are copied by hard links for each run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import numpy as np
import pytest
import replica_kit as kit
from diagnosis_corpus import Entry, filled
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from PIL import Image
from project_notebooks import PASSENGERS, Kit, hand_in, keras_forecaster, pytorch_classifier
from report_kit import page_lines
from shared_kit import colab_freeze
from wheel_kit import course_wheel

from grader.assignment.releasing import release

pytestmark = pytest.mark.slow

ROOT = kit.ROOT
EXAMPLE_REPORT = ROOT / "examples" / "report"
STUDENT = ROOT / "examples" / "students" / "CS21B042"
# assignment -> the function a planted mistake goes into (none of the others calls it)
PLANTED = {
    "lstm_gates": "lstm_forward",
    "rnn_gradients": "gradient_norms",
    "lstm_backward": "lstm_backward",
}
DEVANAGARI_NAME = "अनन्या शर्मा"


def _graded(assignment: str) -> list[str]:
    """The graded functions of an assignment, as its assignment.toml lists them."""
    with open(ROOT / "assignments" / assignment / "assignment.toml", "rb") as file:
        return [function["name"] for function in tomllib.load(file)["functions"]]


def _runtime_or_skip(minor: str) -> Path:
    interpreter = kit.python(minor)
    if interpreter is None:
        pytest.skip(f"no Python 3.{minor} on this machine (pyenv install 3.{minor})")
    if (why := kit.fonts_hidden_available()) is not None:
        pytest.skip(why)
    return interpreter


@pytest.fixture(scope="module")
def wheel() -> Path:
    return course_wheel()


@pytest.fixture(scope="module")
def colab(tmp_path_factory, wheel):
    """(the replica with the wheel installed as docs/students/colab.md says, pip freeze before
    the install, after it)."""
    colab_freeze()  # or skipped: Colab's published runtime is not beside the checkout
    interpreter = _runtime_or_skip("13")
    cached = kit.colab_runtime(interpreter)
    venv = kit.copy_runtime(cached, interpreter, tmp_path_factory.mktemp("colab") / "venv")
    before = kit.freeze(venv)
    kit.install_wheel(venv, wheel)
    return venv, before, kit.freeze(venv)


def test_the_install_changes_none_of_colabs_packages(colab):
    _, before, after = colab
    pins = kit.colab_pins()
    assert before, "the replica is empty"
    assert {n: v for n, v in before.items() if pins.get(n) != v} == {}, "not Colab's versions"
    changed = {n: (v, after.get(n)) for n, v in before.items() if after.get(n) != v}
    assert changed == {}, f"pip changed Colab's packages: {changed}"
    assert "lstm-course-grader" in after


# ---- the released notebooks in the replica's own kernel


def _kernel(venv: Path, folder: Path) -> KernelManager:
    """A kernel of the runtime's own ipykernel (a kernelspec naming its python)."""
    spec = folder / "kernels" / "replica"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Colab replica", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    specs = KernelSpecManager(kernel_dirs=[str(folder / "kernels")])
    return KernelManager(kernel_name="replica", kernel_spec_manager=specs)


@pytest.mark.parametrize("assignment", sorted(PLANTED))
def test_a_released_notebook_checks_itself_in_colabs_kernel(colab, tmp_path, assignment):
    venv = colab[0]
    released = nbformat.read(release(ROOT / "assignments" / assignment, tmp_path), as_version=4)
    notebook = filled(released, Entry("replica", assignment=assignment))
    planted, graded = PLANTED[assignment], _graded(assignment)
    for cell in notebook.cells:
        found = re.search(rf"^def {planted}\(.*?\):\n", cell.source, re.M | re.S)
        if found and cell.cell_type == "code":
            start = found.end()
            cell.source = cell.source[:start] + "    return np.zeros(3)\n" + cell.source[start:]
    kernel = _kernel(venv, tmp_path)
    NotebookClient(notebook, km=kernel, timeout=300).execute()  # raises if a cell raises
    printed = "\n".join(
        o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs
    )
    check_all = next(c for c in notebook.cells if c.get("id") == "grader-check-all")
    summary = "".join(o.get("text", "") for o in check_all.outputs)
    for function in graded:
        if function == planted:
            assert re.search(rf"^{function}: FAIL - ", summary, re.M), summary
        else:
            assert re.search(rf"^{function}: PASS", summary, re.M), summary
    right = len(graded) - 1
    assert f"{right} of {len(graded)} functions pass" in summary, summary
    assert "Traceback" not in printed
    if assignment == "rnn_gradients":  # no google.colab here, no saved file: it says so
        assert "the self-check cannot read this notebook here; save it" in summary, summary


# ---- the written answers, read through Colab's message API


def _served(notebook: nbformat.NotebookNode, answer: str) -> dict:
    """The notebook as Colab's editor would hand it over, its written answer(s) ``answer``."""
    served = json.loads(nbformat.writes(notebook))
    for cell in served["cells"]:
        if "written" in cell.get("metadata", {}).get("grader", {}):
            cell["source"] = answer
    return served


def test_written_answers_are_read_as_colab_hands_the_notebook_over(colab, tmp_path):
    """The replica's kernel with Colab's ``google.colab._message`` (tests/colab/runtime/, the
    wire of colabtools' google/colab/_message.py) and a frontend here that answers
    ``get_ipynb`` as Colab's does: ``{"ipynb": <notebook>}`` in a colab_reply on stdin."""
    released = nbformat.read(
        release(ROOT / "assignments" / "rnn_gradients", tmp_path), as_version=4
    )
    notebook = filled(released, Entry("colab", assignment="rnn_gradients"))
    serving = {"ipynb": _served(notebook, "The gradient shrinks by W_hh at each step.")}
    kernel = _kernel(colab[0], tmp_path)
    kernel.start_kernel(env={**os.environ, "PYTHONPATH": str(Path(__file__).parent / "runtime")})
    client = kernel.client()
    client.start_channels()
    requests, printed = [], []

    def frontend(message: dict) -> None:
        if message["msg_type"] == "colab_request":
            requests.append(message)
            value = {
                "type": "colab_reply",
                "colab_msg_id": message["metadata"]["colab_msg_id"],
                "data": serving,
            }
            client.stdin_channel.send(client.session.msg("input_reply", {"value": value}))
        elif message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    def run(code: str) -> str:
        """Run code, answering what comes on IOPub as Colab's frontend does (a colab_request
        names only the session, not the cell: execute_interactive would pass it by)."""
        printed.clear()
        cell = client.execute(code)
        while True:
            message = client.get_iopub_msg(timeout=300)
            frontend(message)
            if message["parent_header"].get("msg_id") == cell and message["msg_type"] == "status":
                if message["content"]["execution_state"] == "idle":
                    break
        reply = client.get_shell_msg(timeout=300)
        assert reply["content"]["status"] == "ok", (code[:200], reply["content"])
        return "".join(printed)

    try:
        client.wait_for_ready(timeout=120)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                said = run(cell.source)
        serving["ipynb"] = _served(notebook, "YOUR ANSWER HERE")
        said_empty = run("check()")
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
    assert [r["metadata"]["colab_request_type"] for r in requests] == ["get_ipynb"] * 2
    assert {r["parent_header"]["session"] for r in requests} == {client.session.session}
    assert "1 of 1 written answers filled in" in said, said
    assert "0 of 1 written answers filled in" in said_empty, said_empty
    assert "Still empty: why-vanish." in said_empty, said_empty


# ---- the reports: built, checked and bundled with the machine's fonts hidden


def _report_folder(out: Path, figure: Path, latin: bool) -> Path:
    """The example report (formulas, a table, a figure) by its Devanagari-named author, or the
    same by a Latin-only name."""
    out.mkdir(parents=True)
    (out / "figures").mkdir()
    (out / "figures" / "gradient_flow.png").write_bytes(figure.read_bytes())
    text = (EXAMPLE_REPORT / "report.md").read_text()
    if latin:
        text = text.replace(f" ({DEVANAGARI_NAME})", "")
    (out / "report.md").write_text(text)
    return out


@pytest.fixture(scope="module")
def figure(tmp_path_factory) -> Path:
    """The example report's figure, made once by its own script (the demo's step 1)."""
    spec = importlib.util.spec_from_file_location(
        "gradient_flow", EXAMPLE_REPORT / "gradient_flow.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script.make_figure(tmp_path_factory.mktemp("figure"))


def _pages(pdf: Path) -> list[np.ndarray]:
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "60", "-png", pdf, prefix], check=True)
    return [
        np.asarray(Image.open(page).convert("L"), dtype=np.int16)
        for page in sorted(pdf.parent.glob(f"{prefix.name}-*.png"))
    ]


def _student_report(runtime: Path, folder: Path, home: Path) -> Path:
    built = kit.as_student(runtime, home, "grader", "report", "report.md", cwd=folder)
    assert built.returncode == 0, built.stderr
    assert "set as plain text" not in built.stdout + built.stderr, built.stdout + built.stderr
    checked = kit.as_student(runtime, home, "grader", "report", "--check", "report.pdf", cwd=folder)
    assert checked.returncode == 0 and "OK" in checked.stdout, checked.stdout + checked.stderr
    return folder / "report.pdf"


def _words(pdf: Path, page: int) -> list[str]:
    return sorted(" ".join(page_lines(pdf, page)).split())


def _same_pages(pdf: Path, other: Path) -> None:
    """The same words on each of the two pages, and the same pixels but where a line sits a
    pixel or two (at 60 dpi) higher or lower: matplotlib 3.10's mathtext sets a formula's
    scripts and spaces a fraction of a point apart from 3.11's, which moves what follows."""
    mine, theirs = _pages(pdf), _pages(other)
    assert len(mine) == len(theirs) == 2
    for page, (a, b) in enumerate(zip(mine, theirs, strict=True), start=1):
        assert _words(pdf, page) == _words(other, page), f"page {page} holds other text"
        assert a.shape == b.shape, f"page {page}: {a.shape} vs {b.shape}"
        nearest = np.full(a.shape, 255, dtype=np.int16)
        for dy in (-2, -1, 0, 1, 2):
            for dx in (-1, 0, 1):
                moved = np.roll(np.roll(b, dy, axis=0), dx, axis=1)
                nearest = np.minimum(nearest, np.abs(a - moved))
        differing = np.count_nonzero(nearest > 64) / a.size
        assert differing < 0.001, f"page {page}: {differing:.2%} of the pixels differ"


def _embedded(pdf: Path) -> set[str]:
    """The fonts ``pdffonts`` lists as embedded TrueType subsets."""
    listed = subprocess.run(["pdffonts", pdf], capture_output=True, text=True, check=True).stdout
    return {m.group(1) for m in re.finditer(r"^\w{6}\+(\S+)\s+TrueType.*yes yes", listed, re.M)}


def test_both_reports_build_check_and_bundle_in_colab(colab, tmp_path, figure):
    """The example report by its Devanagari-named author and by a Latin-only name: built and
    checked in the replica, formulas in embedded STIX, the same pages as built in .venv, and
    bundled as the student's two projects."""
    venv, home = colab[0], tmp_path / "home"
    student = Path(shutil.copytree(STUDENT, tmp_path / "student"))
    for project, latin in (("project1", False), ("project2", True)):
        pdf = _student_report(venv, _report_folder(tmp_path / project, figure, latin), home)
        embedded = _embedded(pdf)
        assert {"STIXGeneral-Regular", "STIXGeneral-Italic", "NotoSerif-Regular"} <= embedded
        assert ("NotoSansDevanagari-Regular" in embedded) != latin, embedded
        text = " ".join(page_lines(pdf, 1))
        assert (DEVANAGARI_NAME in text) != latin, text[:300]
        local = _report_folder(tmp_path / f"{project}-local", figure, latin)
        subprocess.run(
            [Path(sys.executable).parent / "grader", "report", "report.md"], cwd=local, check=True
        )
        _same_pages(pdf, local / "report.pdf")
        shutil.copy(pdf, student / "reports" / f"{project}.pdf")
    bundled = kit.as_student(
        venv, home, "grader", "bundle", "submission.toml", "--out", "bundle", cwd=student
    )
    assert bundled.returncode == 0, bundled.stdout + bundled.stderr
    assert (student / "bundle" / "CS21B042.zip").is_file()
    assert (student / "bundle" / "CS21B042.pdf").is_file()


# ---- the lowest versions pyproject.toml's ranges allow


@pytest.fixture(scope="module")
def lowest(tmp_path_factory, wheel) -> Path:
    """Python 3.11 with each base dependency at its lowest declared version, and the wheel
    installed over them as a student installs it (pip must keep them: they satisfy it)."""
    interpreter = _runtime_or_skip("11")
    cached = kit.lowest_runtime(interpreter)
    venv = kit.copy_runtime(cached, interpreter, tmp_path_factory.mktemp("lowest") / "venv")
    kit.install_wheel(venv, wheel)
    installed = kit.freeze(venv)
    for pin in kit.lowest_pins():
        name, version = pin.split("==")
        assert re.fullmatch(rf"[^=]+=={re.escape(version)}(\.0)*", installed[kit.name_of(name)])
    return venv


def test_the_student_side_works_at_the_lowest_versions(lowest, tmp_path, figure):
    home = tmp_path / "home"
    pdf = _student_report(lowest, _report_folder(tmp_path / "report", figure, False), home)
    assert {"STIXGeneral-Regular", "NotoSansDevanagari-Regular"} <= _embedded(pdf)
    student = Path(shutil.copytree(STUDENT, tmp_path / "student"))
    shutil.copy(pdf, student / "reports" / "project1.pdf")
    second = kit.as_student(
        lowest, home, "grader", "report", "project2.md", cwd=student / "reports"
    )
    assert second.returncode == 0, second.stderr
    bundled = kit.as_student(
        lowest, home, "grader", "bundle", "submission.toml", "--out", "bundle", cwd=student
    )
    assert bundled.returncode == 0, bundled.stdout + bundled.stderr

    # one self-check: the released notebook's code, right answers, run top to bottom as a script
    released = nbformat.read(release(ROOT / "assignments" / "lstm_gates", tmp_path), as_version=4)
    notebook = filled(released, Entry("lowest"))
    script = tmp_path / "notebook.py"
    script.write_text("\n\n".join(c.source for c in notebook.cells if c.cell_type == "code"))
    ran = subprocess.run(
        [lowest / "bin" / "python", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"HOME": str(home), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"},
    )
    assert ran.returncode == 0, ran.stderr
    assert "8 of 8 functions pass their public cases" in ran.stdout, ran.stdout[-2000:]


# ---- the checks of substance before sending: what the student's bundle says, grade finds

# The instructor extra's packages that nothing of the base install imports: the student's
# bundle must run with each of them refused (Colab has several installed: importing one would
# work there, and fail in a plain `pip install` of the wheel elsewhere).
INSTRUCTOR_ONLY = (
    "IPython", "tqdm", "dask", "distributed", "starlette", "uvicorn", "jinja2", "extract_msg",
    "openpyxl", "nbconvert", "datasketch", "jwt", "dkim", "dns", "imapclient",
)  # fmt: skip
_REFUSING = """
import sys
refused = set(sys.argv[1].split(","))
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in refused:
            raise ImportError(f"instructor-only package imported: {name}")
sys.meta_path.insert(0, Refuse())
from grader.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _student_hand_in(root: Path) -> tuple[Path, list[Kit]]:
    """Two projects with pitfalls planted, a report number no output shows, a References whose
    dataset address the PDF broke across lines after a library's repository."""
    forecaster = keras_forecaster("scaler-fit-before-split/own-cell")
    classifier = pytorch_classifier("test-as-validation/early-stopping")
    classifier.report["References"] = (
        "[1] Keras, https://github.com/keras-team/keras\n"
        "[2] UCI HAR, https://www.kaggle.com/datasets/uciml/human-activity-\n"
        "recognition-with-smartphones\n"
    )
    draw = random.Random(7)  # readings as a sensor gives them (a file of zeros is a zip bomb)
    recordings = (
        ",".join(f"v{i}" for i in range(151))
        + "\n"
        + "".join(
            ",".join(f"{draw.gauss(0, 1):.3f}" for _ in range(151)) + "\n" for _ in range(7352)
        )
    )
    toml = hand_in(
        root,
        [(forecaster, "airline-passengers.csv", PASSENGERS),
         (classifier, "har_recordings.csv", recordings)],
    )  # fmt: skip
    return toml, [forecaster, classifier]


def _projects_runtime(folder: Path) -> Path:
    """A small runtime for the instructor's run (the grader's own packages, by a .pth)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next((folder / "lib").glob("python3*/site-packages"))
    (site / "grader_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return folder


def test_the_bundle_tells_in_colab_what_grade_finds(colab, tmp_path, monkeypatch):
    from grader import intake
    from grader.cli import main

    venv, home = colab[0], tmp_path / "home"
    toml, kits = _student_hand_in(tmp_path / "student")
    told = kit.as_student(
        venv, home, "python", "-c", _REFUSING, ",".join(INSTRUCTOR_ONLY),
        "bundle", "submission.toml", "--out", "bundle", cwd=toml.parent,
    )  # fmt: skip
    assert told.returncode == 0, told.stdout + told.stderr
    said = told.stdout.split("project 2 (")
    bundles = toml.parent / "bundle"
    assert (bundles / "CS21B077.zip").is_file() and (bundles / "CS21B077.pdf").is_file()

    # the instructor: the bundle collected and graded with `grader grade`, as a term goes
    deadline = datetime.now().astimezone() + timedelta(days=7)
    collected = intake.collect(bundles, tmp_path / "submissions", deadline)
    assert collected.placed == ["CS21B077.zip"], collected
    monkeypatch.setenv("GRADER_PROJECTS_RUNTIME", str(_projects_runtime(tmp_path / "runtime")))
    graded = tmp_path / "graded"
    projects = str(ROOT / "assignments" / "projects")
    folder = str(tmp_path / "submissions" / "CS21B077")
    assert main(["grade", "--assignment", projects, "--out", str(graded), folder]) == 0
    for number, text in enumerate(said, 1):
        checks = json.loads((graded / "CS21B077" / f"project{number}-checks.json").read_text())
        lines = [line.removeprefix("  - ") for line in text.splitlines() if line.startswith("  - ")]
        pitfalls = [
            f"pitfall {p['kind']} (cell {p['cell']}, line {p['line']}): {p['why']}"
            for p in checks["pitfalls"]
        ]
        assert pitfalls and [line for line in lines if line.startswith("pitfall ")] == pitfalls
        unseen = [n["text"] for n in checks["numbers"]
                  if not any(f["source"] == "saved" for f in n["found"])]  # fmt: skip
        stated = [line for line in lines if line.startswith("numbers: ")]
        assert stated == ([f"numbers: the report's Results state {', '.join(unseen)}, which no "
                           "output saved in the notebook shows (run the cells that print them "
                           "and save the notebook with its outputs, or correct the report)"]
                          if unseen else [])  # fmt: skip
        origin = checks["provenance"]
        assert f"dataset: the file read is the one handed in: yes: {origin['how']}" in lines
        assert f"source: the References name {origin['source_url']}" in lines
        assert checks["model"]["uses_lstm"] and lines[0].startswith("model: uses an LSTM: LSTM")
    first, second = said
    assert "numbers: the report's Results state 15.2," in first
    for text, planted, kind in zip(said, kits, ("scaler-fit-before-split", "test-as-validation"),
                                   strict=True):  # fmt: skip
        cell, line = planted.place(kind)
        assert f"pitfall {kind} (cell {cell}, line {line}): " in text
    assert "recognition-with-smartphones" in second and "keras-team" not in second
